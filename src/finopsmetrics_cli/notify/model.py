"""What notifying is made of: the options, the channels messages go to, the
messages (one finding, or a digest of several), and what became of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from finopsmetrics_cli.evaluate.model import Finding

#: trigger: the finding is new (or was never delivered); resolve: it went away;
#: escalate:N: still open after the rule's N-th escalation step
Event = str
DeliveryStatus = Literal["sent", "failed"]


@dataclass(frozen=True, slots=True)
class NotifyOptions:
    """``send=False`` is a dry run: routed and rendered, nothing sent or recorded.

    Retries: ``attempts`` tries per message, waiting ``backoff`` seconds after
    the first failure, doubling up to ``max_backoff``.
    """

    send: bool = False
    timeout: float = 10.0
    attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    #: the clock of quiet hours, rate limits and escalation (tests pin it)
    now: datetime | None = None
    environ: Mapping[str, str] | None = None
    #: ``settings.console_url`` where a config is at hand (reconcile); a channel's own wins
    console_url: str | None = None

    @classmethod
    def from_environ(cls, *, send: bool, environ: Mapping[str, str]) -> NotifyOptions:
        """Options with the operator's overrides: ``FINOPSMETRICS_NOTIFY_TIMEOUT``,
        ``_ATTEMPTS``, ``_BACKOFF`` and ``_MAX_BACKOFF`` (seconds; attempts a count)."""
        from finopsmetrics_cli.errors import NotificationError

        values: dict[str, Any] = {}
        for key, field_name, kind in (
            ("TIMEOUT", "timeout", float), ("ATTEMPTS", "attempts", int),
            ("BACKOFF", "backoff", float), ("MAX_BACKOFF", "max_backoff", float),
        ):  # fmt: skip
            raw = environ.get(f"FINOPSMETRICS_NOTIFY_{key}")
            if raw is None or raw == "":
                continue
            try:
                value = kind(raw)
            except ValueError:
                value = -1
            if value < (1 if kind is int else 0):
                what = "a count >= 1" if kind is int else "a number of seconds >= 0"
                raise NotificationError(f"FINOPSMETRICS_NOTIFY_{key} must be {what}, got {raw!r}")
            values[field_name] = value
        return cls(send=send, **values)


@dataclass(frozen=True, slots=True)
class Channel:
    """A declared notification_channel, as live state holds it (secrets as references)."""

    name: str
    type: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type})"


@dataclass(frozen=True, slots=True)
class Item:
    """One finding and what happened to it, on its way to one channel."""

    finding: Finding
    event: Event
    rule: str | None  # the notification_rule that routed it; None: the object's own alert
    recipients: tuple[str, ...] = ()
    #: figures for the message: amount/actual/percent of a budget, actual/expected of an anomaly
    context: dict[str, Any] = field(default_factory=dict)
    #: the rule's ``format``: executive_summary (figures only) or technical_details (all)
    format: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.finding.id, self.event)


@dataclass(slots=True)
class Message:
    """What one request (or one mail) carries: a finding, or a digest of findings."""

    id: str
    channel: Channel
    items: list[Item]
    rule: str | None
    digest: bool = False
    console_url: str | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.update(dict.fromkeys(item.recipients))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Held:
    """Routed but not sent this time (quiet hours, rate limit, digest window)."""

    channel: str
    item: Item
    reason: str


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """A name an alert or rule sends to that no declared channel answers to."""

    target: str
    item: Item
    reason: str


@dataclass(slots=True)
class Delivery:
    message: Message
    status: DeliveryStatus
    attempts: int
    error: str | None = None
    http_status: int | None = None


@dataclass(slots=True)
class NotifyReport:
    dry_run: bool
    messages: list[Message] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    undeliverable: list[Undeliverable] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and (self.dry_run or not self.undeliverable)
