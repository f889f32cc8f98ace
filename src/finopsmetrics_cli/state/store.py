"""The DuckDB state store: read-only readers, one locked writer, bulk everything.

DuckDB lets one process hold a read-write connection to a file, or several
processes hold read-only ones, never both. So readers (validate, plan, drift)
open read-only and retry briefly while a commit runs; the writer holds the
read-write connection only for the length of ``commit`` and waits briefly for
readers to finish. A commit is one DuckDB transaction (WAL, fsync on commit):
whatever kills the process, the file is at the old serial or the new one.

Nothing here ever writes a file it does not understand: a corrupted file, a
DuckDB file that is not a state, or a state with a newer schema is refused
before any read-write connection is opened. A state with an older schema is
read through a migrated temporary copy and upgraded in place only by a writer.
"""

from __future__ import annotations

import builtins
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from finopsmetrics_cli import __version__
from finopsmetrics_cli.errors import PlanError, StateError
from finopsmetrics_cli.state import migrations
from finopsmetrics_cli.state.api import HistoryEntry, LiveObject, StateInfo, Write
from finopsmetrics_cli.state.changes import OBJECT_COLUMNS, ObjectRow, apply_writes
from finopsmetrics_cli.state.lock import FileLock, StateLock, default_actor

BUSY_TIMEOUT = 10.0
BATCH = 2500
_OBJECT_SELECT = (
    "SELECT address, kind, name, spec, manager, applied_spec, version, epoch_us(created_at), "
    "created_by, epoch_us(updated_at), updated_by, updated_source FROM objects"
)
_HISTORY_SELECT = (
    "SELECT id, serial, address, action, before, after, manager, actor, source, "
    'epoch_us("at"), git_commit FROM history'
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: readers open in this process, per state file: a commit closes their
#: connections first (DuckDB refuses a read-write and a read-only connection to
#: one file in one process); they reopen on their next call.
_READERS: dict[str, weakref.WeakSet[StateStoreReader]] = {}


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
            if not _is_lock_conflict(exc):
                raise _unusable(path, exc) from exc
            if time.monotonic() >= deadline:
                who = "being written by" if read_only else "open in"
                raise StateError(
                    f"state file {path} is {who} another process; gave up after "
                    f"{busy_timeout:g}s ({_first_line(exc)})",
                    hint="retry when the other finopsmetrics command has finished",
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _unusable(path: Path, exc: BaseException) -> StateError:
    return StateError(
        f"state file {path} cannot be opened: it is not a valid DuckDB database or was "
        f"written by a newer DuckDB ({_first_line(exc)}); it was left untouched",
        hint="restore it from a backup, or point --state at another file",
    )


def _unreadable(path: Path, exc: BaseException) -> StateError:
    return StateError(
        f"state file {path} is damaged and cannot be read ({_first_line(exc)}); "
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
        raise _unusable(path, exc) from exc
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


def _ensure_not_empty(path: Path) -> None:
    if path.exists() and path.stat().st_size == 0:
        raise StateError(
            f"state file {path} is empty (0 bytes); it was left untouched",
            hint="delete it to start a new state, or restore it from a backup",
        )


def _ts(micros: int, cache: dict[int, datetime]) -> datetime:
    value = cache.get(micros)
    if value is None:
        value = cache[micros] = _EPOCH + timedelta(microseconds=micros)
    return value


def _parse_json_column(texts: list[str | None], path: Path) -> list[Any]:
    """Parse many JSON documents in one call (one array) — far faster than one by one."""
    from pydantic_core import from_json

    try:
        return list(from_json("[" + ",".join(t if t is not None else "null" for t in texts) + "]"))
    except ValueError as exc:
        raise StateError(f"state file {path} holds an invalid spec ({exc})") from exc


class StateStoreReader:
    """A read-only view of one local state file; missing file = empty state.

    Holds one read-only connection from its first query until :meth:`close`
    (so ``info()`` and ``list()`` see the same snapshot); use it as a context
    manager and close it promptly, because writers wait for readers.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._conn: Any = None
        self._copy_dir: tempfile.TemporaryDirectory[str] | None = None
        self._version = migrations.schema_version()
        _READERS.setdefault(str(self.path.resolve()), weakref.WeakSet()).add(self)

    # -- connection -------------------------------------------------------------------
    def _connection(self) -> Any:
        """The open connection, or None when the file does not exist (empty state)."""
        if self._conn is not None:
            return self._conn
        if not self.path.exists():
            return None
        _ensure_not_empty(self.path)
        conn = connect(self.path, read_only=True, busy_timeout=self.busy_timeout)
        try:
            self._version = check_schema(conn, self.path)
            if self._version < migrations.schema_version():
                conn = self._upgraded_copy(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _upgraded_copy(self, conn: Any) -> Any:
        """Read an older schema through a migrated temporary copy; the file is not touched."""
        self._copy_dir = tempfile.TemporaryDirectory(prefix="finopsmetrics-state-")
        copy = Path(self._copy_dir.name) / "state.duckdb"
        shutil.copyfile(self.path, copy)  # our read-only connection keeps writers out
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        conn.close()
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        with duckdb.connect(str(copy)) as rw:
            upgrade(rw, self._version)
        return duckdb.connect(str(copy), read_only=True)

    def release_connection(self) -> None:
        """Close the connection (a writer needs the file); the next call reopens it."""
        if self._conn is not None and self._copy_dir is None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._copy_dir is not None:
            self._copy_dir.cleanup()
            self._copy_dir = None

    def __enter__(self) -> StateStoreReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------
    def info(self) -> StateInfo:
        conn = self._connection()
        if conn is None:
            return StateInfo(str(self.path), "", 0, migrations.schema_version(), 0)
        lineage, serial = self._query("SELECT lineage, serial FROM meta", [])[0]
        ((count,),) = self._query("SELECT count(*) FROM objects", [])
        return StateInfo(str(self.path), lineage, int(serial), self._version, int(count))

    def get(self, address: str) -> LiveObject | None:
        found = self._objects(f"{_OBJECT_SELECT} WHERE address = ?", [address])
        return found[0] if found else None

    def list(
        self, kind: str | None = None, manager: str | None = None
    ) -> builtins.list[LiveObject]:
        """Every object (optionally of one kind / one manager), ordered by address."""
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if manager is not None:
            where.append("manager = ?")
            params.append(manager)
        sql = _OBJECT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        return self._objects(sql + " ORDER BY address", params)

    def history(
        self, address: str | None = None, limit: int | None = None
    ) -> builtins.list[HistoryEntry]:
        """History rows, newest first (``limit`` keeps the newest N)."""
        sql, params = _HISTORY_SELECT, builtins.list[Any]()
        if address is not None:
            sql += " WHERE address = ?"
            params.append(address)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(int(limit), 0))
        return self._history(sql, params)

    def last_change(self, address: str) -> HistoryEntry | None:
        found = self.history(address, limit=1)
        return found[0] if found else None

    def last_changes(self, addresses: Iterable[str] | None = None) -> dict[str, HistoryEntry]:
        """The newest history row of each address, in one query (drift needs many)."""
        sql, params = _HISTORY_SELECT, builtins.list[Any]()
        if addresses is not None:
            sql += " WHERE address IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(addresses))
        sql += " QUALIFY row_number() OVER (PARTITION BY address ORDER BY id DESC) = 1"
        return {entry.address: entry for entry in self._history(sql, params)}

    def _query(self, sql: str, params: builtins.list[Any]) -> builtins.list[Any]:
        """Run a read; a missing file has no rows; a damaged one is a StateError."""
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        conn = self._connection()
        if conn is None:
            return []
        try:
            return conn.execute(sql, params).fetchall()  # type: ignore[no-any-return]
        except duckdb.Error as exc:
            raise _unreadable(self.path, exc) from exc

    def _objects(self, sql: str, params: builtins.list[Any]) -> builtins.list[LiveObject]:
        rows = self._query(sql, params)
        parsed = _parse_json_column([t for r in rows for t in (r[3], r[5])], self.path)
        cache: dict[int, datetime] = {}
        return [
            LiveObject(
                kind=r[1],
                name=r[2],
                spec=parsed[2 * i],
                manager=r[4],
                applied_spec=parsed[2 * i + 1],
                version=r[6],
                created_at=_ts(r[7], cache),
                created_by=r[8],
                updated_at=_ts(r[9], cache),
                updated_by=r[10],
                updated_source=r[11],
            )  # fmt: skip
            for i, r in enumerate(rows)
        ]

    def _history(self, sql: str, params: builtins.list[Any]) -> builtins.list[HistoryEntry]:
        rows = self._query(sql, params)
        parsed = _parse_json_column([t for r in rows for t in (r[4], r[5])], self.path)
        cache: dict[int, datetime] = {}
        return [
            HistoryEntry(
                id=r[0],
                serial=r[1],
                address=r[2],
                action=r[3],
                before=parsed[2 * i],
                after=parsed[2 * i + 1],
                manager=r[6],
                actor=r[7],
                source=r[8],
                at=_ts(r[9], cache),
                git_commit=r[10],
            )  # fmt: skip
            for i, r in enumerate(rows)
        ]


def _rollback(conn: Any) -> None:
    """Roll back if a transaction is open; a failed rollback must not hide the real error."""
    try:
        conn.execute("ROLLBACK")
    except Exception:  # no transaction (BEGIN failed) or the connection is broken
        pass


def _suspend_readers(path: Path) -> None:
    for reader in list(_READERS.get(str(path.resolve()), ())):
        reader.release_connection()


def upgrade(conn: Any, current: int) -> None:
    """Migrate ``conn`` from ``current`` to our schema in one transaction."""
    conn.execute("BEGIN TRANSACTION")
    try:
        version = migrations.migrate(conn, current)
        conn.execute("UPDATE meta SET schema_version = ?", [version])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _read_everything(conn: Any, path: Path) -> None:
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
        raise _unreadable(path, exc) from exc


def ensure_state(path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
    """Create a new state (atomically) or upgrade an older one; call with the lock held."""
    if not path.exists():
        _create(path)
        return
    _ensure_not_empty(path)
    _suspend_readers(path)
    conn = connect(path, read_only=True, busy_timeout=busy_timeout)
    try:
        version = check_schema(conn, path)
        _read_everything(conn, path)
    finally:
        conn.close()
    if version < migrations.schema_version():
        _suspend_readers(path)
        conn = connect(path, read_only=False, busy_timeout=busy_timeout)
        try:
            upgrade(conn, version)
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
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        _suspend_readers(self.path)
        conn = connect(self.path, read_only=False, busy_timeout=self.busy_timeout)
        try:
            try:
                conn.execute("BEGIN TRANSACTION")
                serial = self._commit_in(conn, writes, actor, source, git_commit,
                                         expected_serial, expected_lineage, progress)  # fmt: skip
                conn.execute("COMMIT")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, duckdb.Error):
                    raise StateError(
                        f"state file {self.path}: the commit failed and nothing was written "
                        f"({_first_line(exc)})",
                        hint="if the file is damaged, restore it from a backup",
                    ) from exc
                raise
            if self.after_commit is not None:
                conn.execute("CHECKPOINT")
        finally:
            conn.close()
        if self.after_commit is not None and writes:
            self.after_commit(self.path)
        if callable(progress):
            progress(len(writes), len(writes))
        return serial

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
        conn.execute("DELETE FROM objects WHERE address IN (SELECT unnest(?::VARCHAR[]))",
                     [addresses])  # fmt: skip
        kept = [row for row in rows.values() if row is not None]
        _insert_columns(conn, "objects", OBJECT_COLUMNS, kept)
        (last_id,) = conn.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()
        total = len(history)
        for start in range(0, total, BATCH):
            chunk = history[start : start + BATCH]
            values = [
                (last_id + start + i + 1, new_serial, h.address, h.action, h.before, h.after,
                 h.manager, actor, source, now, git_commit)
                for i, h in enumerate(chunk)
            ]  # fmt: skip
            _insert_columns(conn, "history", _HISTORY_COLUMNS, values)
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
            "created_by, updated_at, updated_by, updated_source FROM objects "
            "WHERE address IN (SELECT unnest(?::VARCHAR[]))"
        )
        return {r[0]: ObjectRow(*r) for r in conn.execute(sql, [addresses]).fetchall()}


_HISTORY_COLUMNS = (
    "id", "serial", "address", "action", "before", "after",
    "manager", "actor", "source", "\"at\"", "git_commit",
)  # fmt: skip
_TYPES = {
    "objects": ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT",
                "TIMESTAMP", "VARCHAR", "TIMESTAMP", "VARCHAR", "VARCHAR"),
    "history": ("BIGINT", "BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
                "VARCHAR", "VARCHAR", "TIMESTAMP", "VARCHAR"),
}  # fmt: skip


def _insert_columns(
    conn: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows with one statement: each column is one list parameter, unnested.

    DuckDB's ``executemany`` costs milliseconds per row; this costs one round trip.
    """
    if not rows:
        return
    types = _TYPES[table]
    selects = ", ".join(f"unnest(?::{t}[])" for t in types)
    conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selects}",
        [list(column) for column in zip(*rows, strict=True)],
    )


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
) -> Iterator[StateStoreWriter]:
    """Take the lock, create or upgrade the file, yield a writer; always release.

    The hooks are the seam for remote state: ``lock`` replaces the sidecar
    file lock, ``prepare(path)`` runs once the lock is held (download the
    current file there) and ``after_commit(path)`` after each successful
    commit (upload it).
    """
    state = Path(path)
    state.parent.mkdir(parents=True, exist_ok=True)
    held = lock if lock is not None else FileLock.for_state(state)
    held.acquire(who=actor or default_actor(), operation=operation, timeout=lock_timeout)
    try:
        if prepare is not None:
            prepare(state)
        wait = max(BUSY_TIMEOUT, lock_timeout) if busy_timeout is None else busy_timeout
        ensure_state(state, busy_timeout=wait)
        writer = StateStoreWriter(state, busy_timeout=wait, after_commit=after_commit)
        try:
            yield writer
        finally:
            writer.close()
    finally:
        held.release()
