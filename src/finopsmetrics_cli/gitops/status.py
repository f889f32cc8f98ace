"""The reconciler's memory between cycles and between runs (``--once`` from cron).

A small JSON document beside the state: ``status.json`` in the reconciler's
work directory for a local state (``.finopsmetrics/reconcile/status.json`` by
default), ``KEY.reconcile.json`` next to an S3 state. It is replaced whole
(temp file + rename, or one PUT) so ``reconcile status`` never reads half, and it is
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
    #: ``--evaluate-every``: the last costs sync + evaluate --notify and its deliveries
    last_evaluation: dict[str, Any] | None = None

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
            last_evaluation=data.get("last_evaluation"),
        )
        if data.get("last_applied"):
            status.last_applied = Revision.from_json(data["last_applied"])
        if data.get("last_attempted"):
            status.last_attempted = Revision.from_json(data["last_attempted"])
        return status


def status_location(state: str | None, work_dir: Path) -> str:
    """Where the status lives: beside an S3 state (``KEY.reconcile.json``, so a
    disposable CronJob pod keeps its memory), else ``WORK_DIR/status.json``."""
    from finopsmetrics_cli.state import is_remote, resolve_state_location

    location = resolve_state_location(state)
    if is_remote(location):
        return f"{location}.reconcile.json"
    return str(work_dir / "status.json")


def load_status(where: str | Path) -> ReconcileStatus | None:
    """The saved status, None when the reconciler never ran here."""
    text = _read_s3(str(where)) if str(where).startswith("s3://") else _read_file(Path(where))
    if text is None:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        version = int(data.get("format_version", STATUS_VERSION))
        status = ReconcileStatus.from_json(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise StateError(
            f"reconcile status file {where} is unreadable: {exc}",
            hint="delete it; the next cycle re-applies the branch head and rewrites it",
        ) from exc
    if version > STATUS_VERSION:
        raise StateError(
            f"reconcile status file {where} was written by a newer finopsmetrics "
            f"(format {version}, this one reads {STATUS_VERSION})",
            hint="upgrade finopsmetrics",
        )
    return status


def save_status(where: str | Path, status: ReconcileStatus) -> None:
    text = json.dumps(status.to_json(), indent=2, sort_keys=True) + "\n"
    if str(where).startswith("s3://"):
        _write_s3(str(where), text)
    else:
        _write_file(Path(where), text)


def _read_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _write_file(path: Path, text: str) -> None:
    """Temp file + rename: ``reconcile status`` never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_s3(location: str) -> str | None:
    from finopsmetrics_cli.state.remote import S3Location, is_missing, s3_client, translate

    where = S3Location.parse(location)
    try:
        body = s3_client().get_object(Bucket=where.bucket, Key=where.key)["Body"].read()
    except Exception as exc:
        if is_missing(exc):
            return None
        raise translate(exc, where, "read the reconcile status") from exc
    return bytes(body).decode("utf-8", errors="replace")


def _write_s3(location: str, text: str) -> None:
    """One PUT replaces the object whole (S3 writes are atomic per object)."""
    from finopsmetrics_cli.state.remote import S3Location, s3_client, translate

    where = S3Location.parse(location)
    try:
        s3_client().put_object(
            Bucket=where.bucket, Key=where.key, Body=text.encode(), ContentType="application/json"
        )
    except Exception as exc:
        raise translate(exc, where, "write the reconcile status") from exc
