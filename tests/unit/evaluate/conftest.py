from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.unit.evaluate.costdata import Row, write_rows

from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.model import Control, EvaluationResult
from finopsmetrics_cli.evaluate.registry import Outcome
from finopsmetrics_cli.evaluate.runner import run

TODAY = date(2026, 1, 1)


class CountingAdapter(DuckDBAdapter):
    """The DuckDB adapter, counting the queries that read cost rows."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self.statements: list[str] = []

    def sql(self, query: Any) -> str:
        text = super().sql(query)
        self.statements.append(text)
        return text


Evaluate = Callable[..., tuple[EvaluationResult, Outcome]]


@pytest.fixture
def cost_store(tmp_path: Path) -> Callable[[Sequence[Row]], Path]:
    def make(rows: Sequence[Row]) -> Path:
        return write_rows(tmp_path / "costs.duckdb", rows)

    return make


@pytest.fixture
def evaluate(tmp_path: Path) -> Iterator[Evaluate]:
    adapters: list[CountingAdapter] = []

    def go(controls: Sequence[Control], **kwargs: Any) -> tuple[EvaluationResult, Outcome]:
        path = tmp_path / "costs.duckdb"
        with CostStore(path).connect() as conn:
            adapter = CountingAdapter(conn)
            adapters.append(adapter)
            kwargs.setdefault("today", TODAY)
            return run(adapter, controls, store=str(path), **kwargs)

    go.adapters = adapters  # type: ignore[attr-defined]
    yield go


def budget(name: str, amount: float, **spec: Any) -> Control:
    return Control("budget", name, {"amount": amount, **spec})


def detector(name: str, **spec: Any) -> Control:
    return Control("anomaly_detector", name, spec)
