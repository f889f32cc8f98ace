"""The DuckDB state store's write side: create, upgrade, and one-transaction commits.

The writer holds the read-write connection only for the length of ``commit``
(readers in other processes wait meanwhile, and it waits for them). A commit
is one DuckDB transaction (WAL, fsync on commit): whatever kills the process,
the file is at the old serial or the new one. Rows go in with one statement
per table — each column one list parameter — never one round trip per row.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli import __version__
from finopsmetrics_cli.errors import PlanError, StateError
from finopsmetrics_cli.state import migrations
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.changes import HistoryRow, ObjectRow, apply_writes
from finopsmetrics_cli.state.connection import (
    BUSY_TIMEOUT,
    check_schema,
    connect,
    ensure_not_empty,
    first_line,
    read_everything,
    utcnow,
)
from finopsmetrics_cli.state.lock import FileLock, StateLock, default_actor
from finopsmetrics_cli.state.reader import StateStoreReader, path_lock, suspend_readers

__all__ = [
    "HeldStateWriter",
    "StateStoreReader",
    "StateStoreWriter",
    "ensure_state",
    "open_local_writer",
]

BATCH = 2500


def _rollback(conn: Any) -> None:
    """Roll back if a transaction is open; a failed rollback must not hide the real error."""
    try:
        conn.execute("ROLLBACK")
    except Exception:  # no transaction (BEGIN failed) or the connection is broken
        pass


def ensure_state(path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
    """Create a new state (atomically) or upgrade an older one; call with the lock held."""
    if not path.exists():
        try:
            _create(path)
        except OSError as exc:
            raise StateError(
                f"cannot create state {path}: {exc.strerror or exc}",
                hint="check that the state directory is writable, or pass --state",
            ) from exc
        return
    ensure_not_empty(path)
    with path_lock(path):
        suspend_readers(path)
        conn = connect(path, read_only=True, busy_timeout=busy_timeout)
        try:
            version = check_schema(conn, path)
            read_everything(conn, path)
        finally:
            conn.close()
        if version < migrations.schema_version():
            suspend_readers(path)
            conn = connect(path, read_only=False, busy_timeout=busy_timeout)
            try:
                migrations.upgrade(conn, version)
            finally:
                conn.close()


def _create(path: Path) -> None:
    """Build the new file under a temporary name and rename it into place."""
    import duckdb  # noqa: TID251 - state/ is where DuckDB lives

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with duckdb.connect(str(tmp)) as conn:
            conn.execute("BEGIN TRANSACTION")
            version = migrations.migrate(conn, 0)
            now = utcnow()
            conn.execute(
                "INSERT INTO meta VALUES (1, ?, 0, ?, ?, ?, ?, ?)",
                [str(uuid.uuid4()), version, now, __version__, __version__, now],
            )
            conn.execute("COMMIT")
            conn.execute("CHECKPOINT")
        tmp.rename(path)
    except duckdb.Error as exc:
        raise StateError(
            f"cannot create state {path}: {first_line(exc)}",
            hint="check that the state directory is writable, or pass --state",
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


class StateStoreWriter(StateStoreReader):
    """The reader plus :meth:`commit`; only :func:`open_local_writer` makes one (under the lock)."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        after_commit: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout)
        self.after_commit = after_commit

    def commit(
        self,
        writes: Sequence[Write],
        *,
        actor: str,
        source: str,
        git_commit: str | None = None,
        expected_serial: int | None = None,
        progress: Any = None,
        expected_lineage: str | None = None,
    ) -> int:
        """Apply every write in ONE transaction, append history, bump serial; return it.

        No writes and no guard failure: nothing is written and the serial stays.
        ``progress`` is called as ``progress(done, total)`` with counts of writes.
        """
        args = (writes, actor, source, git_commit, expected_serial, expected_lineage, progress)
        with self._lock:  # no query of another thread in between
            suspend_readers(self.path)
            conn = connect(self.path, read_only=False, busy_timeout=self.busy_timeout)
            try:
                serial = self._transaction(conn, *args)
                if self.after_commit is not None:
                    conn.execute("CHECKPOINT")
            finally:
                conn.close()
        if self.after_commit is not None and writes:
            self.after_commit(self.path)
        if callable(progress):
            progress(len(writes), len(writes))
        return serial

    def _transaction(self, conn: Any, *args: Any) -> int:
        """BEGIN, the writes, COMMIT; on any failure ROLLBACK, so nothing lands."""
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        try:
            conn.execute("BEGIN TRANSACTION")
            serial = self._commit_in(conn, *args)
            conn.execute("COMMIT")
            return serial
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, duckdb.Error):
                raise StateError(
                    f"state file {self.path}: the commit failed and nothing was written "
                    f"({first_line(exc)})",
                    hint="if the file is damaged, restore it from a backup",
                ) from exc
            raise

    def _commit_in(
        self,
        conn: Any,
        writes: Sequence[Write],
        actor: str,
        source: str,
        git_commit: str | None,
        expected_serial: int | None,
        expected_lineage: str | None,
        progress: Any,
    ) -> int:
        lineage, serial = conn.execute("SELECT lineage, serial FROM meta").fetchone()
        if expected_lineage is not None and expected_lineage != lineage:
            raise PlanError(
                f"saved plan is stale: it was made for state lineage {expected_lineage}, "
                f"but {self.path} has lineage {lineage}",
                hint="run plan again against this state",
            )
        if expected_serial is not None and expected_serial != serial:
            raise PlanError(
                f"saved plan is stale: it was made at state serial {expected_serial}, "
                f"but the state is now at serial {serial}",
                hint="run plan again; the state changed since the plan was saved",
            )
        if not writes:
            return int(serial)
        addresses = list(dict.fromkeys(f"{w.kind}.{w.name}" for w in writes))
        current = self._current_rows(conn, addresses)
        now = utcnow()
        rows, history = apply_writes(current, writes, now=now, actor=actor, source=source)
        new_serial = int(serial) + 1
        if current:  # rows that existed are replaced (new ones need no delete)
            conn.execute("DELETE FROM objects WHERE address IN (SELECT unnest(?::VARCHAR[]))",
                         [list(current)])  # fmt: skip
        _insert_objects(conn, [row for row in rows.values() if row is not None], now, actor, source)
        (last_id,) = conn.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()
        total = len(history)
        for start in range(0, total, BATCH):
            _insert_history(conn, history[start : start + BATCH], last_id + start + 1,
                            new_serial, actor, source, now, git_commit)  # fmt: skip
            if callable(progress):
                progress(min(start + BATCH, total), total)
        conn.execute(
            "UPDATE meta SET serial = ?, updated_at = ?, tool_version = ?",
            [new_serial, now, __version__],
        )
        return new_serial

    def _current_rows(self, conn: Any, addresses: list[str]) -> dict[str, ObjectRow]:
        sql = (
            "SELECT address, kind, name, spec, manager, applied_spec, version, created_at, "
            "created_by, updated_at, updated_by, updated_source, prevent_destroy FROM objects "
            "WHERE address IN (SELECT unnest(?::VARCHAR[]))"
        )
        return {r[0]: ObjectRow(*r) for r in conn.execute(sql, [addresses]).fetchall()}


class HeldStateWriter(StateStoreWriter):
    """A writer that reads and commits on one read-write connection it holds until closed.

    Made by ``open_local_writer(..., hold_connection=True)``: one DuckDB open
    per operation instead of one for the checks, one for the reads and one for
    the commit.
    """

    def __init__(
        self,
        path: Path,
        conn: Any,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        after_commit: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout, after_commit=after_commit)
        self._conn = conn

    def release_connection(self) -> None:
        """Kept: this is the read-write connection a commit needs (closed by :meth:`close`)."""

    def commit(
        self,
        writes: Sequence[Write],
        *,
        actor: str,
        source: str,
        git_commit: str | None = None,
        expected_serial: int | None = None,
        progress: Any = None,
        expected_lineage: str | None = None,
    ) -> int:
        args = (writes, actor, source, git_commit, expected_serial, expected_lineage, progress)
        with self._lock:
            if self._conn is None:
                raise StateError(f"state file {self.path}: the writer was already closed")
            serial = self._transaction(self._conn, *args)
            if self.after_commit is not None:
                self._conn.execute("CHECKPOINT")
        if self.after_commit is not None and writes:
            self.after_commit(self.path)
        if callable(progress):
            progress(len(writes), len(writes))
        return serial


def _insert_objects(
    conn: Any, rows: Sequence[ObjectRow], now: datetime, actor: str, source: str
) -> None:
    """Insert rows in one statement: each varying column is one list parameter, unnested.

    DuckDB's ``executemany`` costs milliseconds per row; converting and
    unnesting a list costs microseconds per value, so values every row shares
    (every row in a commit was updated now, by this actor) go in as scalars.
    """
    if not rows:
        return
    columns = list(zip(*(row[:9] for row in rows), strict=True))
    conn.execute(
        "INSERT INTO objects (address, kind, name, spec, manager, applied_spec, version, "
        "created_at, created_by, prevent_destroy, updated_at, updated_by, updated_source) "
        "SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
        "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[]), "
        "unnest(?::TIMESTAMP[]), unnest(?::VARCHAR[]), unnest(?::BOOLEAN[]), ?::TIMESTAMP, ?, ?",
        [*(list(column) for column in columns), [row.prevent_destroy for row in rows],
         now, actor, source],
    )  # fmt: skip


def _insert_history(
    conn: Any,
    rows: Sequence[HistoryRow],
    first_id: int,
    serial: int,
    actor: str,
    source: str,
    now: datetime,
    git_commit: str | None,
) -> None:
    """Append history rows (ids ``first_id``...) in one statement, shared values as scalars."""
    if not rows:
        return
    conn.execute(
        'INSERT INTO history (id, serial, address, action, before, after, manager, actor, '
        'source, "at", git_commit) '
        "SELECT unnest(range(?, ?)), ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
        "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), ?, ?, ?::TIMESTAMP, ?",
        [
            first_id, first_id + len(rows), serial,
            [h.address for h in rows], [h.action for h in rows], [h.before for h in rows],
            [h.after for h in rows], [h.manager for h in rows],
            actor, source, now, git_commit,
        ],
    )  # fmt: skip


@contextmanager
def open_local_writer(
    path: str | Path,
    *,
    actor: str | None = None,
    operation: str = "apply",
    lock_timeout: float = 0.0,
    lock: StateLock | None = None,
    prepare: Callable[[Path], None] | None = None,
    after_commit: Callable[[Path], None] | None = None,
    busy_timeout: float | None = None,
    hold_connection: bool = False,
) -> Iterator[StateStoreWriter]:
    """Take the lock, create or upgrade the file, yield a writer; always release.

    ``hold_connection`` opens the file read-write once for the whole block
    (a :class:`HeldStateWriter`): right for short writes such as the
    single-object API, where opening DuckDB dominates the cost; wrong while
    waiting for a person (``apply`` prompts), as it keeps other processes'
    readers out for that long.

    The hooks are the seam for remote state: ``lock`` replaces the sidecar
    file lock, ``prepare(path)`` runs once the lock is held (download the
    current file there) and ``after_commit(path)`` after each successful
    commit (upload it).
    """
    state = Path(path)
    held = lock if lock is not None else FileLock.for_state(state)
    with _exit_cleanly_on_sigterm():
        try:
            state.parent.mkdir(parents=True, exist_ok=True)
            held.acquire(who=actor or default_actor(), operation=operation, timeout=lock_timeout)
        except OSError as exc:
            raise StateError(
                f"cannot lock state {state}: {exc.strerror or exc} "
                f"({exc.filename or state.parent})",
                hint="check that the state directory exists and is writable, or pass --state",
            ) from exc
        try:
            if prepare is not None:
                prepare(state)
            wait = max(BUSY_TIMEOUT, lock_timeout) if busy_timeout is None else busy_timeout
            if hold_connection:
                with _held_writer(state, wait, after_commit) as held_writer:
                    yield held_writer
                return
            ensure_state(state, busy_timeout=wait)
            writer = StateStoreWriter(state, busy_timeout=wait, after_commit=after_commit)
            try:
                yield writer
            finally:
                writer.close()
        finally:
            held.release()


@contextmanager
def _held_writer(
    state: Path, wait: float, after_commit: Callable[[Path], None] | None
) -> Iterator[HeldStateWriter]:
    """One read-write connection for the checks, the reads and the commit (call under the lock).

    The same refusals as :func:`ensure_state` (not a state, newer schema,
    damaged blocks), made on that connection before anything is written. The
    in-process path lock is held throughout, so this process's readers wait
    instead of clashing with the read-write connection.
    """
    if not state.exists():
        ensure_state(state, busy_timeout=wait)  # creates it (a temp file renamed in)
    ensure_not_empty(state)
    with path_lock(state):
        suspend_readers(state)
        conn = connect(state, read_only=False, busy_timeout=wait, shared=True)
        try:
            version = check_schema(conn, state)
            read_everything(conn, state)
            if version < migrations.schema_version():
                migrations.upgrade(conn, version)
        except BaseException:
            conn.close()
            raise
        writer = HeldStateWriter(state, conn, busy_timeout=wait, after_commit=after_commit)
        try:
            yield writer
        finally:
            writer.close()


@contextmanager
def _exit_cleanly_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while the lock is held, so ``finally`` releases it.

    Only when nobody else handles SIGTERM (the reconciler installs its own) and
    only in the main thread, where Python delivers signals. A commit in flight
    is rolled back or completed by DuckDB; SIGKILL still leaves the lock (see
    ``state force-unlock``).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
