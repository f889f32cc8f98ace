"""Engine.cost and Engine.budget_status: the reads behind the Terraform data sources and
the Pulumi functions, over a real state and a real cost store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.unit.evaluate.costdata import Row, daily, write_rows

from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import EvaluationError


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    write_rows(tmp_path / "costs.duckdb", [
        *daily(date(2024, 2, 1), date(2024, 3, 15), 10.0, service="ml-training",
               tags={"environment": "production"}),
        *daily(date(2024, 3, 1), date(2024, 3, 15), 1.0, service="web", resource="i-web"),
        Row(date(2024, 3, 15), 100.0, service="ml-training", currency="EUR", account="eu"),
    ])  # fmt: skip
    engine = Engine(tmp_path / "state.duckdb")
    engine.create("virtual_tag", "envs", {"mappings": {"i-web": {"environment": "production"}}},
                  manager="config")  # fmt: skip
    engine.create("budget", "ml", {"amount": 200, "filters": {"service": "ml-training",
                  "account": "1*"}, "alerts": [{"threshold": 1.0}]}, manager="config")  # fmt: skip
    return engine


def test_cost_of_filters_this_month_to_date(engine: Engine, tmp_path: Path) -> None:
    costs = str(tmp_path / "costs.duckdb")
    summary = engine.cost({"service": "ml-training", "account": "1*"}, costs=costs)
    assert (summary.total, summary.currency, summary.start, summary.end) == (
        150.0, "USD", date(2024, 3, 1), date(2024, 3, 15),
    )  # fmt: skip
    assert engine.cost({"service": "ml-training", "account": "1*"}, period="2024-02",
                       costs=costs).total == 290.0  # fmt: skip
    assert engine.cost({"environment": "production", "account": "1*"}, costs=costs,
                       start=date(2024, 3, 10)).total == 66.0  # virtual tags count  # fmt: skip


def test_cost_across_currencies_and_bad_periods_are_errors(engine: Engine, tmp_path: Path) -> None:
    costs = str(tmp_path / "costs.duckdb")
    with pytest.raises(EvaluationError, match=r"^the matching cost rows are in EUR and USD; "):
        engine.cost({"service": "ml-training"}, costs=costs)
    with pytest.raises(EvaluationError, match=r"^period 'fortnightly' is not known$"):
        engine.cost({}, period="fortnightly", costs=costs)
    summary = engine.cost({"team": "nobody"}, costs=costs)
    assert (summary.total, summary.warnings) == (0.0, (
        "no cost row has a value for 'team' (a dimension or tag key), so the sum is 0",))


def test_budget_status_as_evaluate_sees_it(engine: Engine, tmp_path: Path) -> None:
    status = engine.budget_status("ml", costs=str(tmp_path / "costs.duckdb"))
    assert status is not None
    assert (status.actual, status.amount, status.percent_actual) == (150.0, 200.0, 0.75)
    assert status.alerts_fired == ()
    with pytest.raises(EvaluationError, match=r"^no budget named 'nope' in the state$"):
        engine.budget_status("nope", costs=str(tmp_path / "costs.duckdb"))
