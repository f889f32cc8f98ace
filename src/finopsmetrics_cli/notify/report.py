"""The notification part of ``evaluate``'s output: what was (or would be) sent,
held back or not deliverable, and one error line per failed delivery."""

from __future__ import annotations

from typing import Any

from finopsmetrics_cli.notify.model import Delivery, Item, Message, NotifyReport
from finopsmetrics_cli.notify.render import preview, title


def to_text(report: NotifyReport) -> str:
    lines: list[str] = []
    if report.dry_run:
        lines.append("Notifications (dry run: nothing is sent)")
        lines.extend(preview(m) for m in report.messages)
    else:
        lines.append("Notifications")
        lines.extend(
            _delivery_line(d) for d in report.deliveries if d.message.channel.type != "unknown"
        )
    for held in report.held:
        lines.append(f"held: {held.channel}: {title(held.item)} ({held.reason})")
    for u in report.undeliverable:
        lines.append(f"not deliverable: {u.target!r} for {u.item.finding.address}: {u.reason}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _delivery_line(d: Delivery) -> str:
    how = f"HTTP {d.http_status}, " if d.http_status else ""
    tries = f"{d.attempts} attempt" + ("s" if d.attempts != 1 else "")
    what = (
        f"{len(d.message.items)} findings"
        if len(d.message.items) > 1
        else title(d.message.items[0])
    )
    if d.status == "sent":
        return f"sent: {d.message.channel.label}: {what} ({how}{tries})"
    return f"failed: {d.message.channel.label}: {what} ({d.error})"


def summary_line(report: NotifyReport) -> str:
    held = f", {len(report.held)} held" if report.held else ""
    lost = f", {len(report.undeliverable)} not deliverable" if report.undeliverable else ""
    if report.dry_run:
        n = len(report.messages)
        if not n and not report.held and not report.undeliverable:
            return "Nothing to send."
        return f"{n} message{'s' if n != 1 else ''} would be sent{held}{lost}."
    sent = sum(1 for d in report.deliveries if d.status == "sent")
    failed = sum(
        1 for d in report.deliveries if d.status == "failed" and d.message.channel.type != "unknown"
    )
    if not sent and not failed and not held and not lost:
        return "Nothing to send."
    return f"{sent} sent, {failed} failed{held}{lost}."


def errors(report: NotifyReport) -> list[str]:
    """One line per failed delivery, naming the channel and the HTTP status or cause."""
    out = []
    for d in report.failed:
        if d.message.channel.type == "unknown":
            continue  # listed as not deliverable
        out.append(f"notification to {d.message.channel.label} failed: {d.error}")
    for u in report.undeliverable if not report.dry_run else ():
        out.append(f"notification to {u.target!r} for {u.item.finding.address} failed: {u.reason}")
    return out


def to_dict(report: NotifyReport) -> dict[str, Any]:
    """The ``notifications`` block of ``evaluate --format json`` (references, never secrets:
    channels by name, recipients as declared)."""
    if report.dry_run:
        messages = [_message(m) | {"status": "would_send"} for m in report.messages]
    else:
        messages = [
            _message(d.message)
            | {"status": d.status, "attempts": d.attempts, "http_status": d.http_status,
               "error": d.error}
            for d in report.deliveries
            if d.message.channel.type != "unknown"
        ]  # fmt: skip
    return {
        "dry_run": report.dry_run,
        "messages": messages,
        "held": [_item(h.item) | {"channel": h.channel, "reason": h.reason} for h in report.held],
        "undeliverable": [
            _item(u.item) | {"target": u.target, "reason": u.reason} for u in report.undeliverable
        ],
        "summary": summary_line(report),
    }


def _message(m: Message) -> dict[str, Any]:
    return {
        "channel": m.channel.name,
        "type": m.channel.type,
        "rule": m.rule,
        "digest": m.digest,
        "recipients": list(m.recipients),
        "findings": [_item(i) for i in m.items],
    }


def _item(i: Item) -> dict[str, Any]:
    return {"finding": i.finding.id, "address": i.finding.address, "event": i.event}
