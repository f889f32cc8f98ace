"""Cost rows with resource names and types, and a session with ``costs_enriched`` installed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.unit.evaluate.costdata import Row, write_rows

from finopsmetrics_cli.config.validate import validate_object
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.enrich import Enrichment, install
from finopsmetrics_cli.evaluate.model import Control


def write_resources(
    path: Path, rows: Sequence[Row], names: Mapping[str, tuple[str, str]] | None = None
) -> Path:
    """Rows, then each resource's (name, type) from ``names``."""
    write_rows(path, rows)
    with CostStore(path).connect(read_only=False) as conn:
        for resource, (name, type_) in (names or {}).items():
            conn.execute(
                "UPDATE cost_rows SET ResourceName = ?, ResourceType = ? WHERE ResourceId = ?",
                [name, type_, resource],
            )
    return path


@contextmanager
def enriched(path: Path, controls: Sequence[Control]) -> Iterator[tuple[Any, Enrichment]]:
    """A read-only session on the store with ``costs_enriched`` built from ``controls``."""
    with CostStore(path).connect() as conn:
        enrichment = install(DuckDBAdapter(conn), controls)
        yield conn, enrichment


def control(kind: str, name: str, **spec: Any) -> Control:
    """A control with its canonical spec, as live state holds it."""
    return Control(kind, name, validate_object(kind, name, spec))
