"""Functions that read cost data: ``get_cost`` and ``get_budget_status``.

Pulumi programs call them as they call a provider's ``get_*`` functions; each is
one engine call (``Engine.cost``, ``Engine.budget_status``), so filters mean
what budget filters mean and virtual tags count. The ``*_output`` variants take
and return Pulumi outputs (a budget's name from a resource, for instance).
State: ``store=``, else stack config ``finopsmetrics:store``, else
``$FINOPSMETRICS_STATE``; cost store: ``costs=``, else ``$FINOPSMETRICS_COSTS``,
else ``./.finopsmetrics/costs.duckdb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pulumi

__all__ = [
    "GetBudgetStatusResult",
    "GetCostResult",
    "get_budget_status",
    "get_budget_status_output",
    "get_cost",
    "get_cost_output",
]


@dataclass(frozen=True)
class GetCostResult:
    """The sum of the metric for the filters from ``period_start`` to ``period_end``."""

    total: float
    currency: str | None
    period_start: str
    period_end: str
    metric: str
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GetBudgetStatusResult:
    """A budget as ``finopsmetrics evaluate`` sees it now (``active`` False: disabled or
    outside its start/end dates, and the other fields None)."""

    name: str
    active: bool
    period: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    amount: float | None = None
    currency: str | None = None
    actual: float | None = None
    forecast: float | None = None
    percent_actual: float | None = None
    percent_forecast: float | None = None
    alerts_fired: list[str] = field(default_factory=list)


def _engine(store: str | None) -> Any:
    from finopsmetrics_cli.engine import Engine

    if store is None:
        try:
            store = pulumi.Config("finopsmetrics").get("store")
        except Exception:  # outside a Pulumi program: no stack config
            store = None
    return Engine(store, source="pulumi")


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def get_cost(
    filters: Mapping[str, str | list[str]] | None = None,
    *,
    period: str | None = None,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
    metric: str | None = None,
    store: str | None = None,
    costs: str | None = None,
) -> GetCostResult:
    """The cost of ``filters`` over ``period`` (default: the month to date of the last day
    with data; or 2024-03, 2024, quarterly ...) or ``start_date``/``end_date``."""
    summary = _engine(store).cost(
        filters,
        period=period,
        start=_day(start_date),
        end=_day(end_date),
        metric=metric,
        costs=costs,
    )
    for warning in summary.warnings:
        pulumi.log.warn(f"finopsmetrics get_cost: {warning}")
    return GetCostResult(
        summary.total,
        summary.currency,
        summary.start.isoformat(),
        summary.end.isoformat(),
        summary.metric,
        dict(summary.filters),
    )


def get_cost_output(
    filters: pulumi.Input[Mapping[str, Any]] | None = None, **kwargs: Any
) -> pulumi.Output[GetCostResult]:
    """``get_cost`` over outputs."""
    return pulumi.Output.from_input(filters).apply(lambda f: get_cost(f, **kwargs))


def get_budget_status(
    name: str,
    *,
    at: str | date | None = None,
    store: str | None = None,
    costs: str | None = None,
) -> GetBudgetStatusResult:
    """Budget ``name`` of the state as of ``at`` (default: the last day with data)."""
    status = _engine(store).budget_status(name, at=_day(at), costs=costs)
    if status is None:
        return GetBudgetStatusResult(name, False)
    return GetBudgetStatusResult(
        name,
        True,
        status.period,
        status.start.isoformat(),
        status.end.isoformat(),
        status.amount,
        status.currency,
        status.actual,
        status.forecast,
        round(status.percent_actual, 4),
        round(status.percent_forecast, 4),
        [f"{a.threshold * 100:g}% {a.type}" for a in status.alerts_fired],
    )


def get_budget_status_output(
    name: pulumi.Input[str], **kwargs: Any
) -> pulumi.Output[GetBudgetStatusResult]:
    """``get_budget_status`` over outputs (``name=budget.name``)."""
    return pulumi.Output.from_input(name).apply(lambda n: get_budget_status(n, **kwargs))
