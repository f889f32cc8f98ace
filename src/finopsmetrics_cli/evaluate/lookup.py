"""Point reads for the Terraform data sources and Pulumi functions: the cost for some
filters over a period, and one budget's status. Both go through the same scan and
budget evaluation as ``evaluate`` (filters mean the same; virtual tags count), over
live state's objects; nothing is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.model import BudgetStatus, Control

if TYPE_CHECKING:
    from finopsmetrics_cli.engine import Engine

PERIODS = ("daily", "weekly", "monthly", "quarterly", "yearly")
PERIOD_HINT = (
    "a period type (daily, weekly, monthly, quarterly, yearly: the one holding the last day "
    "with data), a month (2024-03), a year (2024) or a day (2024-03-05)"
)


@dataclass(frozen=True, slots=True)
class CostSummary:
    """The sum of the metric over rows matching ``filters`` from ``start`` to ``end``."""

    total: float
    currency: str | None
    start: date
    end: date
    metric: str
    filters: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "currency": self.currency, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "metric": self.metric, "filters": self.filters,
            "warnings": list(self.warnings),
        }  # fmt: skip


def _bounds(
    period: str | None, start: date | None, end: date | None, last: date
) -> tuple[date, date]:
    from finopsmetrics_cli.costs.report import period_range
    from finopsmetrics_cli.evaluate.periods import clipped_period

    if start is not None or end is not None:
        if period:
            raise EvaluationError("give a period or start/end dates, not both")
        first, final = start or date.min, end or last
        if final < first:
            raise EvaluationError(f"end {final.isoformat()} is before start {first.isoformat()}")
        return first, final
    name = period or "monthly"
    if name in PERIODS:
        bounds = clipped_period(name, last, None, None)
        assert bounds is not None
        return bounds[0], min(bounds[1], last)
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", name):
        raise EvaluationError(f"period {name!r} is not known", hint=PERIOD_HINT)
    try:
        return period_range(name)
    except Exception as exc:  # CostDataError: a bad date
        raise EvaluationError(f"period {name!r} is not a valid date", hint=PERIOD_HINT) from exc


def context_objects(engine: Engine) -> list[Control]:
    from finopsmetrics_cli.costs.service import enrichment_objects

    return enrichment_objects(engine)


def cost(
    engine: Engine, filters: Mapping[str, Any] | None = None, *, period: str | None = None,
    start: date | None = None, end: date | None = None, metric: str | None = None,
    costs: str | None = None,
) -> CostSummary:  # fmt: skip
    """The cost of ``filters`` over a period (default: the month to date of the last day
    with data). Several currencies are an error: a sum across them means nothing."""
    from finopsmetrics_cli.evaluate.enrich import install
    from finopsmetrics_cli.evaluate.runner import metric_column
    from finopsmetrics_cli.evaluate.scan import SeriesRequest, scan_costs
    from finopsmetrics_cli.evaluate.service import open_costs

    wanted = {str(k): v if isinstance(v, str) else [str(i) for i in v]
              for k, v in (filters or {}).items()}  # fmt: skip
    column = metric_column(metric)
    context = context_objects(engine)
    with open_costs(costs, None) as adapter:
        enrichment = install(adapter, context)
        first, last, count = adapter.fetch_sql(
            'SELECT min("ChargePeriodStart")::DATE, max("ChargePeriodStart")::DATE, count(*) '
            "FROM costs_enriched"
        )[0]
        if not count:
            raise EvaluationError("no cost data: the cost store has no cost rows",
                                  hint="run `finopsmetrics costs sync`")  # fmt: skip
        lo, hi = _bounds(period, start, end, last)
        lo = max(lo, first)
        if hi < lo:
            return CostSummary(0.0, None, lo, hi, metric or "effective", wanted)
        result = scan_costs(adapter, [SeriesRequest("cost", wanted, lo)], metric=column, at=hi)
    series = result["cost"]
    if len(series.currencies) > 1:
        raise EvaluationError(
            f"the matching cost rows are in {' and '.join(sorted(series.currencies))}; "
            "a sum across currencies means nothing",
            hint="add a filter that keeps one currency (BillingCurrency = ...)",
        )
    total = round(sum(v for d, v in series.total().items() if lo <= d <= hi), 2)
    warnings = [*enrichment.warnings, *(
        f"no cost row has a value for {k!r} (a dimension or tag key), so the sum is 0"
        for k in series.missing)]  # fmt: skip
    return CostSummary(total, next(iter(series.currencies), None), lo, hi,
                       metric or "effective", wanted, tuple(warnings))  # fmt: skip


def budget_status(
    engine: Engine, name: str, *, at: date | None = None, costs: str | None = None
) -> BudgetStatus | None:
    """The status of live budget ``name`` as of ``at`` (default: the last day with data);
    None when it is disabled or ``at`` is outside its dates."""
    from finopsmetrics_cli.evaluate.runner import run
    from finopsmetrics_cli.evaluate.service import adapter_store, open_costs, utcnow

    live = engine.read(f"budget.{name}")
    if live is None:
        raise EvaluationError(f"no budget named {name!r} in the state",
                              hint="apply it first, or check the name")  # fmt: skip
    control = Control("budget", name, live.spec)
    with open_costs(costs, None) as adapter:
        result, _ = run(adapter, [control], store=str(adapter_store(costs, None)),
                        today=utcnow().date() + timedelta(days=1), at=at, kinds=("budget",),
                        context=context_objects(engine))  # fmt: skip
    return result.budgets[0] if result.budgets else None


def budget_dict(status: BudgetStatus | None, name: str) -> dict[str, Any]:
    """A status as the data sources return it (``active`` false: disabled or out of dates)."""
    if status is None:
        return {"name": name, "active": False}
    return {
        "name": name, "active": True, "period": status.period,
        "period_start": status.start.isoformat(), "period_end": status.end.isoformat(),
        "amount": status.amount, "currency": status.currency, "actual": status.actual,
        "forecast": status.forecast, "percent_actual": round(status.percent_actual, 4),
        "percent_forecast": round(status.percent_forecast, 4),
        "alerts_fired": [{"threshold": a.threshold, "type": a.type} for a in status.alerts_fired],
    }  # fmt: skip
