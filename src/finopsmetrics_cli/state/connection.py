"""Opening DuckDB state files safely: retries, refusals, integrity checks.

DuckDB lets one process hold a read-write connection to a file, or several
processes hold read-only ones, never both; :func:`connect` retries briefly
while the other side finishes. Everything here refuses files it does not
understand (not DuckDB, not a state, a newer schema, damaged blocks) with a
:class:`StateError` *before* anything could write to them.
"""

from __future__ import annotations

import threading
import time
import uuid
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


_SHARED: Any = None
_SHARED_LOCK = threading.Lock()


class AttachedConnection:
    """A state file attached to this process's shared in-memory DuckDB, used like a connection.

    Starting a DuckDB instance costs ~30 ms of CPU; attaching a file to a
    running one ~2 ms. Long-lived front ends (the Terraform provider, Pulumi's
    dynamic provider) make one small call per resource, so their calls attach
    and detach instead. Detaching checkpoints and releases the file lock, just
    as closing a connection does.
    """

    def __init__(self, path: Path, *, read_only: bool) -> None:
        global _SHARED
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = duckdb.connect(":memory:")
            self._cursor = _SHARED.cursor()
        self._alias = f"state_{uuid.uuid4().hex}"
        mode = " (READ_ONLY)" if read_only else ""
        try:
            self._cursor.execute(f"ATTACH ? AS {self._alias}{mode}", [str(path)])
        except BaseException:
            self._cursor.close()
            raise
        try:
            self._cursor.execute(f"USE {self._alias}")
        except BaseException:
            self.close()
            raise

    def execute(self, sql: str, params: Any = None) -> Any:
        if params is None:
            return self._cursor.execute(sql)
        return self._cursor.execute(sql, params)

    def close(self) -> None:
        if self._cursor is None:
            return
        cursor, self._cursor = self._cursor, None
        try:
            cursor.execute("USE memory")
            cursor.execute(f"DETACH {self._alias}")
        finally:
            cursor.close()


def connect(
    path: Path, *, read_only: bool, busy_timeout: float = BUSY_TIMEOUT, shared: bool = False
) -> Any:
    """Open ``path``, retrying while another process holds a conflicting DuckDB lock.

    ``shared`` attaches it to the process's shared DuckDB instead (see
    :class:`AttachedConnection`): for the short calls of long-lived processes.
    """
    import duckdb  # noqa: TID251 - state/ is where DuckDB lives

    deadline = time.monotonic() + busy_timeout
    delay = 0.02
    while True:
        try:
            if shared:
                return AttachedConnection(path, read_only=read_only)
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if "different configuration" in str(exc) or "Unique file handle conflict" in str(exc):
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
