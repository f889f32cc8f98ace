"""Terraform provider for finopsmetrics (``finopsmetrics/finopsmetrics``).

A thin adapter: schemas are derived from the kind registry and every
create/read/update/delete goes through :class:`finopsmetrics_cli.engine.Engine`
with manager ``terraform``.
"""

#: The version Terraform sees (``version = "~> 1.0"`` in the seed's HCL).
PROVIDER_VERSION = "1.0.0"
