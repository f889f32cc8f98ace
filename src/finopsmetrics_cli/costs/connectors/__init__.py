"""Connectors that read billing data from an API and write FOCUS files for the store."""
