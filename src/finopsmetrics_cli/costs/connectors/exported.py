"""Monthly FOCUS Parquet files written by the API connectors, handed to the store.

The API connectors (Cost Explorer, BigQuery) end where a ``focus`` file source
begins: local Parquet files in FOCUS columns, one per billing month, so the
store ingests them with the ``focus`` mapping and replaces a month at a time.
The fingerprint is a hash of the file's bytes (rows are written in a fixed
order), so a month whose data did not change is skipped by the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.focus import FOCUS_COLUMNS
from finopsmetrics_cli.costs.locations import SourceObject
from finopsmetrics_cli.errors import CostDataError


@dataclass(frozen=True)
class ExportedFile(SourceObject):
    """A month written by a connector: ``uri`` names it for users, ``path`` holds it."""

    path: Path = Path()
    billing_period: str = ""  # YYYY-MM

    def fetch(self, dest_dir: Path) -> Path:
        return self.path


def focus_select(available: set[str]) -> str:
    """Every FOCUS column, in order and type: mapped ones cast, the rest typed NULLs."""
    return ", ".join(
        f'CAST("{c.name}" AS {c.sql_type}) AS "{c.name}"'
        if c.name in available
        else f'CAST(NULL AS {c.sql_type}) AS "{c.name}"'
        for c in FOCUS_COLUMNS
    )


def write_monthly_parquet(
    db: Any,
    query: str,
    parameters: dict[str, Any],
    *,
    dest_dir: Path,
    stem: str,
    uri_prefix: str,
) -> list[ExportedFile]:
    """Run ``query`` (FOCUS-named columns) and write one Parquet file per billing month."""
    db.execute(f"CREATE OR REPLACE TEMP TABLE mapped AS {query}", parameters)
    available = {row[0] for row in db.execute("DESCRIBE mapped").fetchall()}
    [(undated,)] = db.execute(
        "SELECT count(*) FROM mapped WHERE BillingPeriodStart IS NULL"
    ).fetchall()
    if undated:  # a file per month: such rows would be left out without a word
        raise CostDataError(f"{undated} mapped rows have no billing period", location=uri_prefix)
    select = focus_select(available)
    order = ", ".join(f'CAST("{c.name}" AS VARCHAR)' for c in FOCUS_COLUMNS if c.name in available)
    months: list[datetime] = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT BillingPeriodStart FROM mapped ORDER BY 1"
        ).fetchall()
    ]
    files: list[ExportedFile] = []
    for month in months:
        period = month.strftime("%Y-%m")
        path = dest_dir / f"{stem}.{period}.parquet"
        db.execute(
            f"COPY (SELECT {select} FROM mapped "
            f"WHERE BillingPeriodStart = TIMESTAMP '{month:%Y-%m-%d %H:%M:%S}' "
            f"ORDER BY {order}) TO '{_sql_string(path)}' (FORMAT parquet)"
        )
        data = path.read_bytes()
        files.append(
            ExportedFile(
                uri=f"{uri_prefix}/{period}",
                fingerprint=hashlib.sha256(data).hexdigest()[:32],
                size=len(data),
                path=path,
                billing_period=period,
            )
        )
    db.execute("DROP TABLE mapped")
    return files


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")
