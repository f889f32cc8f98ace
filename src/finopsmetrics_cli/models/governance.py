"""Governance (seed 6.1, 6.2, 6.4, 8.1, 8.3): policies, approval workflows,
compliance frameworks."""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from finopsmetrics_cli.models.base import KindModel, Ref, StrictModel, register_kind
from finopsmetrics_cli.models.common import (
    Severity,
    description_field,
    enabled_field,
    notification_ref,
    persona_ref,
    reject_duplicates,
)
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import (
    SHORTHAND,
    ChoiceOf,
    Condition,
    Duration,
    Identifier,
    IdentifierList,
    PositiveNumber,
    RefName,
    RefNameList,
    duration_seconds,
    new_list,
)

PolicyActionType = Annotated[
    str,
    ChoiceOf(
        "alert",
        "notify",
        "require_approval",
        "prevent",
        "remediate",
        "log",
        description="What happens when the condition holds.",
    ),
]


def _action_shorthand(value: Any) -> Any:
    """``action: require_approval`` (6.1) means ``action: {type: require_approval}`` (8.3)."""
    return {"type": value} if isinstance(value, str) else value


class PolicyAction(StrictModel):
    """What a policy does when its condition holds."""

    type: PolicyActionType = Field(
        description="alert, notify, require_approval, prevent, remediate or log."
    )
    approvers: RefNameList = Field(
        default_factory=new_list, description="Roles or emails that can approve (require_approval)."
    )
    approval_workflow: RefName | None = Field(
        None, description="A declared approval_workflow that handles the approval."
    )


@register_kind(
    "policy",
    section="policies",
    seed="6.1, 8.1, 8.2, 8.3",
    references=(
        Ref("action.approval_workflow", "approval_workflow"),
        persona_ref("action.approvers.*"),
        notification_ref("notification.*"),
        Ref("exception_process", "approval_workflow", required=False, severity="warning"),
        Ref("compliance_framework", "compliance_framework", required=False, severity="warning"),
    ),
    condition_fields=("condition",),
)
class Policy(KindModel):
    """A guardrail: a condition over resources/requests and the action taken when it holds."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    condition: Condition = Field(
        description="When the policy applies (the condition language)."
    )
    action: Annotated[PolicyAction, BeforeValidator(_action_shorthand)] = Field(
        description="A type (`require_approval`) or `{type, approvers, approval_workflow}`.",
        json_schema_extra={SHORTHAND: {"type": "string"}},
    )
    approvers: RefNameList | None = Field(
        None, description="Shorthand for action.approvers; merged into the action."
    )
    notification: RefNameList = Field(
        default_factory=new_list, description="Channel types, channels or personas to notify."
    )
    severity: Severity = Field("medium", description="low, medium, high or critical.")
    remediation: Identifier | None = Field(
        None, description="Automatic remediation to run, e.g. auto_enable_encryption."
    )
    exception_process: RefName | None = Field(
        None, description="How to request an exception (usually an approval workflow name)."
    )
    compliance_framework: Identifier | None = Field(
        None, description="The compliance framework this policy enforces (gdpr, soc2 ...)."
    )

    @model_validator(mode="after")
    def _merge_approvers(self) -> Self:
        if self.approvers:
            merged = list(dict.fromkeys([*self.action.approvers, *self.approvers]))
            self.action = self.action.model_copy(update={"approvers": merged})
        self.approvers = None
        if self.action.type == "require_approval" and not (
            self.action.approvers or self.action.approval_workflow
        ):
            raise custom_error(
                "missing_one_of",
                "action require_approval needs approvers or an approval_workflow",
                at=("action",),
            )
        return self


class ApprovalStage(StrictModel):
    """One stage: any listed approver approves within the SLA."""

    stage: Identifier = Field(description="Stage name, unique within the workflow.")
    approvers: RefNameList = Field(min_length=1, description="Roles or emails; at least one.")
    sla_hours: PositiveNumber = Field(
        24, description="Hours before the stage breaches its SLA (> 0)."
    )
    require: Annotated[str, ChoiceOf("any", "all")] = Field(
        "any", description="Whether any approver suffices or all must approve."
    )


_BREACH_KEY = re.compile(r"^sla_breach_(.+)$")


def _escalation_shorthand(value: Any) -> Any:
    """``- sla_breach_24h: notify_manager`` (6.2) means ``{after: 24h, action: notify_manager}``."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, action),) = value.items()
        match = _BREACH_KEY.match(str(key))
        if match:
            return {"after": match[1], "action": action}
    return value


class Escalation(StrictModel):
    """What happens when a request is pending this long after an SLA breach."""

    model_config = ConfigDict(
        json_schema_extra={
            SHORTHAND: {
                "type": "object",
                "patternProperties": {"^sla_breach_": {"type": "string"}},
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,
            }
        }
    )

    after: Duration = Field(description="Time pending before escalating, e.g. 24h.")
    action: Annotated[
        str,
        ChoiceOf(
            "notify_manager",
            "notify",
            "escalate",
            "auto_approve",
            "auto_reject",
            description="notify_manager, notify, escalate, auto_approve or auto_reject.",
        ),
    ] = Field(description="The escalation action.")


@register_kind(
    "approval_workflow",
    section="approval_workflows",
    seed="6.2",
    references=(persona_ref("stages.*.approvers.*"),),
)
class ApprovalWorkflow(KindModel):
    """A multi-stage approval with SLAs and escalation (RI purchases, exceptions ...)."""

    description: str | None = description_field()
    stages: list[ApprovalStage] = Field(description="Ordered stages; at least one.")
    escalation: list[Annotated[Escalation, BeforeValidator(_escalation_shorthand)]] = Field(
        default_factory=new_list,
        description="`- sla_breach_24h: notify_manager` or `- {after: 24h, action: ...}`.",
    )

    @field_validator("stages")
    @classmethod
    def _stages(cls, stages: list[ApprovalStage]) -> list[ApprovalStage]:
        if not stages:
            raise custom_error("empty_stages", "an approval workflow needs at least one stage")
        reject_duplicates(stages, "stage", "stage")
        return stages

    @field_validator("escalation")
    @classmethod
    def _escalation(cls, steps: list[Escalation]) -> list[Escalation]:
        for index in range(1, len(steps)):
            if duration_seconds(steps[index].after) <= duration_seconds(steps[index - 1].after):
                raise custom_error(
                    "duplicate_item",
                    "escalation steps must be in increasing order of time; "
                    "{after} follows {before}",
                    at=(index, "after"),
                    after=steps[index].after,
                    before=steps[index - 1].after,
                )
        return steps


Frequency = Annotated[
    str,
    ChoiceOf("continuous", "hourly", "daily", "weekly", "monthly"),
]
FRAMEWORKS = ("soc2", "gdpr", "hipaa", "pci_dss", "iso27001", "custom")


class Control(StrictModel):
    """One control of a framework and the checks that evidence it."""

    id: str = Field(min_length=1, description="Control identifier, e.g. CC6.1.")
    description: str | None = description_field()
    checks: IdentifierList = Field(min_length=1, description="Check names, e.g. iam_mfa_enabled.")
    frequency: Frequency = Field(
        "daily", description="continuous, hourly, daily, weekly or monthly."
    )


@register_kind(
    "compliance_framework",
    section="compliance_checks",
    seed="6.4",
    aliases=("compliance_frameworks",),
    immutable=("framework",),
)
class ComplianceFramework(KindModel):
    """Automated compliance checks for a framework (soc2 controls, gdpr requirements)."""

    framework: Annotated[str, ChoiceOf(*FRAMEWORKS)] = Field(
        description="soc2, gdpr, hipaa, pci_dss, iso27001 or custom; defaults from the name."
    )
    description: str | None = description_field()
    controls: list[Control] = Field(
        default_factory=new_list, description="Controls with their checks."
    )
    requirements: IdentifierList = Field(
        default_factory=new_list,
        description="Check names that must pass (frameworks without controls).",
    )
    frequency: Frequency = Field("daily", description="How often `requirements` are checked.")

    @classmethod
    def body_defaults_fields(cls) -> tuple[str, ...]:
        return ("framework",)

    @classmethod
    def coerce_body(cls, name: str, body: Any) -> dict[str, Any]:
        """``framework`` defaults from the name (``soc2:`` -> soc2, else custom)."""
        data = super().coerce_body(name, body)
        if "framework" not in data:
            known = name.strip().lower().replace("-", "_")
            data["framework"] = known if known in FRAMEWORKS else "custom"
        return data

    @field_validator("controls")
    @classmethod
    def _unique_controls(cls, controls: list[Control]) -> list[Control]:
        reject_duplicates(controls, "id", "control")
        return controls

    @model_validator(mode="after")
    def _has_checks(self) -> Self:
        if not self.controls and not self.requirements:
            raise custom_error(
                "missing_one_of", "a compliance framework needs controls or requirements"
            )
        return self
