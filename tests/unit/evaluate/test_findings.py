from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import duckdb  # noqa: TID251 - the test reads the state file directly
import pytest
from tests.unit.evaluate.costdata import Row, daily

from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.evaluate.model import Finding, finding_id
from finopsmetrics_cli.evaluate.service import EvaluateOptions

Store = Callable[[Sequence[Row]], Path]
ALERTS = [{"threshold": 0.5}, {"threshold": 1.0}]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = Engine(tmp_path / "state.duckdb", actor="tester")
    engine.create("budget", "ml", {"amount": 3000, "alerts": ALERTS}, manager="config")
    return engine


def run(engine: Engine, store: Path, **kw: object) -> list[tuple[str, str, str]]:
    result = engine.evaluate(None, EvaluateOptions(costs=str(store), **kw))  # type: ignore[arg-type]
    return [(f.status, f.key, f.id) for f in result.findings]


def test_ids_are_stable_and_status_moves_new_open_resolved(
    engine: Engine, cost_store: Store
) -> None:
    store = cost_store(daily(date(2024, 2, 1), date(2024, 3, 20), 100.0))
    first = run(engine, store, at=date(2024, 3, 16))  # 1,600 of 3,000: the 50% alert
    assert [(s, k) for s, k, _ in first] == [("new", "50% 2024-03")]
    assert first[0][2] == finding_id("budget", "ml", "budget_actual", "50% 2024-03")
    second = run(engine, store, at=date(2024, 3, 16))
    assert second == [("open", "50% 2024-03", first[0][2])]
    engine.update("budget", "ml", {"amount": 30000, "alerts": ALERTS}, manager="config")
    third = run(engine, store, at=date(2024, 3, 16))
    assert third == [("resolved", "50% 2024-03", first[0][2])]
    assert run(engine, store, at=date(2024, 3, 16)) == []  # resolved stays resolved


def test_findings_are_recorded_without_touching_the_serial(
    engine: Engine, cost_store: Store
) -> None:
    store = cost_store(daily(date(2024, 2, 1), date(2024, 3, 20), 100.0))
    serial = engine.info().serial
    result = engine.evaluate(None, EvaluateOptions(costs=str(store)))
    assert result.recorded and engine.info().serial == serial
    with duckdb.connect(engine.location, read_only=True) as conn:
        rows = conn.execute("SELECT kind, name, status FROM findings ORDER BY key").fetchall()
        runs = conn.execute('SELECT "at", new_count FROM evaluations').fetchall()
    assert rows == [("budget", "ml", "open")]  # 2,000 of 3,000: the 50% alert
    assert runs == [(date(2024, 3, 20), 1)]


def test_a_config_is_a_what_if_that_writes_nothing(
    engine: Engine, cost_store: Store, tmp_path: Path
) -> None:
    store = cost_store(daily(date(2024, 2, 1), date(2024, 3, 20), 100.0))
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text("budgets:\n  - name: ml\n    amount: 1000\n    alerts:\n"
                      "      - threshold: 100%\n")  # fmt: skip
    result = engine.evaluate(engine.load_config([config]), EvaluateOptions(costs=str(store)))
    (finding,) = result.findings
    assert (finding.status, finding.location and finding.location.line) == ("new", 2)
    assert not result.recorded
    with duckdb.connect(engine.location, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM findings").fetchone() == (0,)


def test_no_state_evaluates_nothing_and_creates_no_state(
    tmp_path: Path, cost_store: Store
) -> None:
    store = cost_store(daily(date(2024, 2, 1), date(2024, 3, 20), 100.0))
    engine = Engine(tmp_path / "none" / "state.duckdb")
    result = engine.evaluate(None, EvaluateOptions(costs=str(store)))
    assert (result.budgets, result.findings) == ([], [])
    assert not (tmp_path / "none").exists()


def test_anomaly_days_outside_the_run_are_not_resolved(engine: Engine, cost_store: Store) -> None:
    rows = daily(date(2024, 1, 1), date(2024, 4, 30), 100.0)
    store = cost_store([*rows, Row(date(2024, 4, 10), 500.0)])
    engine.create("anomaly_detector", "d", {"model": {"type": "mad"}}, manager="config")
    found = run(engine, store, since=date(2024, 4, 1), kinds=("anomaly_detector",))
    assert [(s, k) for s, k, _ in found] == [("new", "2024-04-10")]
    # the next run looks at Apr 24..30 only: the Apr 10 finding is neither repeated nor resolved
    assert run(engine, store, kinds=("anomaly_detector",)) == []
    again = run(engine, store, since=date(2024, 4, 1), kinds=("anomaly_detector",))
    assert [(s, k) for s, k, _ in again] == [("open", "2024-04-10")]


def test_finding_ids_depend_on_control_type_and_key() -> None:
    one = Finding("budget", "a", "budget_actual", "80% 2024-03", "high", "m")
    assert one.id == finding_id("budget", "a", "budget_actual", "80% 2024-03")
    assert len({one.id, finding_id("budget", "a", "budget_actual", "80% 2024-04"),
                finding_id("budget", "b", "budget_actual", "80% 2024-03")}) == 3  # fmt: skip


def test_a_budget_only_run_does_not_move_the_anomaly_days(
    engine: Engine, cost_store: Store
) -> None:
    rows = daily(date(2024, 1, 1), date(2024, 4, 30), 100.0)
    store = cost_store([*rows, Row(date(2024, 4, 26), 500.0)])
    engine.create("anomaly_detector", "d", {"model": {"type": "mad"}}, manager="config")
    assert run(engine, store, at=date(2024, 4, 20), kinds=("anomaly_detector",)) == []
    run(engine, store, at=date(2024, 4, 27), kinds=("budget",))  # budgets only
    # anomalies are reported since Apr 21 (at most the 7-day window: Apr 24..30)
    found = run(engine, store, kinds=("anomaly_detector",))
    assert [(s, k) for s, k, _ in found] == [("new", "2024-04-26")]
