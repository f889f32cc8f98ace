"""Cost sources read through an API rather than from files: what ``costs sync`` calls.

Each connector writes local Parquet files in FOCUS columns, one per billing
month, and returns them as :class:`SourceObject` values; the store then ingests
them with the ``focus`` mapping, exactly like a FOCUS file source.
"""

from __future__ import annotations

from finopsmetrics_cli.costs.connectors.cost_explorer import export_cost_explorer
from finopsmetrics_cli.costs.connectors.exported import ExportedFile
from finopsmetrics_cli.costs.connectors.gcp_bigquery import export_bigquery

__all__ = ["ExportedFile", "export_bigquery", "export_cost_explorer"]
