"""Shared by the cost store tests: configs with cost sources, syncing, store snapshots."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.service import SyncOptions
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.costs.sync import SyncResult
from finopsmetrics_cli.engine import Engine

PLACES = Decimal("0.0000000001")  # DECIMAL(38, 10)
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cost-data"
FOCUS = SAMPLES / "focus" / "focus-1.0_focus_sample.csv"
CUR = SAMPLES / "aws-cur" / "focus_converters_aws-cur_sample-anonymous-aws-export-dataset.csv"
AZURE = SAMPLES / "azure-ea" / "focus_converters_azure-ea_sample-anonymous-ea-export-dataset.csv"
OCI = SAMPLES / "oci" / "focus_converters_oci_reports_cost-csv_0000000030000269.csv"


class CostWorkspace:
    """A directory with a config declaring cost sources, a state and a cost store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "finopsmetrics.yaml"
        self.store = root / "costs.duckdb"
        self.engine = Engine(root / "state.duckdb", actor="test")

    def declare(self, *sources: Mapping[str, Any]) -> Path:
        self.config.write_text(json.dumps({"cost_sources": list(sources)}), encoding="utf-8")
        return self.config

    def sync(self, *names: str, full: bool = False, since: Any = None) -> list[SyncResult]:
        config = self.engine.load_config([self.config])
        options = SyncOptions(sources=names, full=full, since=since, costs=str(self.store))
        return self.engine.costs_sync(config, options)

    def ok(self, *names: str, **options: Any) -> list[SyncResult]:
        results = self.sync(*names, **options)
        failed = [f"{r.source}: {r.error}" for r in results if r.error is not None]
        assert not failed, failed
        return results

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with CostStore(self.store).connect() as conn:
            return conn.execute(sql, list(params)).fetchall()

    def snapshot(self) -> tuple[list[tuple[Any, ...]], ...]:
        """Everything the store holds apart from timestamps of when it was written."""
        if not self.store.exists():
            return ()
        return (
            self.rows('SELECT * EXCLUDE ("x_IngestedAt") FROM cost_rows ORDER BY ALL'),
            self.rows("SELECT * EXCLUDE (synced_at) FROM synced_periods ORDER BY ALL"),
            self.rows("SELECT * EXCLUDE (synced_at) FROM synced_files ORDER BY ALL"),
            self.rows("SELECT source, type, location FROM synced_sources ORDER BY ALL"),
        )


def csv_sums(
    path: Path, amount: str, *, key: str | None = None, constant: str | None = None,
    currency: str, nulls: tuple[str, ...] = ("", "NULL"),
) -> dict[tuple[str, str], Decimal]:
    """Sum of ``amount`` per (``key`` column or ``constant``, currency), read with the
    csv module: an independent account of what a file bills. Each value is rounded to
    the store's 10 decimal places first, as storing it does."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            value = row[amount]
            if value in nulls:
                continue
            group = row[key] if key else constant
            assert group is not None
            totals[(group, row[currency])] += Decimal(value).quantize(PLACES, ROUND_HALF_UP)
    return dict(totals)
