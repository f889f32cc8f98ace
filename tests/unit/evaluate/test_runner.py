from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.unit.evaluate.conftest import CountingAdapter, Evaluate, budget, detector
from tests.unit.evaluate.costdata import Row, daily

from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.model import Control
from finopsmetrics_cli.evaluate.runner import run

Store = Callable[[Sequence[Row]], Path]
FEB_MAR = (date(2024, 2, 1), date(2024, 3, 20))


def message(evaluate: Evaluate, controls: list[Control], **kw: object) -> tuple[str, str | None]:
    with pytest.raises(EvaluationError) as caught:
        evaluate(controls, **kw)
    return caught.value.message, caught.value.hint


def test_an_empty_store_names_costs_sync(cost_store: Store, evaluate: Evaluate) -> None:
    path = cost_store([])
    assert message(evaluate, [budget("b", 1)]) == (
        f"no cost data: the cost store {path} has no cost rows",
        "run `finopsmetrics costs sync`",
    )


def test_at_in_the_future_or_before_the_data(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*FEB_MAR, 1.0))
    assert message(evaluate, [], at=date(2026, 1, 2)) == (
        "--at 2026-01-02 is in the future (today is 2026-01-01)",
        "leave --at out to evaluate as of the last day with data (2024-03-20)",
    )
    assert message(evaluate, [], at=date(2024, 1, 31)) == (
        "--at 2024-01-31 is before the cost data, which starts on 2024-02-01",
        "choose a day from 2024-02-01 to 2024-03-20",
    )
    assert message(evaluate, [], at=date(2024, 3, 1), since=date(2024, 3, 2))[0] == (
        "--since 2024-03-02 is after --at 2024-03-01"
    )


def test_unknown_kind_and_metric(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*FEB_MAR, 1.0))
    assert message(evaluate, [], kinds=["budgets"]) == (
        "--kind 'budgets' cannot be evaluated; did you mean 'budget'?",
        "kinds with an evaluation: cost_allocation, anomaly_detector, budget, tag_rule, "
        "ownership_rule, policy, lifecycle_rule, compliance_framework",
    )
    assert message(evaluate, [], metric="amortized")[0] == (
        "settings.costs.metric 'amortized' is not a cost metric"
    )


def test_at_defaults_to_the_last_day_with_data(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*FEB_MAR, 1.0))
    result, _ = evaluate([])
    assert (result.at, result.data_through) == (date(2024, 3, 20), date(2024, 3, 20))
    result, _ = evaluate([], at=date(2024, 3, 25))  # a day without data yet
    assert (result.at, result.data_through) == (date(2024, 3, 25), date(2024, 3, 20))


def test_kind_selects_the_evaluators(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*FEB_MAR, 1.0))
    controls = [budget("b", 1), detector("d")]
    result, _ = evaluate(controls, kinds=["anomaly_detector"])
    assert (result.kinds, result.budgets) == (("anomaly_detector",), [])


def spiky() -> list[Row]:
    rows = daily(date(2024, 1, 1), date(2024, 4, 30), 100.0, service="Amazon EC2")
    rows += daily(date(2024, 1, 1), date(2024, 4, 30), 50.0, service="Amazon S3")
    rows += [Row(date(2024, 4, 10), 400.0, service="Amazon S3"),
             Row(date(2024, 4, 28), 900.0, service="Amazon EC2")]  # fmt: skip
    return rows


def test_anomalies_per_group_by_value_and_the_model_that_ran(
    cost_store: Store, evaluate: Evaluate
) -> None:
    cost_store(spiky())
    ctl = detector("spend", model={"type": "arima", "window": "14d"}, group_by=["service"])
    result, outcome = evaluate([ctl], since=date(2024, 4, 1))
    assert [(a.day, a.series, a.actual, a.expected, a.method) for a in result.anomalies] == [
        (date(2024, 4, 10), {"service": "Amazon S3"}, 450.0, 50.0, "ewma"),
        (date(2024, 4, 28), {"service": "Amazon EC2"}, 1000.0, 100.0, "ewma"),
    ]
    assert result.findings[0].message == (
        "spike on 2024-04-10 (service=Amazon S3): 450.00 spent, 50.00 expected "
        "(+400.00; model arima, run as ewma)"
    )
    assert outcome.scopes == {"anomaly_detector.spend": date(2024, 4, 1)}


def test_anomaly_days_default_to_since_the_previous_evaluation(
    cost_store: Store, evaluate: Evaluate
) -> None:
    cost_store(spiky())
    ctl = detector("spend", model={"type": "mad", "window": "7d"}, group_by="service")
    first, _ = evaluate([ctl])  # the last window: Apr 24..30
    assert [a.day for a in first.anomalies] == [date(2024, 4, 28)]
    assert first.anomalies_since == date(2024, 4, 24)
    later, _ = evaluate([ctl], previous_at=date(2024, 4, 27))
    assert later.anomalies_since == date(2024, 4, 28)
    backfill, _ = evaluate([ctl], since=date(2024, 1, 15))
    assert [a.day for a in backfill.anomalies] == [date(2024, 4, 10), date(2024, 4, 28)]


def test_min_impact_and_min_severity(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(spiky())
    since = {"since": date(2024, 4, 1)}
    quiet = detector("a", group_by=["service"], min_impact={"absolute": 500})
    assert [a.day for a in evaluate([quiet], **since)[0].anomalies] == [date(2024, 4, 28)]
    relative = detector("r", group_by=["service"], min_impact={"relative": 8.5})
    assert [a.day for a in evaluate([relative], **since)[0].anomalies] == [date(2024, 4, 28)]


def test_min_severity_hides_smaller_anomalies(cost_store: Store, evaluate: Evaluate) -> None:
    rows = daily(date(2024, 1, 1), date(2024, 4, 30), 100.0)
    cost_store([*rows, Row(date(2024, 4, 10), 60.0)])  # +60%: high, not critical
    since = {"since": date(2024, 4, 1)}
    seen = evaluate([detector("d", model="mad")], **since)[0].anomalies
    assert [(a.day, a.severity) for a in seen] == [(date(2024, 4, 10), "high")]
    hidden = detector("d", model="mad", alerts={"min_severity": "critical"})
    assert evaluate([hidden], **since)[0].anomalies == []


def test_a_level_shift_is_one_finding_across_runs(cost_store: Store, evaluate: Evaluate) -> None:
    start = date(2024, 1, 1)
    cost_store([Row(start + timedelta(days=i), 100.0 if i < 80 else 180.0) for i in range(110)])
    ctl = detector("shift", model={"type": "zscore", "window": "14d"})
    result, _ = evaluate([ctl], since=date(2024, 3, 1))
    assert [(a.day, a.shape) for a in result.anomalies] == [(date(2024, 3, 21), "level_shift")]


def test_controls_sharing_filters_share_a_series_but_not_results(
    cost_store: Store, evaluate: Evaluate
) -> None:
    rng = random.Random(4)
    start = date(2024, 1, 1)
    noisy = [100.0 * rng.uniform(0.7, 1.3) * (3 if i == 115 else 1) for i in range(120)]
    cost_store([Row(start + timedelta(days=i), cost) for i, cost in enumerate(noisy)])
    alone = detector("d", model={"type": "zscore", "window": "7d"}, filters={"service": "Amazon *"})
    wide = detector("w", model={"type": "seasonal", "window": "28d"},
                    filters={"service": "Amazon *"})  # fmt: skip
    first, _ = evaluate([alone])
    together, _ = evaluate([alone, wide, budget("b", 1, filters={"service": "Amazon *"})])
    assert [a.day for a in first.anomalies] == [date(2024, 4, 25)]
    assert [a for a in together.anomalies if a.detector == "d"] == first.anomalies
    statements = evaluate.adapters[-1].statements  # type: ignore[attr-defined]
    assert sum("fm_eval_map" in s and "JOIN" in s for s in statements) == 1


class InlineScanAdapter(CountingAdapter):
    """An engine without temporary tables: the scan is inlined where it is read."""

    SUPPORTS_TEMP_TABLES = False


def test_an_engine_without_temp_tables_gives_the_same_results(cost_store: Store) -> None:
    path = cost_store(spiky())
    controls = [budget("b", 1e4, filters={"service": "Amazon *"}),
                detector("d", group_by=["service"])]  # fmt: skip
    outcomes = []
    for adapter_class in (DuckDBAdapter, InlineScanAdapter):
        with CostStore(path).connect() as conn:
            adapter = adapter_class(conn)
            result, _ = run(adapter, controls, store=str(path), today=date(2026, 1, 1))
        outcomes.append((result.budgets, result.anomalies))
    assert outcomes[0] == outcomes[1] and outcomes[0][1]
    assert not any(s.startswith("CREATE") for s in adapter.statements)  # type: ignore[attr-defined]
