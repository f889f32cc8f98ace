"""Notifications (seed 2.1, 6.2, 7.3): channels (with secret references) and
per-persona routing rules, including chat approval routes."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, StrictModel, content_hash, register_kind
from finopsmetrics_cli.models.common import (
    Severity,
    channel_ref,
    description_field,
    enabled_field,
    team_ref,
)
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.optimization import TimeOfDay, Weekday
from finopsmetrics_cli.models.secrets import SecretRef
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    Duration,
    Email,
    EmailList,
    FilterMap,
    Identifier,
    IdentifierList,
    PositiveInt,
    RefNameList,
    TimeZone,
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
#: Types declared in the file format that nothing delivers to yet: refused by
#: ``validate`` rather than accepted and then dropped at send time.
NOT_DELIVERABLE = ("jira", "servicenow", "sms")


class SmtpServer(StrictModel):
    """The SMTP server an email channel sends through (STARTTLS unless turned off)."""

    host: str = Field(description="Server host name, or ${env:NAME}.")
    port: PositiveInt = Field(587, description="Server port (587: submission with STARTTLS).")
    username: str | None = Field(None, description="Login user, or ${env:NAME}.")
    password: SecretRef | None = Field(None, description="Login password, as a secret reference.")
    from_address: Email = Field(description="The From: address of the mail.")
    starttls: StrictBool = Field(
        True, description="Upgrade the connection with STARTTLS (false only for a local relay)."
    )


@register_kind(
    "notification_channel",
    section="notification_channels",
    seed="2.1, 7.3",
    immutable=("type",),
    secret_fields=(
        "webhook_url", "token", "integration_key", "headers.*", "signing_secret", "smtp.password",
    ),
)  # fmt: skip
class NotificationChannel(KindModel):
    """A place notifications go. Credentials are `${env:...}`/`${file:...}`
    references, never values."""

    type: ChannelType = Field(
        description=(
            "slack, teams, email, pagerduty or webhook (jira, servicenow and sms are refused: "
            "not deliverable yet). Changing it replaces the channel."
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
        None,
        description="PagerDuty: the Events API v2 endpoint (default "
        "https://events.pagerduty.com/v2/enqueue; the EU one is events.eu.pagerduty.com). "
        "Slack with a token: the chat.postMessage endpoint (default "
        "https://slack.com/api/chat.postMessage).",
    )
    signing_secret: SecretRef | None = Field(
        None,
        description="Webhook: shared secret of the X-Finopsmetrics-Signature HMAC-SHA256 "
        "header, as a secret reference.",
    )
    smtp: SmtpServer | None = Field(None, description="Email: the SMTP server to send through.")
    console_url: str | None = Field(
        None, description="Base URL of your console: messages link each finding there."
    )
    project: str | None = Field(
        None, description="Jira project key or ServiceNow assignment group."
    )

    @model_validator(mode="after")
    def _has_destination(self) -> Self:
        if self.type in NOT_DELIVERABLE:
            raise custom_error(
                "not_deliverable",
                "{type} channels are not deliverable yet: alerts sent to it would be lost",
                at=("type",),
                type=self.type,
            )
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


class QuietHours(StrictModel):
    """Hours when only critical findings are sent; the rest wait for the end."""

    start: TimeOfDay = Field(description="Start, HH:MM.")
    end: TimeOfDay = Field(description="End, HH:MM (before start = crosses midnight).")
    time_zone: TimeZone = Field("UTC", description="IANA time zone of start and end.")
    days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        description="Days the quiet hours start on.",
    )


    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise custom_error(
                "invalid_time", "quiet hours start and end are both {time}", at=("end",),
                time=self.start,
            )  # fmt: skip
        return self


class RateLimit(StrictModel):
    """At most ``max`` messages per channel in any window of ``per``; the rest wait."""

    max: PositiveInt = Field(description="Messages per window and channel.")
    per: Duration = Field("1h", description="The window, e.g. 1h.")


class EscalationStep(StrictModel):
    """A finding still open this long after it was first seen goes to more channels."""

    after: Duration = Field(description="How long the finding has been open, e.g. 4h.")
    channels: RefNameList = Field(description="Channels (names or types) to escalate to.")


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
    references=(
        channel_ref("channels.*"), channel_ref("escalation.*.channels.*"), team_ref("owners.*"),
    ),
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
    kinds: IdentifierList = Field(
        default_factory=new_list,
        description="Only findings of these kinds (budget, anomaly_detector ...); empty: all.",
    )
    min_severity: Severity | None = Field(
        None, description="Only findings at or above this severity."
    )
    owners: RefNameList = Field(
        default_factory=new_list, description="Only findings of objects these teams own."
    )
    filters: FilterMap = Field(
        default_factory=dict,
        description="Only findings whose object filters or anomaly series match, e.g. "
        "service: ml-training (globs allowed).",
    )
    quiet_hours: QuietHours | None = Field(
        None, description="Hold non-critical messages during these hours."
    )
    rate_limit: RateLimit | None = Field(
        None, description="At most this many messages per channel per window."
    )
    notify_resolved: StrictBool = Field(
        False, description="Also send a message when a finding resolves."
    )
    escalation: list[EscalationStep] = Field(
        default_factory=new_list,
        description="Findings still open after a while go to more channels.",
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
