"""Routing: which finding goes where and when (pure; no network, no state)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from finopsmetrics_cli.evaluate.model import EvaluationResult, Finding
from finopsmetrics_cli.notify.log import DeliveryLog, SentMessage
from finopsmetrics_cli.notify.model import Channel
from finopsmetrics_cli.notify.routing import Rule, alert_names, route

NOW = datetime(2024, 3, 20, 12, 0)  # naive UTC, a Wednesday
CHANNELS = {
    "eng-slack": Channel("eng-slack", "slack", {"type": "slack", "webhook_url": "${env:A}"}),
    "oncall": Channel("oncall", "pagerduty", {"type": "pagerduty", "integration_key": "${env:B}"}),
    "fin-mail": Channel("fin-mail", "email", {"type": "email", "addresses": ["f@example.com"]}),
}


def finding(
    kind: str = "budget", name: str = "ml", type_: str = "budget_actual", key: str = "80% 2024-03",
    severity: str = "medium", status: str = "new", first_seen: datetime = NOW, **details: Any,
) -> Finding:  # fmt: skip
    if kind == "budget":
        details.setdefault("threshold", 0.8)
    return Finding(kind, name, type_, key, severity, f"{name} {key}", status=status,  # type: ignore[arg-type]
                   first_seen=first_seen, details=details)  # fmt: skip


def result(*findings: Finding) -> EvaluationResult:
    return EvaluationResult(date(2024, 3, 20), date(2024, 3, 20), None, "effective",
                            ("budget", "anomaly_detector"), findings=list(findings))  # fmt: skip


BUDGET = {"amount": 100, "owner": "ml-platform", "filters": {"service": "ml-training"},
          "alerts": [{"threshold": 0.8, "type": "actual", "channels": ["eng-slack"],
                      "recipients": ["#ml"]},
                     {"threshold": 1.0, "type": "actual", "channels": []}]}  # fmt: skip


def sent_to(routed: Any) -> list[tuple[str, str, str]]:
    return [(m.channel.name, i.finding.key, i.event) for m in routed.messages for i in m.items]


def test_own_alert_channels_and_recipients() -> None:
    routed = route(result(finding()), {"budget.ml": BUDGET}, CHANNELS, [], DeliveryLog(), NOW)
    [message] = routed.messages
    assert (message.channel.name, message.rule, message.recipients) == ("eng-slack", None, ("#ml",))
    # the 100% alert names no channel and no rule routes it: nowhere to go, said nowhere
    routed = route(result(finding(key="100% 2024-03", threshold=1.0)), {"budget.ml": BUDGET},
                   CHANNELS, [], DeliveryLog(), NOW)  # fmt: skip
    assert routed.messages == [] and routed.undeliverable == []


def test_rules_select_by_alert_kind_severity_owner_and_filters() -> None:
    def rule(**spec: Any) -> Rule:
        return Rule("r", {"persona": "eng", "channels": ["oncall"], **spec})

    over = finding(key="100% 2024-03", threshold=1.0, severity="high")
    objects = {"budget.ml": BUDGET}
    cases: list[tuple[dict[str, Any], bool]] = [
        ({}, True),
        ({"alerts": ["budget_exceeded"]}, True),
        ({"alerts": ["cost_spike"]}, False),
        ({"kinds": ["anomaly_detector"]}, False),
        ({"min_severity": "high"}, True),
        ({"min_severity": "critical"}, False),
        ({"owners": ["ml-platform"]}, True),
        ({"owners": ["web"]}, False),
        ({"filters": {"service": "ml-*"}}, True),
        ({"filters": {"service": ["web", "data"]}}, False),
        ({"enabled": False}, False),
    ]
    got = [
        bool(route(result(over), objects, CHANNELS, [rule(**spec)], DeliveryLog(), NOW).messages)
        for spec, _ in cases
    ]
    assert got == [want for _, want in cases]
    assert "budget_exceeded" not in alert_names(finding())  # 80% is not exceeded


def test_names_resolve_to_channels_personas_and_types() -> None:
    rules = [Rule("cfo", {"persona": "cfo", "channels": ["email", "slack"], "alerts": ["nothing"]}),
             Rule("eng", {"persona": "eng", "channels": ["cfo", "teams", "ghost"]})]  # fmt: skip
    routed = route(result(finding()), {}, CHANNELS, rules, DeliveryLog(), NOW)
    # persona cfo -> its channels: email -> fin-mail, slack -> eng-slack (the only ones)
    assert sorted(sent_to(routed)) == [("eng-slack", "80% 2024-03", "trigger"),
                                       ("fin-mail", "80% 2024-03", "trigger")]  # fmt: skip
    assert [(u.target, u.reason) for u in routed.undeliverable] == [
        ("teams", "no notification_channel of type teams is declared"),
        ("ghost", "no notification_channel, persona or channel type is named 'ghost'"),
    ]
    two = {**CHANNELS, "web-slack": Channel("web-slack", "slack", {"type": "slack"})}
    routed = route(result(finding()), {}, two, [Rule("x", {"persona": "x", "channels": ["slack"]})],
                   DeliveryLog(), NOW)  # fmt: skip
    assert [u.reason for u in routed.undeliverable] == [
        "'slack' is ambiguous: 2 slack channels are declared (eng-slack, web-slack)"
    ]


def test_at_most_once_and_resolutions() -> None:
    f = finding()
    log = DeliveryLog(sent={("eng-slack", f.id, "trigger")})
    assert route(result(f), {"budget.ml": BUDGET}, CHANNELS, [], log, NOW).messages == []
    # resolved: pagerduty always resolves what it triggered; slack only when a rule asks
    gone = finding(status="resolved")
    pd = {**BUDGET, "alerts": [{**BUDGET["alerts"][0], "channels": ["eng-slack", "oncall"]}]}
    log = DeliveryLog(sent={("eng-slack", f.id, "trigger"), ("oncall", f.id, "trigger")})
    routed = route(result(gone), {"budget.ml": pd}, CHANNELS, [], log, NOW)
    assert sent_to(routed) == [("oncall", "80% 2024-03", "resolve")]
    asks = Rule("eng", {"persona": "eng", "channels": ["eng-slack"], "notify_resolved": True})
    routed = route(result(gone), {"budget.ml": pd}, CHANNELS, [asks], log, NOW)
    assert sorted(sent_to(routed)) == [("eng-slack", "80% 2024-03", "resolve"),
                                       ("oncall", "80% 2024-03", "resolve")]  # fmt: skip
    # never triggered there: nothing to resolve
    routed = route(result(gone), {"budget.ml": pd}, CHANNELS, [asks], DeliveryLog(), NOW)
    assert routed.messages == []


def test_quiet_hours_are_time_zone_aware_and_spare_critical() -> None:
    # 12:00 UTC is 21:00 in Tokyo (inside 20:00-08:00) and 13:00 in Paris (outside)
    def quiet(zone: str, severity: str = "medium") -> Any:
        rule = Rule("eng", {"persona": "eng", "channels": ["eng-slack"], "quiet_hours": {
            "start": "20:00", "end": "08:00", "time_zone": zone}})  # fmt: skip
        return route(result(finding(severity=severity)), {}, CHANNELS, [rule], DeliveryLog(), NOW)

    held = quiet("Asia/Tokyo")
    assert held.messages == []
    assert [h.reason for h in held.held] == ["quiet hours until 08:00 Asia/Tokyo"]
    assert len(quiet("Europe/Paris").messages) == 1
    assert len(quiet("Asia/Tokyo", severity="critical").messages) == 1


def test_quiet_hours_days_count_from_the_evening_they_start() -> None:
    # Saturday 2024-03-23 02:00 UTC: the quiet night started on Friday evening
    saturday = datetime(2024, 3, 23, 2, 0)
    rule = Rule("eng", {"persona": "eng", "channels": ["eng-slack"], "quiet_hours": {
        "start": "22:00", "end": "06:00", "time_zone": "UTC", "days": ["fri"]}})  # fmt: skip
    assert route(result(finding()), {}, CHANNELS, [rule], DeliveryLog(), saturday).held
    sunday = datetime(2024, 3, 24, 2, 0)  # started Saturday evening: not a quiet night
    assert not route(result(finding()), {}, CHANNELS, [rule], DeliveryLog(), sunday).held


def test_rate_limit_per_channel() -> None:
    rule = Rule("eng", {"persona": "eng", "channels": ["eng-slack"],
                        "rate_limit": {"max": 2, "per": "1h"}})  # fmt: skip
    findings = [finding(key=f"{n}% 2024-03", threshold=n / 100) for n in (50, 60, 70)]
    routed = route(result(*findings), {}, CHANNELS, [rule], DeliveryLog(), NOW)
    assert len(routed.messages) == 2
    assert [h.reason for h in routed.held] == ["rate limit 2 per 1h reached"]
    recent = [SentMessage("eng-slack", "eng", "M1", NOW - timedelta(minutes=30))]
    routed = route(result(*findings), {}, CHANNELS, [rule], DeliveryLog(recent=recent), NOW)
    assert (len(routed.messages), len(routed.held)) == (1, 2)


def test_digest_frequency_batches_and_waits() -> None:
    rule = Rule("cfo", {"persona": "cfo", "channels": ["fin-mail"], "frequency": "daily_digest"})
    findings = [finding(key=f"{n}% 2024-03", threshold=n / 100) for n in (50, 60)]
    [digest] = route(result(*findings), {}, CHANNELS, [rule], DeliveryLog(), NOW).messages
    assert digest.digest and len(digest.items) == 2
    recent = [SentMessage("fin-mail", "cfo", "M1", NOW - timedelta(hours=3))]
    routed = route(result(*findings), {}, CHANNELS, [rule], DeliveryLog(recent=recent), NOW)
    assert routed.messages == []
    assert routed.held[0].reason == "daily_digest: next digest after 2024-03-21 09:00 UTC"


def test_escalation_after_the_finding_stayed_open() -> None:
    rule = Rule("eng", {"persona": "eng", "channels": ["eng-slack"],
                        "escalation": [{"after": "4h", "channels": ["oncall"]}]})  # fmt: skip
    fresh = finding(first_seen=NOW - timedelta(hours=1), status="open")
    routed = route(result(fresh), {}, CHANNELS, [rule], DeliveryLog(), NOW)
    assert sent_to(routed) == [("eng-slack", "80% 2024-03", "trigger")]
    old = finding(first_seen=NOW - timedelta(hours=5), status="open")
    log = DeliveryLog(sent={("eng-slack", old.id, "trigger")})
    routed = route(result(old), {}, CHANNELS, [rule], log, NOW)
    assert sent_to(routed) == [("oncall", "80% 2024-03", "escalate:1")]


def test_the_rule_format_shapes_the_figures() -> None:
    from finopsmetrics_cli.notify.render import facts

    def shown(fmt: str | None) -> list[str]:
        spec = {"persona": "p", "channels": ["eng-slack"], **({"format": fmt} if fmt else {})}
        f = finding(kind="anomaly_detector", name="spikes", type_="anomaly", key="2024-03-19",
                    series={"service": "EC2"}, shape="spike")  # fmt: skip
        [message] = route(result(f), {}, CHANNELS, [Rule("p", spec)], DeliveryLog(), NOW).messages
        return [k for k, _ in facts(message.items[0])]

    assert shown(None) == ["Severity", "Status", "For", "Finding"]
    assert shown("executive_summary") == ["Severity", "Status", "For"]
    assert shown("technical_details") == [
        "Severity", "Status", "For", "Finding", "Series", "Shape", "Type",
    ]  # fmt: skip
