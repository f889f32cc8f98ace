"""Detection and optimisation (seed 3.1, 3.2, 3.4, 3.5, 8.1): anomaly
detectors, automation rules, commitment and scheduling policies."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    model_validator,
)

from finopsmetrics_cli.models.base import KindModel, Ref, StrictModel, register_kind
from finopsmetrics_cli.models.common import (
    Severity,
    channel_ref,
    description_field,
    enabled_field,
    notification_ref,
    persona_ref,
    team_ref,
)
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.schedules import TimeZone
from finopsmetrics_cli.models.types import (
    SHORTHAND,
    ChoiceOf,
    Condition,
    Cron,
    Duration,
    FieldType,
    FilterMap,
    Horizon,
    Identifier,
    IdentifierList,
    NonNegativeNumber,
    Percent,
    Ratio,
    RefName,
    RefNameList,
    new_list,
)

DetectorType = Annotated[
    str,
    ChoiceOf(
        "isolation_forest",
        "prophet",
        "arima",
        "zscore",
        "mad",
        "ewma",
        "seasonal",
        description="Detection model.",
    ),
]


class DetectorModel(StrictModel):
    """The detection model: `model {type, sensitivity, window}`, or just its type."""

    type: DetectorType = Field(
        "isolation_forest",
        description=(
            "isolation_forest, prophet, arima, zscore, mad, ewma or seasonal (weekday-aware). "
            "Changing it replaces the detector."
        ),
    )
    sensitivity: Ratio = Field(
        0.95, description="0..1; higher flags smaller deviations (0.95 or 95%)."
    )
    window: Duration = Field("7d", description="Look-back window, e.g. 7d.")


def _model_shorthand(value: Any) -> Any:
    """``model: prophet`` (seed 3.1 ``AnomalyDetector(model="isolation_forest")``)."""
    return {"type": value} if isinstance(value, str) else value


def _default_model() -> DetectorModel:
    return DetectorModel.model_validate({})


class DetectorAlerts(StrictModel):
    """Where anomalies are sent: `alerts {channels, recipients}`."""

    channels: RefNameList = Field(
        default_factory=new_list,
        description="Declared notification_channel names or built-in types.",
    )
    recipients: RefNameList = Field(
        default_factory=new_list, description="Emails, personas or #chat-channels."
    )
    min_severity: Severity = Field("low", description="Only anomalies at or above this severity.")


def _default_alerts() -> DetectorAlerts:
    return DetectorAlerts.model_validate({})


class MinImpact(StrictModel):
    """How big an anomaly must be to be reported: both bounds must be passed."""

    absolute: NonNegativeNumber = Field(
        0.0, description="Least extra spend on the day, in the billing currency."
    )
    relative: Percent = Field(
        0.2, description="Least extra spend as a share of the expected spend (20% or 0.2)."
    )


def _default_min_impact() -> MinImpact:
    return MinImpact.model_validate({})


@register_kind(
    "anomaly_detector",
    section="anomaly_detectors",
    seed="3.1, 8.1",
    references=(channel_ref("alerts.channels.*"), team_ref("owner")),
    immutable=("model.type",),
)
class AnomalyDetector(KindModel):
    """Watches a cost series (filtered) with a model and alerts on anomalies."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    filters: FilterMap = Field(
        default_factory=dict, description="Which costs: dimension -> value(s)."
    )
    model: Annotated[DetectorModel, BeforeValidator(_model_shorthand)] = Field(
        default_factory=_default_model,
        description="`{type, sensitivity, window}`, or just the type (`model: prophet`).",
        json_schema_extra={SHORTHAND: {"type": "string"}},
    )
    group_by: IdentifierList = Field(
        default_factory=new_list,
        description="Watch one series per value of these dimensions or tag keys (service ...).",
    )
    min_impact: MinImpact = Field(
        default_factory=_default_min_impact,
        description="`{absolute, relative}`: smaller anomalies are not reported.",
    )
    alerts: DetectorAlerts = Field(
        default_factory=_default_alerts, description="Channels and recipients."
    )
    owner: RefName | None = Field(None, description="Owning team (a declared team).")


@register_kind(
    "automation_rule",
    section="automation_rules",
    seed="3.4",
    aliases=("automation_policy.rules",),
    references=(
        notification_ref("notification.*"),
        Ref("approval_workflow", "approval_workflow"),
    ),
    condition_fields=("condition",),
)
class AutomationRule(KindModel):
    """Takes an action on resources matching a condition (shutdown idle dev
    instances, recommend downsizing ...), optionally after approval."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    condition: Condition = Field(description="Which resources (the condition language).")
    action: Identifier = Field(
        description="shutdown, recommend_downsize, rightsize, scale, migrate, tag, notify ..."
    )
    parameters: dict[str, Any] = Field(default_factory=dict, description="Action parameters.")
    require_approval: StrictBool = Field(False, description="Ask for approval before acting.")
    approval_workflow: RefName | None = Field(
        None, description="A declared approval_workflow used when require_approval is true."
    )
    notification: RefNameList = Field(
        default_factory=new_list,
        description="Personas or channel types notified: [engineer, slack].",
    )
    schedule: Cron | None = Field(
        None, description="When the rule is evaluated (default: continuously)."
    )
    dry_run: StrictBool = Field(False, description="Report what would be done, do nothing.")

    @model_validator(mode="after")
    def _approval(self) -> Self:
        if self.approval_workflow is not None and not self.require_approval:
            raise custom_error(
                "missing_one_of",
                "approval_workflow needs require_approval: true",
                at=("approval_workflow",),
            )
        return self


_TERM = re.compile(r"^\s*(\d+)\s*(yr|y|years?|m|mo|months?)?\s*$", re.IGNORECASE)


def _term(value: Any) -> str:
    """``1yr`` / ``1y`` / ``1`` / ``12m`` -> ``1yr``; likewise for 3 years."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    match = _TERM.match(text)
    if match:
        count, unit = int(match[1]), (match[2] or "y").lower()
        years = count / 12 if unit.startswith("m") else count
        if years in (1, 3):
            return f"{int(years)}yr"
    raise custom_error("invalid_choice", "term must be 1yr or 3yr, got {value}", value=repr(value))


Term = Annotated[
    str,
    FieldType(
        _term,
        {"type": "string", "enum": ["1yr", "3yr"]},
        shorthand={
            "anyOf": [{"type": "string", "pattern": r"^\s*\d+\s*[a-zA-Z]*\s*$"}, {"enum": [1, 3]}]
        },
        doc="term (1yr or 3yr)",
    ),
]


@register_kind(
    "commitment_policy",
    section="commitment_policies",
    seed="3.2",
    references=(Ref("approval_workflow", "approval_workflow"),),
)
class CommitmentPolicy(KindModel):
    """How Reserved Instance / Savings Plan recommendations are made and bought."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    service: Identifier | None = Field(
        None, description="Service covered, e.g. ec2 (default: all)."
    )
    commitment_types: list[Annotated[str, ChoiceOf("reserved_instance", "savings_plan")]] = Field(
        default_factory=lambda: ["reserved_instance", "savings_plan"],
        description="reserved_instance and/or savings_plan.",
    )
    risk_tolerance: Annotated[str, ChoiceOf("conservative", "moderate", "aggressive")] = Field(
        "moderate", description="conservative, moderate or aggressive."
    )
    term: Term = Field("1yr", description="1yr or 3yr (1, 1y, 12m accepted).")
    payment_option: Annotated[str, ChoiceOf("no_upfront", "partial_upfront", "all_upfront")] = (
        Field("no_upfront", description="no_upfront, partial_upfront or all_upfront.")
    )
    coverage_target: Ratio | None = Field(
        None, description="Target share of usage covered, e.g. 70%."
    )
    lookback: Duration = Field("90d", description="Usage history analysed, e.g. 90d.")
    max_upfront: NonNegativeNumber | None = Field(
        None, description="Cap on upfront cost per purchase."
    )
    auto_purchase: StrictBool = Field(
        False, description="Buy without a human (needs approval_workflow otherwise)."
    )
    approval_workflow: RefName | None = Field(None, description="Approval workflow for purchases.")


_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def _time_of_day(value: Any) -> str:
    match = _TIME.match(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 readers turn 23:00 into a sexagesimal int; accept it back.
        return f"{value // 60:02d}:{value % 60:02d}"
    if not match:
        raise custom_error(
            "invalid_time", "expected a time of day HH:MM, got {value}", value=repr(value)
        )
    return f"{int(match[1]):02d}:{match[2]}"


TimeOfDay = Annotated[
    str,
    FieldType(
        _time_of_day,
        {"type": "string", "pattern": r"^\s*([01]?\d|2[0-3]):[0-5]\d\s*$"},
        doc="time of day (HH:MM)",
    ),
]
Weekday = Annotated[str, ChoiceOf("mon", "tue", "wed", "thu", "fri", "sat", "sun")]


class TimeWindow(StrictModel):
    """A recurring window, e.g. 23:00-06:00 on weekdays (may cross midnight)."""

    start: TimeOfDay = Field(description="Start, HH:MM.")
    end: TimeOfDay = Field(description="End, HH:MM (before start = crosses midnight).")
    days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        description="Days the window opens on.",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise custom_error(
                "invalid_time", "window start and end are both {time}", at=("end",), time=self.start
            )
        return self


@register_kind(
    "scheduling_policy", section="scheduling_policies", seed="3.5", references=(team_ref("team"),)
)
class SchedulingPolicy(KindModel):
    """When flexible workloads run to be cheap ("training jobs 11pm-6am on Spot")."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    workload_type: Identifier = Field(description="Workload class, e.g. batch_training.")
    selectors: FilterMap = Field(
        default_factory=dict, description="Which workloads: dimension -> value(s)."
    )
    team: RefName | None = Field(None, description="Owning team (a declared team).")
    flexibility: Annotated[str, ChoiceOf("low", "medium", "high")] = Field(
        "medium", description="How freely the workload may move: low, medium or high."
    )
    priority: Annotated[str, ChoiceOf("cost", "speed", "balanced")] = Field(
        "cost", description="Optimise for cost, speed or balanced."
    )
    windows: list[TimeWindow] = Field(
        default_factory=new_list, description="Allowed run windows (empty = any time)."
    )
    timezone: TimeZone = Field("UTC", description="IANA time zone of the windows.")
    use_spot: StrictBool = Field(False, description="Prefer Spot/preemptible capacity.")
    max_delay: Duration | None = Field(None, description="Longest a job may wait for a window.")


_CHANGE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d+)?)\s*%\s*$")
_NAMED_CHANGE = re.compile(r"^[a-z][a-z0-9_]*$")


def _change(value: Any) -> str:
    if isinstance(value, str):
        match = _CHANGE.match(value)
        if match:
            number = float(match[2])
            return f"{match[1]}{int(number) if number.is_integer() else number}%"
        named = value.strip().lower()
        if _NAMED_CHANGE.match(named):
            return named
    raise custom_error(
        "invalid_change",
        "expected a change such as +50%, -20% or a named change (ri_conversion), got {value}",
        value=repr(value),
    )


Change = Annotated[
    str,
    FieldType(
        _change,
        {"type": "string", "description": "+N%, -N% or a named change such as ri_conversion."},
        doc="change (+50%, -20%, ri_conversion)",
    ),
]


class ScenarioChange(StrictModel):
    """One what-if change."""

    service: Identifier = Field(description="Service changed, e.g. ml-training, ec2.")
    change: Change = Field(description="+50%, -20%, or a named change such as ri_conversion.")
    start_date: date | None = Field(
        None, description="When the change starts (YYYY-MM-DD); default: now."
    )
    coverage: Ratio | None = Field(None, description="Coverage for commitment changes, e.g. 0.7.")


@register_kind("scenario", section="scenarios", seed="7.4")
class Scenario(KindModel):
    """A what-if forecast: changes and variables applied to the baseline over a horizon."""

    description: str | None = description_field()
    changes: list[ScenarioChange] = Field(
        default_factory=new_list, description="Changes to the baseline."
    )
    horizon: Horizon = Field(
        "12m", description="Forecast horizon: 90d, 6m (months), 1y; 12m is stored as 1y."
    )
    variables: dict[str, Percent] = Field(
        default_factory=dict, description="Forecast variables, e.g. user_growth: 0.15 (or 15%)."
    )
    confidence_interval: Ratio = Field(
        0.95, description="Confidence of the forecast band, e.g. 0.95."
    )

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.changes and not self.variables:
            raise custom_error("missing_one_of", "a scenario needs changes or variables")
        return self


@register_kind(
    "saas_license_policy",
    section="saas_policies",
    seed="9.1",
    references=(persona_ref("recipients.*"),),
)
class SaasLicensePolicy(KindModel):
    """Finds unused or oversized SaaS licenses (GitHub, Jira, Slack ...) and acts on them."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    service: Identifier = Field(description="SaaS service, e.g. github, jira, slack.")
    inactive_threshold: Duration = Field(
        "90d", description="A seat inactive this long is unused, e.g. 90d."
    )
    usage_window: Duration | None = Field(
        None, description="Window for tier right-sizing, e.g. 90d."
    )
    action: Annotated[str, ChoiceOf("notify", "report", "downgrade", "reclaim")] = Field(
        "notify", description="notify, report, downgrade or reclaim."
    )
    require_approval: StrictBool = Field(
        True, description="Ask before downgrading or reclaiming seats."
    )
    recipients: RefNameList = Field(
        default_factory=new_list, description="Who is told: personas or emails."
    )
    exclude_users: list[str] = Field(
        default_factory=new_list, description="Users never touched (emails/logins)."
    )
