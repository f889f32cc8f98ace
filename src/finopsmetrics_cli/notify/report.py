"""The notification part of ``evaluate``'s output: what was (or would be) sent,
held back or not deliverable, and one error line per failed delivery."""

from __future__ import annotations

from finopsmetrics_cli.notify.model import Delivery, NotifyReport
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
