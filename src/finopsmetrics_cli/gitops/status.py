"""The reconciler's memory between cycles and between runs (``--once`` from cron).

A small JSON file in the reconciler's work directory (beside a local state,
``.finopsmetrics/reconcile/status.json`` by default). It is written atomically
(temp file + rename) so ``reconcile status`` never reads half a file, and it is
the only place that knows about a *bad* commit: the state database records what
was applied (with its git commit in history), the status file also records what
was attempted and why it failed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from finopsmetrics_cli.errors import StateError

STATUS_VERSION = 1


@dataclass(slots=True)
class Revision:
    """One commit the reconciler applied or tried to."""

    commit: str
    at: str  # ISO 8601 UTC
    result: str  # applied | unchanged | failed | planned
    message: str = ""  # the commit's subject line
    error: str | None = None
    attempts: int = 1
    next_retry_at: float | None = None  # epoch seconds; None = retry now
    summary: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Revision:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(slots=True)
class ReconcileStatus:
    repo: str = ""
    ref: str = ""
    paths: list[str] = field(default_factory=list)
    mode: str = "apply"
    last_applied: Revision | None = None
    last_attempted: Revision | None = None
    last_cycle_at: str | None = None
    last_cycle_action: str | None = None
    last_drift: dict[str, Any] | None = None
    cycles: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format_version"] = STATUS_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReconcileStatus:
        status = cls(
            repo=str(data.get("repo", "")),
            ref=str(data.get("ref", "")),
            paths=list(data.get("paths", [])),
            mode=str(data.get("mode", "apply")),
            last_cycle_at=data.get("last_cycle_at"),
            last_cycle_action=data.get("last_cycle_action"),
            last_drift=data.get("last_drift"),
            cycles=int(data.get("cycles", 0)),
        )
        if data.get("last_applied"):
            status.last_applied = Revision.from_json(data["last_applied"])
        if data.get("last_attempted"):
            status.last_attempted = Revision.from_json(data["last_attempted"])
        return status


def load_status(path: Path) -> ReconcileStatus | None:
    """The saved status, None when the reconciler never ran here."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        version = int(data.get("format_version", STATUS_VERSION))
        status = ReconcileStatus.from_json(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise StateError(
            f"reconcile status file {path} is unreadable: {exc}",
            hint="delete it; the next cycle re-applies the branch head and rewrites it",
        ) from exc
    if version > STATUS_VERSION:
        raise StateError(
            f"reconcile status file {path} was written by a newer finopsmetrics "
            f"(format {version}, this one reads {STATUS_VERSION})",
            hint="upgrade finopsmetrics",
        )
    return status


def save_status(path: Path, status: ReconcileStatus) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(status.to_json(), out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
