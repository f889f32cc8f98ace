"""Which finding goes to which channel, when: pure, no I/O.

A finding goes to the channels of its object's own alert (a budget alert's
``channels``, a detector's ``alerts.channels``, a policy's ``notification``)
and to those of every ``notification_rule`` that selects it (kind, alert type,
severity, owner, filters). A name is a declared channel, a rule's persona
(its channels), or a built-in type meaning the one declared channel of that
type. Then the delivery log removes what was already sent, and each rule's
quiet hours, rate limit and digest frequency hold back what must wait.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from finopsmetrics_cli.evaluate.model import Anomaly, EvaluationResult, Finding, severity_rank
from finopsmetrics_cli.models.schedules import duration_seconds
from finopsmetrics_cli.notify.log import DeliveryLog
from finopsmetrics_cli.notify.model import Channel, Held, Item, Message, Undeliverable

_DIGEST_WINDOWS = {
    "hourly": timedelta(hours=1),
    "daily_digest": timedelta(days=1),
    "weekly_digest": timedelta(days=7),
    "monthly_digest": timedelta(days=30),
}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    spec: dict[str, Any]

    @property
    def channels(self) -> list[str]:
        return list(self.spec.get("channels") or [])


@dataclass(slots=True)
class Routed:
    messages: list[Message] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    undeliverable: list[Undeliverable] = field(default_factory=list)


def alert_names(finding: Finding) -> set[str]:
    """The alert types a rule's ``alerts:`` may name for this finding."""
    names = {finding.type, finding.kind}
    threshold = finding.details.get("threshold")
    over = isinstance(threshold, int | float) and threshold >= 1
    if finding.type == "budget_actual":
        names |= {"budget_alert", "budget_threshold"} | ({"budget_exceeded"} if over else set())
    elif finding.type == "budget_forecasted":
        names |= {"budget_alert", "budget_forecast", "forecast_variance"}
        names |= {"forecast_exceeded"} if over else set()
    elif finding.type == "anomaly":
        names |= {"anomaly_detection", "cost_anomaly", "cost_spike"}
    elif finding.kind in ("policy", "lifecycle_rule", "compliance_framework", "automation_rule"):
        names |= {"policy_violation"}
    elif finding.kind in ("tag_rule", "ownership_rule"):
        names |= {"tag_coverage", "untagged_resources"}
    return names


def rule_selects(rule: Rule, finding: Finding, spec: Mapping[str, Any]) -> bool:
    """Does ``rule`` route ``finding`` (``spec``: the finding's object)?"""
    s = rule.spec
    if not s.get("enabled", True) or s.get("persona") is None:
        return False  # approval routes (``action``) carry approval requests, not findings
    if s.get("kinds") and finding.kind not in s["kinds"]:
        return False
    if s.get("alerts") and not alert_names(finding) & set(s["alerts"]):
        return False
    minimum = s.get("min_severity")
    if minimum and severity_rank(finding.severity) < severity_rank(minimum):
        return False
    owner = spec.get("owner") or spec.get("team")
    if s.get("owners") and owner not in s["owners"]:
        return False
    return all(
        _filter_matches(key, want, finding, spec) for key, want in (s.get("filters") or {}).items()
    )


def _filter_matches(key: str, want: Any, finding: Finding, spec: Mapping[str, Any]) -> bool:
    patterns = [str(w) for w in (want if isinstance(want, list) else [want])]
    series = finding.details.get("series") or {}
    values: list[Any] = []
    if isinstance(series, dict) and series.get(key) is not None:
        values.append(series[key])
    declared = (spec.get("filters") or {}).get(key)
    if declared is not None:
        values.extend(declared if isinstance(declared, list) else [declared])
    return any(fnmatch.fnmatchcase(str(v), p) for v in values for p in patterns)


def own_alert(finding: Finding, spec: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The channels and recipients the finding's object names itself."""
    if finding.kind == "budget":
        basis = finding.type.removeprefix("budget_")
        for alert in spec.get("alerts") or []:
            if (
                alert.get("threshold") == finding.details.get("threshold")
                and alert.get("type", "actual") == basis
            ):
                return list(alert.get("channels") or []), list(alert.get("recipients") or [])
        return [], []
    alerts = spec.get("alerts")
    if isinstance(alerts, dict):
        return list(alerts.get("channels") or []), list(alerts.get("recipients") or [])
    notification = spec.get("notification")
    if isinstance(notification, str):
        return [notification], []
    if isinstance(notification, list):
        return [str(n) for n in notification], []
    return [], []


class Resolver:
    """Names (channel, persona, built-in type) to declared channels."""

    def __init__(self, channels: Mapping[str, Channel], rules: Sequence[Rule]) -> None:
        self.channels = channels
        self.personas = {
            r.spec["persona"]: r
            for r in rules
            if r.spec.get("persona") and r.spec.get("enabled", True)
        }
        self.by_type: dict[str, list[Channel]] = {}
        for channel in channels.values():
            self.by_type.setdefault(channel.type, []).append(channel)

    def resolve(self, name: str, seen: frozenset[str] = frozenset()) -> list[Channel] | str:
        """The channels ``name`` means, or why it means none."""
        if name in self.channels:
            return [self.channels[name]]
        rule = self.personas.get(name)
        if rule is not None and name not in seen:
            found: list[Channel] = []
            for target in rule.channels:
                got = self.resolve(target, seen | {name})
                if isinstance(got, list):
                    found.extend(c for c in got if c not in found)
            return found or f"persona {name!r} has no deliverable channel"
        typed = self.by_type.get(name)
        if typed and len(typed) == 1:
            return typed
        if typed:
            names = ", ".join(sorted(c.name for c in typed))
            return f"{name!r} is ambiguous: {len(typed)} {name} channels are declared ({names})"
        from finopsmetrics_cli.models.common import CHANNEL_TYPES

        if name in CHANNEL_TYPES:
            return f"no notification_channel of type {name} is declared"
        return f"no notification_channel, persona or channel type is named {name!r}"


class Figures:
    """The figures a message shows beside a finding's text, looked up by name (built
    once per run: a scan per finding would be quadratic)."""

    def __init__(self, result: EvaluationResult) -> None:
        self.budgets = {b.name: b for b in result.budgets}
        self.anomalies: dict[tuple[str, date | None, tuple[tuple[str, str], ...]], Anomaly] = {
            (a.detector, a.day, _series_key(a.series)): a for a in result.anomalies
        }

    def of(self, finding: Finding) -> dict[str, Any]:
        if finding.kind == "budget" and (b := self.budgets.get(finding.name)) is not None:
            return {
                "currency": b.currency, "amount": b.amount, "actual": round(b.actual, 2),
                "forecast": round(b.forecast, 2), "percent_actual": round(b.percent_actual, 4),
                "percent_forecast": round(b.percent_forecast, 4),
                "period": f"{b.start.isoformat()}..{b.end.isoformat()}",
            }  # fmt: skip
        if finding.type == "anomaly":
            series = finding.details.get("series")
            key = (
                finding.name,
                finding.day,
                _series_key(series if isinstance(series, dict) else {}),
            )
            if (a := self.anomalies.get(key)) is not None:
                return {"actual": round(a.actual, 2), "expected": round(a.expected, 2),
                        "impact": round(a.impact, 2), "date": a.day.isoformat()}  # fmt: skip
        return {}


def _series_key(series: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in series.items()))


def route(
    result: EvaluationResult,
    objects: Mapping[str, Mapping[str, Any]],
    channels: Mapping[str, Channel],
    rules: Sequence[Rule],
    log: DeliveryLog,
    now: datetime,
    console_url: str | None = None,
) -> Routed:
    """Messages due now, and what is held or cannot be delivered."""
    resolver = Resolver(channels, rules)
    figures = Figures(result)
    routed = Routed()
    #: (channel, finding id, event) -> (item, rule) : the first route wins
    due: dict[tuple[str, str, str], tuple[Item, Rule | None]] = {}
    for finding in result.findings:
        spec = objects.get(finding.address, {})
        context = figures.of(finding)
        fid = finding.id  # a sha256: once per finding
        for targets, rule, recipients, event in _routes(finding, spec, rules, now):
            item = Item(finding, event, rule.name if rule else None, tuple(recipients), context,
                        rule.spec.get("format") if rule else None)  # fmt: skip
            for target in targets:
                got = resolver.resolve(target)
                if isinstance(got, str):
                    if event != "resolve":
                        routed.undeliverable.append(Undeliverable(target, item, got))
                    continue
                for channel in got:
                    key = (channel.name, fid, event)
                    if key in due or log.delivered(*key):
                        continue
                    if event == "resolve" and not _resolves(channel, rule, log, fid):
                        continue
                    due[key] = (item, rule)
    _hold_and_group(routed, due, channels, log, now, console_url)
    return routed


def _routes(
    finding: Finding, spec: Mapping[str, Any], rules: Sequence[Rule], now: datetime
) -> Iterable[tuple[list[str], Rule | None, list[str], str]]:
    event = "resolve" if finding.status == "resolved" else "trigger"
    channels, recipients = own_alert(finding, spec)
    if channels:
        yield channels, None, recipients, event
    for rule in rules:
        if not rule_selects(rule, finding, spec):
            continue
        persona = [str(rule.spec["persona"])]
        yield rule.channels, rule, recipients + persona, event
        if event == "trigger" and finding.first_seen is not None:
            for index, step in enumerate(rule.spec.get("escalation") or [], start=1):
                if now - finding.first_seen >= timedelta(seconds=duration_seconds(step["after"])):
                    yield list(step["channels"]), rule, recipients + persona, f"escalate:{index}"


def _resolves(channel: Channel, rule: Rule | None, log: DeliveryLog, fid: str) -> bool:
    """A resolution goes where the trigger went, to PagerDuty always (it closes the
    incident) and elsewhere only when the rule asks for it."""
    if not log.delivered(channel.name, fid, "trigger"):
        return False
    return channel.type == "pagerduty" or bool(rule and rule.spec.get("notify_resolved"))


def _hold_and_group(
    routed: Routed,
    due: Mapping[tuple[str, str, str], tuple[Item, Rule | None]],
    channels: Mapping[str, Channel],
    log: DeliveryLog,
    now: datetime,
    console_url: str | None,
) -> None:
    digests: dict[tuple[str, str], Message] = {}
    sent_now: dict[str, int] = {}
    for (channel_name, _fid, _event), (item, rule) in due.items():
        channel = channels[channel_name]
        link = channel.spec.get("console_url") or console_url
        spec = rule.spec if rule else {}
        reason = _quiet(spec.get("quiet_hours"), item, now)
        window = _DIGEST_WINDOWS.get(spec.get("frequency", "real_time"))
        digest = rule if window is not None and channel.type != "pagerduty" else None
        if reason is None and digest is not None and window is not None:
            last = log.last_message(channel.name, digest.name)
            if last is not None and now - last < window:
                reason = f"{spec['frequency']}: next digest after {_clock(last + window)}"
        if reason is None and (limit := spec.get("rate_limit")):
            per = timedelta(seconds=duration_seconds(limit["per"]))
            used = log.messages_since(channel.name, now - per) + sent_now.get(channel.name, 0)
            joining = digest is not None and (digest.name, channel.name) in digests
            if used >= int(limit["max"]) and not joining:
                reason = f"rate limit {limit['max']} per {limit['per']} reached"
        if reason is not None:
            routed.held.append(Held(channel.name, item, reason))
            continue
        if digest is not None:
            key = (digest.name, channel.name)
            if key not in digests:
                digests[key] = Message(_new_id(), channel, [], digest.name, True, link)
                routed.messages.append(digests[key])
                sent_now[channel.name] = sent_now.get(channel.name, 0) + 1
            digests[key].items.append(item)
            continue
        routed.messages.append(Message(_new_id(), channel, [item], item.rule, False, link))
        sent_now[channel.name] = sent_now.get(channel.name, 0) + 1


def _quiet(quiet: Mapping[str, Any] | None, item: Item, now: datetime) -> str | None:
    """Why ``item`` waits for the end of quiet hours, or None (critical never waits)."""
    if not quiet or item.finding.severity == "critical" or item.event == "resolve":
        return None
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(quiet.get("time_zone", "UTC"))
    local = now.replace(tzinfo=_utc()).astimezone(zone)
    start, end = _hhmm(quiet["start"]), _hhmm(quiet["end"])
    days = quiet.get("days") or list(_WEEKDAYS)
    clock = local.time()
    if start < end:
        inside = start <= clock < end and _WEEKDAYS[local.weekday()] in days
    else:  # crosses midnight: the evening part starts today, the morning part started yesterday
        started = local if clock >= start else local - timedelta(days=1)
        inside = (clock >= start or clock < end) and _WEEKDAYS[started.weekday()] in days
    if not inside:
        return None
    return f"quiet hours until {quiet['end']} {zone.key}"


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _utc() -> Any:
    from datetime import UTC

    return UTC


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _new_id() -> str:
    return f"M{uuid.uuid4().hex[:15]}"
