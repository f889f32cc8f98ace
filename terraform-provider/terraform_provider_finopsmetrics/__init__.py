"""Terraform provider for finopsmetrics."""
