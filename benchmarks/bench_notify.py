"""Notification benchmark: 1,000 findings routed and rendered, no network.

1,000 findings (budgets and anomalies, mixed severities) against 20 channels
of every deliverable type and 10 notification rules (alert types, severity,
owners, filters, quiet hours, rate limits, digests, escalation), with a
delivery log of 5,000 earlier deliveries: ``route`` decides what is due, held
or undeliverable, then every message is rendered as its service expects it
(Block Kit, Adaptive Card, Events API v2, the signed webhook body, a mail).
Prints the median CPU time of several runs. Target: under 1 s.

    .venv/bin/python benchmarks/bench_notify.py [FINDINGS] [RUNS]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta

from finopsmetrics_cli.evaluate.model import EvaluationResult, Finding
from finopsmetrics_cli.notify import render
from finopsmetrics_cli.notify.log import DeliveryLog, SentMessage
from finopsmetrics_cli.notify.model import Channel
from finopsmetrics_cli.notify.routing import Rule, route

TYPES = ("slack", "teams", "pagerduty", "webhook", "email")
NOW = datetime(2024, 3, 20, 12, 0)


def build(
    count: int,
) -> tuple[EvaluationResult, dict[str, dict], dict[str, Channel], list[Rule], DeliveryLog]:  # noqa: E501
    rng = random.Random(7)
    channels = {
        f"{t}-{i}": Channel(
            f"{t}-{i}",
            t,
            {
                "type": t,
                "webhook_url": "${env:X}",
                "addresses": ["a@example.com"],
                "console_url": "https://finops.example.com",
            },
        )
        for t in TYPES
        for i in range(4)
    }
    names = list(channels)
    rules = [
        Rule(
            f"r{i}",
            {
                "persona": f"p{i}",
                "channels": rng.sample(names, 3),
                "alerts": [["budget_exceeded", "budget_threshold"], ["cost_spike"], []][i % 3],
                "min_severity": ["low", "medium", "high"][i % 3],
                "owners": [f"team{i % 5}"] if i % 4 == 0 else [],
                "filters": {"service": "svc-1*"} if i % 5 == 0 else {},
                "quiet_hours": {"start": "20:00", "end": "08:00", "time_zone": "Asia/Tokyo"}
                if i == 3
                else None,
                "rate_limit": {"max": 50, "per": "1h"} if i == 4 else None,
                "frequency": "daily_digest" if i in (5, 6) else "real_time",
                "escalation": [{"after": "4h", "channels": [names[i]]}] if i == 7 else [],
            },
        )
        for i in range(10)
    ]
    findings, objects = [], {}
    for n in range(count):
        severity = rng.choice(("low", "medium", "high", "critical"))
        if n % 2:
            name = f"b{n}"
            f = Finding(
                "budget",
                name,
                "budget_actual",
                f"{80 + n % 40}% 2024-03",
                severity,
                f"{name}: spend crossed",
                first_seen=NOW - timedelta(hours=n % 10),
                details={"threshold": (80 + n % 40) / 100, "period": "2024-03"},
            )
            objects[f.address] = {
                "owner": f"team{n % 5}",
                "filters": {"service": f"svc-{n % 30}"},
                "alerts": [{"threshold": f.details["threshold"], "channels": [rng.choice(names)]}],
            }
        else:
            name = f"d{n % 50}"
            f = Finding(
                "anomaly_detector",
                name,
                "anomaly",
                f"2024-03-{1 + n % 20:02d} svc={n}",
                severity,
                f"{name}: spike",
                day=date(2024, 3, 1 + n % 20),
                first_seen=NOW,
                details={"series": {"service": f"svc-{n % 30}"}},
            )
            objects[f.address] = {"alerts": {"channels": [rng.choice(names)]}}
        findings.append(f)
    result = EvaluationResult(
        date(2024, 3, 20),
        date(2024, 3, 20),
        None,
        "effective",
        ("budget", "anomaly_detector"),
        findings=findings,
    )
    log = DeliveryLog(
        sent={(rng.choice(names), f"F{i:015d}", "trigger") for i in range(5000)},
        recent=[
            SentMessage(rng.choice(names), None, f"M{i}", NOW - timedelta(minutes=i))
            for i in range(5000)
        ],
    )
    return result, objects, channels, rules, log


def once(count: int) -> tuple[float, int, int]:
    result, objects, channels, rules, log = build(count)
    start = time.process_time()
    routed = route(result, objects, channels, rules, log, NOW)
    size = 0
    for message in routed.messages:
        kind = message.channel.type
        if kind == "slack":
            payload = render.slack(message)
        elif kind == "teams":
            payload = render.teams(message)
        elif kind == "pagerduty":
            payload = render.pagerduty(message, "key")
        elif kind == "webhook":
            payload = render.webhook(message, NOW)
        else:
            subject, text, html = render.email(message)
            size += len(subject) + len(text) + len(html)
            continue
        size += len(json.dumps(payload, default=str))
    return time.process_time() - start, len(routed.messages), size


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = []
    for _ in range(runs):
        seconds, messages, size = once(count)
        times.append(seconds)
    print(
        f"{count:,} findings -> {messages:,} messages ({size / 1e6:.1f} MB rendered): "
        f"route + render median {statistics.median(times):.3f} s cpu "
        f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs; target < 1 s)"
    )


if __name__ == "__main__":
    main()
