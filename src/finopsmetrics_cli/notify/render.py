"""Messages as each service expects them: Slack Block Kit, a Teams Adaptive
Card, a PagerDuty Events API v2 event, the versioned webhook body, an email
(plain text and HTML). Pure functions of a :class:`Message`: secrets (a
routing key) are passed in by the sender, never looked up here."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from finopsmetrics_cli.notify.model import Item, Message

#: the webhook body's schema (``schemas/notification-webhook.v1.schema.json``)
WEBHOOK_FORMAT_VERSION = 1
_SLACK_MAX_ITEMS = 20  # a Block Kit message holds at most 50 blocks
_PAGERDUTY_SEVERITY = {"low": "info", "medium": "warning", "high": "error", "critical": "critical"}
_EVENT_WORD = {"trigger": "triggered", "resolve": "resolved"}


def event_name(item: Item) -> str:
    """``finding.triggered``, ``finding.resolved`` or ``finding.escalated``."""
    return "finding." + _EVENT_WORD.get(item.event, "escalated")


def title(item: Item) -> str:
    f = item.finding
    prefix = {"trigger": "", "resolve": "Resolved: "}.get(item.event, "Escalated: ")
    return f"{prefix}[{f.severity.upper()}] {f.address}: {f.message}"


def finding_url(message: Message, item: Item) -> str | None:
    if not message.console_url:
        return None
    return f"{message.console_url.rstrip('/')}/findings/{item.finding.id}"


def facts(item: Item) -> list[tuple[str, str]]:
    """Label/value pairs shown under the title (amount, percent, expected ...)."""
    f, c = item.finding, item.context
    rows = [
        ("Severity", f.severity),
        ("Status", "resolved" if item.event == "resolve" else f.status),
    ]
    if "amount" in c:
        cur = c["currency"]
        rows.append(
            ("Spent", f"{c['actual']:,.2f} of {c['amount']:,.2f} {cur} ({c['percent_actual']:.0%})")
        )
        rows.append(("Forecast", f"{c['forecast']:,.2f} {cur} ({c['percent_forecast']:.0%})"))
        rows.append(("Period", c["period"]))
    if "expected" in c:
        rows.append(("Actual", f"{c['actual']:,.2f}"))
        rows.append(("Expected", f"{c['expected']:,.2f}"))
        rows.append(("Impact", f"{c['impact']:+,.2f}"))
        rows.append(("Day", c["date"]))
    if item.recipients:
        rows.append(("For", ", ".join(item.recipients)))
    if item.format == "executive_summary":  # the money, not the mechanics
        return [r for r in rows if r[0] not in _TECHNICAL]
    rows.append(("Finding", f.id))
    if item.format == "technical_details":
        rows.extend((str(k).replace("_", " ").capitalize(), _detail(str(k), v))
                    for k, v in sorted(f.details.items()))  # fmt: skip
        rows.append(("Type", f.type))
    return rows


_TECHNICAL = frozenset({"Actual", "Expected", "Day"})


def _detail(key: str, value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if key == "threshold" and isinstance(value, int | float):
        return f"{value:.0%}"
    return str(value)


def headline(message: Message) -> str:
    if len(message.items) == 1:
        return title(message.items[0])
    return f"finopsmetrics: {len(message.items)} findings ({message.rule} digest)"


def slack(message: Message) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if message.digest or len(message.items) > 1:
        blocks.append(_slack_header(headline(message)))
    shown = message.items[:_SLACK_MAX_ITEMS]
    for item in shown:
        if len(message.items) == 1:
            blocks.append(_slack_header(title(item)))
        else:
            blocks.append(_mrkdwn_section(f"*{_slack_escape(title(item))}*"))
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{_slack_escape(v)}"} for k, v in facts(item)]
        blocks.append({"type": "section", "fields": fields[:10]})
        url = finding_url(message, item)
        if url:
            button = {"type": "button", "text": {"type": "plain_text", "text": "Open in console"},
                      "url": url}  # fmt: skip
            blocks.append({"type": "actions", "elements": [button]})
    if len(message.items) > len(shown):
        more = len(message.items) - len(shown)
        blocks.append(_mrkdwn_section(f"... and {more} more findings"))
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "sent by finopsmetrics"}]}
    )
    return {"text": headline(message), "blocks": blocks}


def _slack_header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams(message: Message) -> dict[str, Any]:
    """A message with an Adaptive Card (what Teams workflow webhooks accept)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": headline(message), "weight": "Bolder", "size": "Medium",
         "wrap": True},
    ]  # fmt: skip
    actions: list[dict[str, Any]] = []
    for item in message.items:
        if len(message.items) > 1:
            body.append({"type": "TextBlock", "text": title(item), "weight": "Bolder", "wrap": True,
                         "separator": True})  # fmt: skip
        body.append(
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts(item)]}
        )
        url = finding_url(message, item)
        if url and len(actions) < 5:
            actions.append(
                {"type": "Action.OpenUrl", "title": f"Open {item.finding.id}", "url": url}
            )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def pagerduty(message: Message, routing_key: str) -> dict[str, Any]:
    """One Events API v2 event: dedup_key = finding id, so a resolve closes the incident."""
    item = message.items[0]
    f = item.finding
    event: dict[str, Any] = {"routing_key": routing_key, "dedup_key": f.id}
    if item.event == "resolve":
        return {**event, "event_action": "resolve"}
    details = {k: v for k, v in facts(item)}
    payload = {"summary": title(item)[:1024], "source": "finopsmetrics", "severity":
               _PAGERDUTY_SEVERITY.get(f.severity, "warning"), "component": f.address,
               "group": f.kind, "class": f.type, "custom_details": details}  # fmt: skip
    event.update(event_action="trigger", payload=payload, client="finopsmetrics")
    url = finding_url(message, item)
    if url:
        event["links"] = [{"href": url, "text": "Open in console"}]
    return event


def webhook(message: Message, sent_at: datetime) -> dict[str, Any]:
    """The documented, versioned body (format_version 1)."""
    return {
        "format_version": WEBHOOK_FORMAT_VERSION,
        "message_id": message.id,
        "sent_at": sent_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": message.channel.name,
        "rule": message.rule,
        "digest": message.digest,
        "findings": [_webhook_finding(message, item) for item in message.items],
    }


def _webhook_finding(message: Message, item: Item) -> dict[str, Any]:
    f = item.finding
    return {
        "event": event_name(item),
        "id": f.id,
        "kind": f.kind,
        "name": f.name,
        "address": f.address,
        "type": f.type,
        "severity": f.severity,
        "status": "resolved" if item.event == "resolve" else f.status,
        "message": f.message,
        "day": f.day.isoformat() if f.day else None,
        "first_seen": _iso(f.first_seen),
        "last_seen": _iso(f.last_seen),
        "recipients": list(item.recipients),
        "figures": item.context,
        "details": f.details,
        "url": finding_url(message, item),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def email(message: Message) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the mail."""
    subject = headline(message)[:200]
    text_parts, html_parts = [], [f"<h2>{html.escape(headline(message))}</h2>"]
    for item in message.items:
        rows = facts(item)
        url = finding_url(message, item)
        text_parts.append(title(item) + "\n" + "\n".join(f"  {k}: {v}" for k, v in rows)
                          + (f"\n  Console: {url}" if url else ""))  # fmt: skip
        cells = "".join(
            f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        link = f"<p><a href='{html.escape(url)}'>Open in console</a></p>" if url else ""
        html_parts.append(f"<h3>{html.escape(title(item))}</h3><table>{cells}</table>{link}")
    text = "\n\n".join(text_parts) + "\n\n-- sent by finopsmetrics\n"
    body = "<html><body>" + "".join(html_parts) + "<p>sent by finopsmetrics</p></body></html>"
    return subject, text, body


def preview(message: Message) -> str:
    """What a dry run prints for one message: channel, recipients, the text."""
    to = ", ".join(message.recipients) or "-"
    if message.channel.type == "email":
        to = ", ".join([*message.channel.spec.get("addresses", []), *_emails(message)]) or to
    kind = "digest of " if message.digest else ""
    lines = [f"-> {message.channel.label}, {kind}{len(message.items)} finding(s), to: {to}"]
    for item in message.items:
        lines.append(f"   {title(item)}")
        lines.extend(f"     {k}: {v}" for k, v in facts(item) if k not in ("Severity", "For"))
        url = finding_url(message, item)
        if url:
            lines.append(f"     Console: {url}")
    return "\n".join(lines)


def _emails(message: Message) -> list[str]:
    return [r for r in message.recipients if "@" in r and not r.startswith("#")]


def email_recipients(message: Message) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(message.channel.spec.get("addresses") or [])
    seen.update(dict.fromkeys(_emails(message)))
    return list(seen)
