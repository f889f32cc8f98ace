"""get_cost and get_budget_status: direct calls and, under Pulumi's mocks, over outputs."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pulumi
import pulumi_finopsmetrics as finopsmetrics
import pytest
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import EvaluationError

from pulumi_mocks import RecordingMonitor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.unit.evaluate.costdata import daily, write_rows  # noqa: E402

pytestmark = pytest.mark.pulumi


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    costs = write_rows(
        tmp_path / "costs.duckdb",
        [
            *daily(date(2024, 3, 1), date(2024, 3, 20), 50.0, service="ml-training"),
            *daily(date(2024, 3, 1), date(2024, 3, 20), 5.0, service="web", resource="i-w"),
        ],
    )
    state = tmp_path / "state.duckdb"
    engine = Engine(state)
    engine.create("virtual_tag", "teams", {"mappings": {"i-w": {"team": "web"}}}, manager=None)
    engine.create(
        "budget",
        "ml",
        {"amount": 1000, "filters": {"service": "ml-*"}, "alerts": [{"threshold": 0.8}]},
        manager=None,
    )
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(costs))
    return state, costs


def test_get_cost(stores: tuple[Path, Path]) -> None:
    state, _ = stores
    result = finopsmetrics.get_cost({"team": "web"}, store=str(state))
    assert result == finopsmetrics.GetCostResult(
        100.0, "USD", "2024-03-01", "2024-03-20", "effective", {"team": "web"}
    )
    assert finopsmetrics.get_cost(store=str(state), start_date="2024-03-20").total == 55.0
    with pytest.raises(EvaluationError, match=r"^period 'biweekly' is not known$"):
        finopsmetrics.get_cost(store=str(state), period="biweekly")


def test_get_budget_status(stores: tuple[Path, Path]) -> None:
    state, _ = stores
    status = finopsmetrics.get_budget_status("ml", store=str(state))
    assert (status.active, status.actual, status.percent_actual, status.alerts_fired) == (
        True,
        1000.0,
        1.0,
        ["80% actual"],
    )
    assert finopsmetrics.get_budget_status("ml", at="2024-03-04", store=str(state)).actual == 200


@pulumi.runtime.test
def test_output_variants_under_the_mocks(mocks: RecordingMonitor, stores: tuple[Path, Path]) -> Any:
    state, _ = stores
    name = pulumi.Output.from_input("ml")
    status = finopsmetrics.get_budget_status_output(name, store=str(state))
    cost = finopsmetrics.get_cost_output(
        pulumi.Output.from_input({"service": "web"}), store=str(state)
    )

    def check(values: list[Any]) -> None:
        assert values[0].percent_forecast >= 1.0 and values[0].period_end == "2024-03-31"
        assert values[1].total == 100.0

    return pulumi.Output.all(status, cost).apply(check)
