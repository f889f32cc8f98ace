from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from tests.unit.evaluate.conftest import Evaluate, budget
from tests.unit.evaluate.costdata import Row, daily

from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.model import Control

Store = Callable[[Sequence[Row]], Path]
MARCH = (date(2024, 3, 1), date(2024, 3, 20))


def actuals(evaluate: Evaluate, *controls: Control, **kw: object) -> dict[str, float]:
    result, _ = evaluate(list(controls), **kw)
    return {b.name: b.actual for b in result.budgets}


def test_filters_by_dimension_tag_glob_list_account_and_store_column(
    cost_store: Store, evaluate: Evaluate
) -> None:
    cost_store(
        daily(*MARCH, 10.0, service="Amazon EC2", tags={"team": "ml"})
        + daily(*MARCH, 20.0, service="Amazon S3", tags={"team": "data"})
        + daily(*MARCH, 40.0, service="AWS Lambda", account="222", account_name="dev")
    )
    got = actuals(
        evaluate,
        budget("all", 1e6),
        budget("ec2", 1e6, filters={"service": "Amazon EC2"}),
        budget("tag", 1e6, filters={"team": "ml"}),
        budget("glob", 1e6, filters={"service": "Amazon *"}),
        budget("list", 1e6, filters={"service": ["Amazon S3", "AWS Lambda"]}),
        budget("account-name", 1e6, filters={"account": "dev"}),
        budget("account-id", 1e6, filters={"account": "222"}),
        budget("column", 1e6, filters={"ServiceName": "AWS Lambda"}),
        budget("and", 1e6, filters={"service": "Amazon *", "team": "data"}),
    )
    assert got == {
        "all": 1400.0, "ec2": 200.0, "tag": 200.0, "glob": 600.0, "list": 1200.0,
        "account-name": 800.0, "account-id": 800.0, "column": 800.0, "and": 400.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("period", "start", "expected"),
    [
        ("daily", date(2024, 3, 20), 10.0),
        ("weekly", date(2024, 3, 18), 30.0),  # Monday 18th .. Wednesday 20th
        ("monthly", date(2024, 3, 1), 200.0),
        ("quarterly", date(2024, 1, 1), 800.0),
        ("yearly", date(2024, 1, 1), 800.0),
    ],
)
def test_every_period_sums_its_days_up_to_at(
    cost_store: Store, evaluate: Evaluate, period: str, start: date, expected: float
) -> None:
    cost_store(daily(date(2023, 12, 1), date(2024, 3, 31), 10.0))
    result, _ = evaluate([budget("b", 1e6, period=period)], at=date(2024, 3, 20))
    (status,) = result.budgets
    assert (status.start, status.actual) == (start, expected)


def test_data_after_at_is_never_read(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(date(2024, 2, 1), date(2024, 3, 31), 10.0) + [Row(date(2024, 3, 21), 9e9)])
    result, _ = evaluate([budget("b", 1000, alerts=[{"threshold": 1.0, "type": "forecasted"}])],
                         at=date(2024, 3, 20))  # fmt: skip
    (status,) = result.budgets
    assert (status.actual, status.forecast, status.alerts_fired) == (200.0, 310.0, ())
    assert result.data_through == date(2024, 3, 20)
    statements = evaluate.adapters[-1].statements  # type: ignore[attr-defined]
    assert all("2024-03-21 00:00:00" in s for s in statements if "ChargePeriodStart\" <" in s)


def test_start_and_end_dates_clip_the_period(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(date(2024, 1, 1), date(2024, 3, 20), 10.0))
    got = actuals(
        evaluate,
        budget("late", 1e6, start_date="2024-03-11"),
        budget("over", 1e6, end_date="2024-02-29"),
    )
    assert got == {"late": 100.0}  # "over" ended before --at: not active
    clip = budget("clip", 1e6, period="quarterly", start_date="2024-02-01", end_date="2024-03-10")
    result, _ = evaluate([clip], at=date(2024, 3, 5))
    (status,) = result.budgets
    assert (status.start, status.end, status.actual) == (date(2024, 2, 1), date(2024, 3, 10), 340.0)


def test_alerts_fire_on_actual_and_forecast(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(date(2024, 2, 1), date(2024, 3, 20), 100.0))
    alerts = [{"threshold": 0.5}, {"threshold": 1.0}, {"threshold": 1.0, "type": "forecasted"}]
    result, _ = evaluate([Control("budget", "ml", {"amount": 3000, "alerts": alerts})])
    messages = sorted(f.message for f in result.findings)
    assert messages == [
        "2,000.00 of 3,000.00 USD spent (67%): the 50% alert fired",
        "forecast 3,100.00 of 3,000.00 USD (103%) by 2024-03-31: the 100% forecasted alert fired",
    ]
    assert sorted(f.severity for f in result.findings) == ["medium", "medium"]


def test_the_spec_example_message(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store([Row(date(2024, 2, 10), 41_200.0, tags={"project": "ml-training"})])
    result, _ = evaluate([budget("ml-training-q1", 40_000, period="quarterly",
                                 filters={"project": "ml-training"},
                                 alerts=[{"threshold": 1.0, "priority": "critical"}])])  # fmt: skip
    (finding,) = result.findings
    assert finding.message == "41,200.00 of 40,000.00 USD spent (103%): the 100% alert fired"
    assert (finding.severity, finding.key) == ("critical", "100% 2024-Q1")


def test_a_filter_no_row_has_is_a_warning_naming_budget_and_key(
    cost_store: Store, evaluate: Evaluate
) -> None:
    cost_store(daily(*MARCH, 10.0))
    result, _ = evaluate([budget("ml", 100, filters={"teem": "ml", "service": "Amazon EC2"})])
    assert result.warnings == [
        "budget.ml: no cost row has a value for 'teem' (a dimension or tag key), "
        "so the budget sums nothing"
    ]
    assert result.budgets[0].actual == 0.0


def test_a_budget_in_another_currency_names_both(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*MARCH, 10.0, currency="EUR"))
    with pytest.raises(EvaluationError) as caught:
        evaluate([budget("eu", 100, currency="USD")])
    assert caught.value.message == (
        "budget.eu is in USD, but the cost data it sums is in EUR: set `currency: EUR` on it, "
        "or filter it to USD rows"
    )


def test_one_scan_serves_a_thousand_budgets(cost_store: Store, evaluate: Evaluate) -> None:
    cost_store(daily(*MARCH, 10.0, tags={"team": "ml"}))
    controls = [budget(f"b{i}", 100 + i, filters={"team": "ml", "service": f"S{i % 7}"})
                for i in range(1000)]  # fmt: skip
    evaluate(controls)
    statements = evaluate.adapters[-1].statements  # type: ignore[attr-defined]
    assert sum("FROM costs_enriched" in s for s in statements) == 3  # range, --at, the scan
