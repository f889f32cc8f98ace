"""Notifications (seed 2.1, 6.2, 7.3): channels (with secret references) and
per-persona routing rules, including chat approval routes."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, content_hash, register_kind
from finopsmetrics_cli.models.common import channel_ref, description_field, enabled_field
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.secrets import SecretRef
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    EmailList,
    Identifier,
    IdentifierList,
    RefNameList,
    new_list,
)

ChannelType = Annotated[
    str,
    ChoiceOf(
        "slack",
        "teams",
        "email",
        "pagerduty",
        "webhook",
        "sms",
        "jira",
        "servicenow",
        description="The channel type.",
    ),
]

# Which fields each channel type needs (any one of them).
_CHANNEL_NEEDS: dict[str, tuple[str, ...]] = {
    "slack": ("webhook_url", "token"),
    "teams": ("webhook_url",),
    "email": ("addresses",),
    "pagerduty": ("integration_key",),
    "webhook": ("webhook_url",),
    "sms": ("phone_numbers",),
    "jira": ("url",),
    "servicenow": ("url",),
}


@register_kind(
    "notification_channel",
    section="notification_channels",
    seed="2.1, 7.3",
    immutable=("type",),
    secret_fields=("webhook_url", "token", "integration_key", "headers.*"),
)
class NotificationChannel(KindModel):
    """A place notifications go. Credentials are `${env:...}`/`${file:...}`
    references, never values."""

    type: ChannelType = Field(
        description=(
            "slack, teams, email, pagerduty, webhook, sms, jira or servicenow. "
            "Changing it replaces the channel."
        )
    )
    description: str | None = description_field()
    webhook_url: SecretRef | None = Field(
        None, description="Incoming webhook URL, as a secret reference."
    )
    token: SecretRef | None = Field(None, description="API token, as a secret reference.")
    integration_key: SecretRef | None = Field(
        None, description="PagerDuty integration key, as a secret reference."
    )
    headers: dict[str, SecretRef] = Field(
        default_factory=dict,
        description="Extra HTTP headers for webhooks; values are secret references.",
    )
    channel: str | None = Field(None, description="Chat channel, e.g. #finops-alerts.")
    addresses: EmailList = Field(default_factory=new_list, description="Email recipients.")
    phone_numbers: list[str] = Field(
        default_factory=new_list, description="SMS recipients (E.164)."
    )
    url: str | None = Field(
        None, description="Base URL of a Jira or ServiceNow instance (not secret)."
    )
    project: str | None = Field(
        None, description="Jira project key or ServiceNow assignment group."
    )

    @model_validator(mode="after")
    def _has_destination(self) -> Self:
        needs = _CHANNEL_NEEDS[self.type]
        if not any(getattr(self, field) for field in needs):
            raise custom_error(
                "missing_one_of",
                "{article} {type} channel needs {needs}",
                article="an" if self.type[0] in "aeiou" else "a",
                type=self.type,
                needs=" or ".join(needs),
            )
        return self


Frequency = Annotated[
    str,
    ChoiceOf(
        "real_time",
        "hourly",
        "daily_digest",
        "weekly_digest",
        "monthly_digest",
        description="How often notifications are sent.",
    ),
]


def _notification_rule_name(body: dict[str, Any]) -> str:
    """Natural keys: the persona (2.1), or ``slack-approval-<action>`` (6.2)."""
    if isinstance(body, dict):
        if isinstance(body.get("persona"), str):
            return str(body["persona"]).strip().lower()
        if isinstance(body.get("action"), str):
            return f"slack-approval-{body['action'].strip().lower()}"
    return f"notification_rule-{content_hash(body)}"


@register_kind(
    "notification_rule",
    section="notification_rules",
    seed="2.1, 6.2",
    aliases=("slack_approvals",),
    references=(channel_ref("channels.*"),),
    derive_name=_notification_rule_name,
    section_defaults={"slack_approvals": {"channels": ["slack"]}},
)
class NotificationRule(KindModel):
    """Routes alerts to a persona's channels at a frequency and format; or, with
    `action`, routes approval requests of that action to a chat channel (the
    `slack_approvals` section; named `slack-approval-<action>`)."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    persona: Identifier | None = Field(None, description="Who receives: cfo, engineer, finance ...")
    channels: RefNameList = Field(
        default_factory=new_list,
        description="Declared notification_channel names or built-in types.",
    )
    frequency: Frequency = Field(
        "real_time", description="real_time, hourly or a daily/weekly/monthly digest."
    )
    alerts: IdentifierList = Field(
        default_factory=new_list,
        description="Alert types routed, e.g. budget_exceeded, cost_spike.",
    )
    format: Identifier | None = Field(
        None, description="Message format, e.g. executive_summary, technical_details."
    )
    action: Identifier | None = Field(
        None, description="Chat approval route: the action approved, e.g. ri_purchase."
    )
    channel: str | None = Field(
        None, description="Chat approval route: the chat channel, e.g. #finops-approvals."
    )
    message_template: str | None = Field(
        None,
        description="Chat approval route: message with {placeholders} filled from the request.",
    )

    @model_validator(mode="after")
    def _persona_or_action(self) -> Self:
        if self.persona is None and self.action is None:
            raise custom_error("missing_one_of", "a notification rule needs a persona or an action")
        if self.action is not None and not self.channel:
            raise custom_error("missing_one_of", "an approval route (action) needs a channel")
        if self.persona is not None and not self.channels:
            raise custom_error("missing_one_of", "a notification rule for a persona needs channels")
        return self
