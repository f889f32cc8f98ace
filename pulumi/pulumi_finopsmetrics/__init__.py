"""Pulumi SDK for finopsmetrics."""
