"""Findings kept in the state: stable ids, new/open/resolved, first and last seen.

Tables ``findings`` and ``evaluations`` (state migration 3, in ``state.migrations``). ``reconcile``
is pure: it gives each finding of this run its status against what the
state holds, and adds the stored ones that this run looked for and did not
find again (resolved). What was not looked at (another ``--kind``, an
anomaly day outside this run's days) is left as it was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from finopsmetrics_cli.evaluate.model import EvaluationResult, Finding

_COLUMNS = (
    "id, kind, name, type, key, severity, status, message, day, first_seen, last_seen, "
    "resolved_at, details"
)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    id: str
    kind: str
    name: str
    type: str
    key: str
    severity: str
    status: str  # open | resolved
    message: str
    day: date | None
    first_seen: datetime
    last_seen: datetime
    details: dict[str, Any]

    def as_finding(self, status: str) -> Finding:
        return Finding(
            kind=self.kind, name=self.name, type=self.type, key=self.key,
            severity=self.severity, message=self.message, status=status,  # type: ignore[arg-type]
            first_seen=self.first_seen, last_seen=self.last_seen, day=self.day,
            details=self.details,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredEvaluations:
    findings: dict[str, StoredFinding]
    previous_at: date | None


def has_tables(conn: Any) -> bool:
    rows = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'"
    ).fetchone()
    return bool(rows and rows[0])


def load(conn: Any) -> StoredEvaluations:
    """Every stored finding and the ``--at`` of the last evaluation that reported
    anomalies (None: none yet)."""
    if conn is None or not has_tables(conn):
        return StoredEvaluations({}, None)
    rows = conn.execute(f"SELECT {_COLUMNS} FROM findings").fetchall()
    found = {
        r[0]: StoredFinding(
            id=r[0], kind=r[1], name=r[2], type=r[3], key=r[4], severity=r[5], status=r[6],
            message=r[7], day=r[8], first_seen=r[9], last_seen=r[10],
            details=json.loads(r[12]) if r[12] else {},
        )  # fmt: skip
        for r in rows
    }
    # the days anomalies were last reported for: runs of other kinds only (--kind) do not count
    last = conn.execute(
        'SELECT "at" FROM evaluations WHERE list_contains(string_split(kinds, \',\'), ?) '
        "ORDER BY id DESC LIMIT 1",
        ["anomaly_detector"],
    ).fetchone()
    return StoredEvaluations(found, last[0] if last else None)


def reconcile(
    result: EvaluationResult,
    stored: Mapping[str, StoredFinding],
    *,
    now: datetime,
    scopes: Mapping[str, date],
    addresses: set[str],
) -> None:
    """Give every finding of ``result`` its status; append the resolved ones."""
    current = {}
    for finding in result.findings:
        before = stored.get(finding.id)
        if before is not None and before.status == "open":
            finding.status, finding.first_seen = "open", before.first_seen
        else:
            finding.status, finding.first_seen = "new", now
        finding.last_seen = now
        current[finding.id] = finding
    for fid, old in sorted(stored.items(), key=lambda item: (item[1].kind, item[1].name, item[0])):
        if fid in current or old.status != "open" or old.kind not in result.kinds:
            continue
        address = f"{old.kind}.{old.name}"
        if old.day is not None and address in addresses:
            first = scopes.get(address)
            if first is None or not first <= old.day <= result.at:
                continue  # that day was not looked at in this run
        resolved = old.as_finding("resolved")
        resolved.last_seen = old.last_seen
        result.findings.append(resolved)


def save(conn: Any, result: EvaluationResult, *, now: datetime, actor: str) -> None:
    """Upsert this run's findings and record the evaluation (inside the caller's transaction)."""
    rows = [
        (
            f.id, f.kind, f.name, f.type, f.key, f.severity,
            "resolved" if f.status == "resolved" else "open", f.message, f.day,
            f.first_seen or now, f.last_seen or now, now if f.status == "resolved" else None,
            json.dumps(f.details, sort_keys=True, default=str),
        )
        for f in result.findings
    ]  # fmt: skip
    if rows:
        columns = list(zip(*rows, strict=True))
        conn.execute(
            "DELETE FROM findings WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(columns[0])]
        )
        types = ["VARCHAR"] * 8 + ["DATE", "TIMESTAMP", "TIMESTAMP", "TIMESTAMP", "VARCHAR"]
        unnests = ", ".join(f"unnest(?::{t}[])" for t in types)
        conn.execute(f"INSERT INTO findings ({_COLUMNS}) SELECT {unnests}",
                     [list(c) for c in columns])  # fmt: skip
    counts = _counts(result.findings)
    (last_id,) = conn.execute("SELECT coalesce(max(id), 0) FROM evaluations").fetchone()
    conn.execute(
        "INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [last_id + 1, result.at, result.data_through, ",".join(result.kinds), now, actor,
         counts["new"], counts["open"], counts["resolved"]],
    )  # fmt: skip


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    counts = {"new": 0, "open": 0, "resolved": 0}
    for f in findings:
        counts[f.status] += 1
    return counts
