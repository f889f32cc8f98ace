"""Budgets (seed 8.1, 8.2, 8.3): a spending limit per period, with alerts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StrictBool, ValidationInfo, field_validator

from finopsmetrics_cli.models.base import KindModel, StrictModel, register_kind
from finopsmetrics_cli.models.common import (
    Priority,
    channel_ref,
    description_field,
    enabled_field,
    team_ref,
)
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    CurrencyCode,
    FilterMap,
    PositiveNumber,
    RefName,
    RefNameList,
    Threshold,
    new_list,
)

Period = Annotated[str, ChoiceOf("daily", "weekly", "monthly", "quarterly", "yearly")]
AlertBasis = Annotated[
    str,
    ChoiceOf(
        "actual",
        "forecasted",
        description="Alert on actual spend or on the forecast for the period.",
    ),
]


class BudgetAlert(StrictModel):
    """One alert of a budget: fires when spend (or forecast) crosses the threshold."""

    threshold: Threshold = Field(
        description="Fraction of the amount that fires the alert: 0.8 or 80%; up to 10 (1000%)."
    )
    type: AlertBasis = Field(
        "actual", description="actual (spend so far) or forecasted (end of period)."
    )
    channels: RefNameList = Field(
        default_factory=new_list,
        description="Declared notification_channel names or built-in types (slack, email ...).",
    )
    recipients: RefNameList = Field(
        default_factory=new_list,
        description="Emails, personas or chat channels (#ml-team) to notify.",
    )
    priority: Priority | None = Field(None, description="low, medium, high or critical.")


@register_kind(
    "budget",
    section="budgets",
    seed="8.1, 8.2, 8.3",
    references=(channel_ref("alerts.*.channels.*"), team_ref("owner")),
    immutable=("currency",),
)
class Budget(KindModel):
    """A spending limit over a period (monthly, quarterly ...) with threshold alerts."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    amount: PositiveNumber = Field(description="The limit per period, in `currency`.")
    period: Period = Field("monthly", description="daily, weekly, monthly, quarterly or yearly.")
    currency: CurrencyCode = Field(
        "USD",
        description="ISO 4217 code. Changing it replaces the budget (history is per currency).",
    )
    filters: FilterMap = Field(
        default_factory=dict,
        description="Which costs count: dimension -> value(s), e.g. service: ml-training.",
    )
    owner: RefName | None = Field(
        None, description="The team that owns the budget (a declared team)."
    )
    start_date: date | None = Field(None, description="First day the budget applies (YYYY-MM-DD).")
    end_date: date | None = Field(None, description="Last day the budget applies (YYYY-MM-DD).")
    alerts: list[BudgetAlert] = Field(
        default_factory=new_list, description="Threshold alerts; one per threshold and type."
    )

    @field_validator("alerts")
    @classmethod
    def _distinct_alerts(cls, alerts: list[BudgetAlert]) -> list[BudgetAlert]:
        seen: set[tuple[float, str]] = set()
        for index, alert in enumerate(alerts):
            key = (alert.threshold, alert.type)
            if key in seen:
                raise custom_error(
                    "duplicate_item",
                    "two {basis} alerts at threshold {threshold}",
                    at=(index, "threshold"),
                    basis=alert.type,
                    threshold=alert.threshold,
                )
            seen.add(key)
        return alerts

    @field_validator("end_date")
    @classmethod
    def _dates_in_order(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if end is not None and start is not None and end < start:
            raise custom_error(
                "not_positive",
                "end_date {end} is before start_date {start}",
                end=str(end),
                start=str(start),
            )
        return end
