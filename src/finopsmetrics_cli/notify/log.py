"""The delivery log: every attempt to deliver a finding's event to a channel.

Table ``deliveries`` (state migration 4). It is what makes delivery at most
once: an event (a finding triggered, resolved, escalated) already ``sent`` to
a channel is never sent to it again, whoever runs next. It is read and
written under the state's writer lock, which remote state takes with a
conditional write, so two runners never both decide to send.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from finopsmetrics_cli.notify.model import Delivery

_COLUMNS = (
    'id, channel, finding_id, event, finding_state, rule, message_id, attempt, status, "at", error'
)
#: how far back rate limits and digest windows look (a monthly digest)
_WINDOW = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class SentMessage:
    channel: str
    rule: str | None
    message_id: str
    at: datetime


@dataclass(slots=True)
class DeliveryLog:
    #: (channel, finding id, event) already delivered
    sent: set[tuple[str, str, str]] = field(default_factory=set)
    #: messages sent recently (rate limits, digest windows), oldest first
    recent: list[SentMessage] = field(default_factory=list)
    #: failed attempts so far per (channel, finding id, event)
    failures: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _indexed: (
        tuple[dict[str, list[datetime]], dict[tuple[str, str | None], datetime]] | None
    ) = field(default=None, repr=False, compare=False)

    def delivered(self, channel: str, finding_id: str, event: str) -> bool:
        return (channel, finding_id, event) in self.sent

    def messages_since(self, channel: str, since: datetime) -> int:
        """Messages sent to ``channel`` at or after ``since`` (rate limits)."""
        times = self._index()[0].get(channel, [])
        return len(times) - bisect.bisect_left(times, since)

    def last_message(self, channel: str, rule: str | None) -> datetime | None:
        """When ``rule`` last sent to ``channel`` (digest windows)."""
        return self._index()[1].get((channel, rule))

    def _index(self) -> tuple[dict[str, list[datetime]], dict[tuple[str, str | None], datetime]]:
        """Per channel, the sorted times of its distinct messages; the last per (channel, rule).
        Built once: routing asks for every finding."""
        if self._indexed is None:
            first: dict[tuple[str, str], datetime] = {}
            last: dict[tuple[str, str | None], datetime] = {}
            for m in self.recent:
                key = (m.channel, m.message_id)
                first[key] = min(first.get(key, m.at), m.at)
                previous = last.get((m.channel, m.rule))
                last[(m.channel, m.rule)] = m.at if previous is None else max(previous, m.at)
            times: dict[str, list[datetime]] = {}
            for (channel, _), at in first.items():
                times.setdefault(channel, []).append(at)
            for values in times.values():
                values.sort()
            self._indexed = (times, last)
        return self._indexed


def has_table(conn: Any) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'deliveries'"
    ).fetchone()
    return bool(row and row[0])


def load(conn: Any, now: datetime) -> DeliveryLog:
    log = DeliveryLog()
    if conn is None or not has_table(conn):
        return log
    for channel, finding_id, event, status in conn.execute(
        "SELECT channel, finding_id, event, status FROM deliveries"
    ).fetchall():
        key = (channel, finding_id, event)
        if status == "sent":
            log.sent.add(key)
        else:
            log.failures[key] = log.failures.get(key, 0) + 1
    rows = conn.execute(
        'SELECT DISTINCT channel, rule, message_id, "at" FROM deliveries '
        'WHERE status = \'sent\' AND "at" >= ? ORDER BY "at"',
        [now - _WINDOW],
    ).fetchall()
    log.recent = [SentMessage(r[0], r[1], r[2], r[3]) for r in rows]
    return log


def record(conn: Any, deliveries: Sequence[Delivery], now: datetime) -> None:
    """One row per finding event of each delivery (inside the caller's transaction)."""
    rows: list[tuple[Any, ...]] = []
    for delivery in deliveries:
        message = delivery.message
        for item in message.items:
            state = "resolved" if item.event == "resolve" else "open"
            rows.append(
                (message.channel.name, item.finding.id, item.event, state, item.rule,
                 message.id, delivery.attempts, delivery.status, now, delivery.error)
            )  # fmt: skip
    if not rows:
        return
    (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM deliveries").fetchone()
    conn.executemany(
        f"INSERT INTO deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(last + i + 1, *row) for i, row in enumerate(rows)],
    )


def latest(conn: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The last deliveries, newest first (``reconcile status``)."""
    if conn is None or not has_table(conn):
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM deliveries ORDER BY id DESC LIMIT ?", [limit]
    ).fetchall()
    names = [c.strip().strip('"') for c in _COLUMNS.split(",")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def read_state(path: str | Path, work: Callable[[Any], Any]) -> Any:
    """``work(conn)`` on a read-only connection to a local state file (None: no file)."""
    from finopsmetrics_cli.state.connection import connect
    from finopsmetrics_cli.state.reader import path_lock

    file = Path(path)
    if not file.exists():
        return work(None)
    with path_lock(file):
        conn = connect(file, read_only=True)
        try:
            return work(conn)
        finally:
            conn.close()
