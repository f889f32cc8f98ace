"""Budgets: period-to-date actual, a forecast of the period, and the alerts they cross."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from finopsmetrics_cli.evaluate.forecast import HISTORY_DAYS, forecast_total
from finopsmetrics_cli.evaluate.model import AlertFired, BudgetStatus, Control, Finding
from finopsmetrics_cli.evaluate.periods import clipped_period, period_label
from finopsmetrics_cli.evaluate.registry import Context, Outcome, register
from finopsmetrics_cli.evaluate.scan import FilterValue, SeriesRequest, SeriesResult


@dataclass(frozen=True, slots=True)
class Alert:
    threshold: float
    type: str
    priority: str | None


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    """The fields of a budget's canonical spec that evaluation reads."""

    amount: float
    period: str
    currency: str
    filters: dict[str, FilterValue]
    start_date: date | None
    end_date: date | None
    alerts: tuple[Alert, ...]
    enabled: bool

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> BudgetSpec:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else value

        return cls(
            amount=float(spec["amount"]),
            period=str(spec.get("period", "monthly")),
            currency=str(spec.get("currency", "USD")),
            filters=dict(spec.get("filters") or {}),
            start_date=day(spec.get("start_date")),
            end_date=day(spec.get("end_date")),
            alerts=tuple(
                Alert(float(a["threshold"]), str(a.get("type", "actual")), a.get("priority"))
                for a in spec.get("alerts") or ()
            ),
            enabled=bool(spec.get("enabled", True)),
        )


def money(value: float) -> str:
    return f"{value:,.2f}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def alert_severity(alert: Alert) -> str:
    """The alert's priority, else high for spend at or over the amount, medium below it;
    forecasts one step lower (they may not come true)."""
    if alert.priority:
        return alert.priority
    if alert.type == "actual":
        return "high" if alert.threshold >= 1 else "medium"
    return "medium" if alert.threshold >= 1 else "low"


def status_of(
    name: str, spec: BudgetSpec, at: date, daily: Mapping[date, float]
) -> BudgetStatus | None:
    """The budget's status as of the end of ``at`` (None when ``at`` is outside its dates)."""
    bounds = clipped_period(spec.period, at, spec.start_date, spec.end_date)
    if bounds is None:
        return None
    start, end = bounds
    actual = sum(v for d, v in daily.items() if start <= d <= at)
    forecast = max(forecast_total(daily, start, end, at), actual)
    fired = tuple(
        AlertFired(a.threshold, a.type)
        for a in spec.alerts
        if (actual if a.type == "actual" else forecast) >= a.threshold * spec.amount
    )
    return BudgetStatus(
        name=name, period=spec.period, start=start, end=end, amount=spec.amount,
        currency=spec.currency, actual=round(float(actual), 2), forecast=round(float(forecast), 2),
        alerts_fired=fired,
    )  # fmt: skip


def alert_message(status: BudgetStatus, alert: AlertFired) -> str:
    """``41,200.00 of 40,000.00 USD spent (103%): the 100% alert fired``."""
    amount = f"{money(status.amount)} {status.currency}"
    if alert.type == "actual":
        head = f"{money(status.actual)} of {amount} spent ({percent(status.percent_actual)})"
        return f"{head}: the {percent(alert.threshold)} alert fired"
    head = (
        f"forecast {money(status.forecast)} of {amount} "
        f"({percent(status.percent_forecast)}) by {status.end.isoformat()}"
    )
    return f"{head}: the {percent(alert.threshold)} forecasted alert fired"


def currency_problem(address: str, spec: BudgetSpec, currencies: set[str]) -> str | None:
    """A budget must be in the currency of the rows it sums (there is no exchange rate)."""
    if not currencies or currencies == {spec.currency}:
        return None
    found = " and ".join(sorted(c or "(none)" for c in currencies))
    return (
        f"{address} is in {spec.currency}, but the cost data it sums is in {found}: "
        f"set `currency: {sorted(currencies)[0]}` on it, or filter it to {spec.currency} rows"
    )


@register("budget")
class BudgetEvaluator:
    kind = "budget"

    def requests(self, controls: Sequence[Control], ctx: Context) -> list[SeriesRequest]:
        out = []
        for control in controls:
            spec = BudgetSpec.of(control.spec)
            bounds = clipped_period(spec.period, ctx.at, spec.start_date, spec.end_date)
            if not spec.enabled or bounds is None:
                continue
            since = min(bounds[0], ctx.at - timedelta(days=HISTORY_DAYS - 1))
            out.append(SeriesRequest(control.address, spec.filters, since))
        return out

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome:
        outcome = Outcome()
        for control in controls:
            spec = BudgetSpec.of(control.spec)
            result = series.get(control.address)
            if result is None:
                continue
            for key in result.missing:
                outcome.warnings.append(
                    f"{control.address}: no cost row has a value for {key!r} "
                    "(a dimension or tag key), so the budget sums nothing"
                )
            problem = currency_problem(control.address, spec, result.currencies)
            if problem:
                outcome.errors.append(problem)
                continue
            status = status_of(control.name, spec, ctx.at, result.total())
            if status is None:
                continue
            outcome.budgets.append(status)
            label = period_label(spec.period, status.start)
            for alert in spec.alerts:
                fired = AlertFired(alert.threshold, alert.type)
                if fired not in status.alerts_fired:
                    continue
                outcome.findings.append(
                    Finding(
                        kind=self.kind, name=control.name, type=f"budget_{alert.type}",
                        key=f"{percent(alert.threshold)} {label}", severity=alert_severity(alert),
                        message=alert_message(status, fired), location=control.location,
                        details={"threshold": alert.threshold, "period": label},
                    )
                )  # fmt: skip
        return outcome
