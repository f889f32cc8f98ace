"""Opening DuckDB state files safely: retries, refusals, integrity checks.

DuckDB lets one process hold a read-write connection to a file, or several
processes hold read-only ones, never both; :func:`connect` retries briefly
while the other side finishes. Everything here refuses files it does not
understand (not DuckDB, not a state, a newer schema, damaged blocks) with a
:class:`StateError` *before* anything could write to them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli import __version__
from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state import migrations

BUSY_TIMEOUT = 10.0


def utcnow() -> datetime:
    """Naive UTC, which is what the TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock on file" in text or "Conflicting lock" in text


def connect(path: Path, *, read_only: bool, busy_timeout: float = BUSY_TIMEOUT) -> Any:
    """Open ``path``, retrying while another process holds a conflicting DuckDB lock."""
    import duckdb  # noqa: TID251 - state/ is where DuckDB lives

    deadline = time.monotonic() + busy_timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if "different configuration" in str(exc):
                raise StateError(
                    f"state file {path} is already open in this process in another mode "
                    f"({first_line(exc)})",
                    hint="close readers before committing outside the state store",
                ) from exc
            if not _is_lock_conflict(exc):
                raise unusable(path, exc) from exc
            if time.monotonic() >= deadline:
                who = "being written by" if read_only else "open in"
                raise StateError(
                    f"state file {path} is {who} another process; gave up after "
                    f"{busy_timeout:g}s ({first_line(exc)})",
                    hint="retry when the other finopsmetrics command has finished",
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def unusable(path: Path, exc: BaseException) -> StateError:
    return StateError(
        f"state file {path} cannot be opened: it is not a valid DuckDB database or was "
        f"written by a newer DuckDB ({first_line(exc)}); it was left untouched",
        hint="restore it from a backup, or point --state at another file",
    )


def unreadable(path: Path, exc: BaseException) -> StateError:
    return StateError(
        f"state file {path} is damaged and cannot be read ({first_line(exc)}); "
        "it was left untouched",
        hint="restore it from a backup, or point --state at another file",
    )


def check_schema(conn: Any, path: Path) -> int:
    """Return the file's schema version; refuse a non-state file or a newer schema."""
    import duckdb  # noqa: TID251 - state/ is where DuckDB lives

    try:
        row = conn.execute("SELECT schema_version FROM meta").fetchone()
    except duckdb.CatalogException as exc:
        raise StateError(
            f"{path} is a DuckDB database but not a finopsmetrics state (no meta table); "
            "it was left untouched",
            hint="point --state at a finopsmetrics state file",
        ) from exc
    except duckdb.Error as exc:
        raise unusable(path, exc) from exc
    if row is None:
        raise StateError(f"state file {path} has an empty meta table; it was left untouched")
    version = int(row[0])
    ours = migrations.schema_version()
    if version > ours:
        raise StateError(
            f"state file {path} has schema version {version}, newer than this finopsmetrics "
            f"{__version__} understands (up to {ours}); it was left untouched",
            hint="upgrade finopsmetrics to read and write this state",
        )
    return version


def ensure_not_empty(path: Path) -> None:
    if path.exists() and path.stat().st_size == 0:
        raise StateError(
            f"state file {path} is empty (0 bytes); it was left untouched",
            hint="delete it to start a new state, or restore it from a backup",
        )


def read_everything(conn: Any, path: Path) -> None:
    """Read every block once (DuckDB verifies block checksums) before anyone writes.

    A damaged file must fail here, read-only, rather than during a write that
    could make it worse.
    """
    import duckdb  # noqa: TID251 - state/ is where DuckDB lives

    try:
        conn.execute(
            "SELECT sum(length(address) + length(spec) + coalesce(length(applied_spec), 0)), "
            "sum(version) FROM objects"
        ).fetchall()
        conn.execute(
            "SELECT sum(id + serial + length(address) + coalesce(length(before), 0) "
            "+ coalesce(length(after), 0)) FROM history"
        ).fetchall()
    except duckdb.Error as exc:
        raise unreadable(path, exc) from exc
