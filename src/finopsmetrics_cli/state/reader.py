"""Read-only access to a local state file; a missing file reads as an empty state.

Readers (validate, plan, drift) open the file read-only, so many can run at
once; they retry briefly while a commit holds the file. A state with an older
schema is read through a migrated temporary copy: reading never writes.
"""

from __future__ import annotations

import builtins
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state import migrations
from finopsmetrics_cli.state.api import HistoryEntry, LiveObject, StateInfo
from finopsmetrics_cli.state.connection import (
    BUSY_TIMEOUT,
    check_schema,
    connect,
    ensure_not_empty,
    first_line,
    unreadable,
)

# applied_spec almost always equals spec: DuckDB compares them and sends it only when it
# differs (10,000 fewer long strings to convert), with the comparison (NULL: none applied).
if TYPE_CHECKING:
    from finopsmetrics_cli.state.snapshot import Snapshot

_OBJECT_SELECT = (
    "SELECT kind, name, spec, manager, "
    "CASE WHEN applied_spec = spec THEN NULL ELSE applied_spec END, applied_spec = spec, "
    "version, epoch_us(created_at), created_by, epoch_us(updated_at), updated_by, "
    "updated_source, prevent_destroy FROM objects"
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
_PATH_LOCKS: dict[str, threading.RLock] = {}
_REGISTRY_LOCK = threading.Lock()


def path_lock(path: Path) -> threading.RLock:
    """The in-process lock of one state file.

    Threads of one process share DuckDB's database instance, so a reader's
    query, a reader's reconnect and a writer's read-write connection must
    not interleave: readers hold it per query, a writer for a whole commit.
    """
    key = str(path.resolve())
    with _REGISTRY_LOCK:
        lock = _PATH_LOCKS.get(key)
        if lock is None:
            lock = _PATH_LOCKS[key] = threading.RLock()
        return lock


def _times(micros: set[int]) -> dict[int, datetime]:
    """Aware UTC datetimes for epoch microseconds; a commit shares one time, so few are unique."""
    return {us: _EPOCH + timedelta(microseconds=us) for us in micros}


def _parse_json_column(texts: list[str | None], path: Path) -> list[Any]:
    """Parse many JSON documents in one call (one array) — far faster than one by one."""
    from pydantic_core import from_json

    try:
        return list(from_json("[" + ",".join(t if t is not None else "null" for t in texts) + "]"))
    except ValueError as exc:
        raise StateError(f"state file {path} holds an invalid spec ({exc})") from exc


def _reuse_known(
    rows: builtins.list[Any], known: Mapping[str, dict[str, Any]]
) -> builtins.list[Any]:
    """Per row, its known spec when the stored text is exactly its encoding, else None.

    Compares bytes from ``spec_json`` (``encode_spec`` without its checks): this
    runs once per object on every plan."""
    from finopsmetrics_cli.state.changes import ENCODE_ERRORS, spec_json

    specs: builtins.list[Any] = []
    append, get = specs.append, known.get
    for r in rows:
        spec = get(f"{r[0]}.{r[1]}")
        if spec is not None:
            try:
                if spec_json(spec) != r[2].encode():
                    spec = None
            except ENCODE_ERRORS:
                spec = None  # not JSON data: parse the stored text as usual
        append(spec)
    return specs


class StateStoreReader:
    """A read-only view of one local state file; missing file = empty state.

    Holds one read-only connection from its first query until :meth:`close`,
    so no other process can commit in between and ``info()`` and ``list()``
    see the same snapshot (a commit by this very process closes the
    connection first; the next call reopens it and sees the commit). Use it as
    a context manager and close it promptly: writers wait for readers.
    """

    def __init__(
        self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT, shared: bool = False
    ) -> None:
        """``shared``: attach to the process's shared DuckDB (``connection.connect``)."""
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.shared = shared
        self._conn: Any = None
        self._copy_dir: tempfile.TemporaryDirectory[str] | None = None
        self._version = migrations.schema_version()
        self._lock = path_lock(self.path)
        with _REGISTRY_LOCK:
            _READERS.setdefault(str(self.path.resolve()), weakref.WeakSet()).add(self)

    # -- connection -------------------------------------------------------------------
    def _connection(self) -> Any:
        """The open connection, or None when the file does not exist (empty state)."""
        if self._conn is not None:
            return self._conn
        if not self.path.exists():
            return None
        ensure_not_empty(self.path)
        conn = connect(
            self.path, read_only=True, busy_timeout=self.busy_timeout, shared=self.shared
        )
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

        try:
            with duckdb.connect(str(copy)) as rw:
                migrations.upgrade(rw, self._version)
            return duckdb.connect(str(copy), read_only=True)
        except duckdb.Error as exc:
            raise StateError(
                f"state file {self.path} has the older schema version {self._version}, and "
                f"upgrading a temporary copy to read it failed ({first_line(exc)}); "
                "the file was left untouched",
                hint="run a write (e.g. apply) to upgrade it in place, or restore a backup",
            ) from exc

    def release_connection(self) -> None:
        """Close the connection (a writer needs the file); the next call reopens it."""
        if self._conn is not None and self._copy_dir is None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
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
        with self._lock:  # one snapshot for serial and count
            if self._connection() is None:
                return StateInfo(str(self.path), "", 0, migrations.schema_version(), 0)
            lineage, serial = self._query("SELECT lineage, serial FROM meta", [])[0]
            ((count,),) = self._query("SELECT count(*) FROM objects", [])
        return StateInfo(str(self.path), lineage, int(serial), self._version, int(count))

    def get(self, address: str) -> LiveObject | None:
        found = self._objects(f"{_OBJECT_SELECT} WHERE address = ?", [address])
        return found[0] if found else None

    def get_many(self, addresses: Iterable[str]) -> dict[str, LiveObject]:
        """The live objects among ``addresses``, in one query: a query costs about as much
        for ten rows as for one, and a batch of single-object writes checks many."""
        wanted = builtins.list(addresses)
        if not wanted:
            return {}
        # IN (?, ?, ...) is looked up in the primary key's index; IN (SELECT unnest(?))
        # scans the table (~3x the CPU for a few addresses in 1,000 objects)
        sql = f"{_OBJECT_SELECT} WHERE address IN ({', '.join('?' * len(wanted))})"
        return {o.address: o for o in self._objects(sql, wanted)}

    def list(
        self,
        kind: str | None = None,
        manager: str | None = None,
        *,
        known: Mapping[str, dict[str, Any]] | None = None,
    ) -> builtins.list[LiveObject]:
        """Every object (optionally of one kind / one manager), ordered by address.

        ``known`` maps addresses to canonical specs (JSON data, e.g. the desired
        ones plan compares with): a stored spec whose text is exactly
        ``encode_spec`` of its known spec would parse to an equal dict, so that
        dict is handed out instead (specs are read-only, see LiveObject).
        Encoding is ~3x cheaper than parsing, and plan's comparison of the two
        then starts with one identical object.
        """
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if manager is not None:
            where.append("manager = ?")
            params.append(manager)
        sql = _OBJECT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        return self._objects(sql + " ORDER BY address", params, known)

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

    def snapshot(self) -> Snapshot:
        """Raw rows of one consistent read, for :class:`~.snapshot.SnapshotReader`."""
        from finopsmetrics_cli.state.snapshot import WANTED_HISTORY

        with self._lock:
            info = self.info()
            rows = self._query(_OBJECT_SELECT + " ORDER BY address", [])
            history = self._query(_HISTORY_SELECT + WANTED_HISTORY, []) if info.lineage else []
        meta = (info.lineage, info.serial, info.schema_version, info.objects)
        return meta, [tuple(r) for r in rows], [tuple(r) for r in history]

    def _query(self, sql: str, params: builtins.list[Any]) -> builtins.list[Any]:
        """Run a read; a missing file has no rows; a damaged one is a StateError."""
        import duckdb  # noqa: TID251 - state/ is where DuckDB lives

        with self._lock:
            conn = self._connection()
            if conn is None:
                return []
            try:
                return conn.execute(sql, params).fetchall()  # type: ignore[no-any-return]
            except duckdb.Error as exc:
                raise unreadable(self.path, exc) from exc

    def _objects(
        self,
        sql: str,
        params: builtins.list[Any],
        known: Mapping[str, dict[str, Any]] | None = None,
    ) -> builtins.list[LiveObject]:
        return live_objects(self._query(sql, params), known, self.path)

    def _history(self, sql: str, params: builtins.list[Any]) -> builtins.list[HistoryEntry]:
        return history_entries(self._query(sql, params), self.path)


def suspend_readers(path: Path) -> None:
    """Close this process's read-only connections to ``path`` (call with its path_lock)."""
    with _REGISTRY_LOCK:
        readers = list(_READERS.get(str(path.resolve()), ()))
    for reader in readers:
        reader.release_connection()


def live_objects(
    rows: builtins.list[Any], known: Mapping[str, dict[str, Any]] | None, path: Path
) -> builtins.list[LiveObject]:
    """LiveObjects from ``_OBJECT_SELECT`` rows (see ``StateStoreReader.list`` for ``known``)."""
    specs: builtins.list[Any] = _reuse_known(rows, known) if known else [None] * len(rows)
    # applied_spec almost always equals spec: parse it once and share the object
    # (specs are read-only, see LiveObject), which also makes plan's and drift's
    # "applied == live" checks instant.
    todo = [i for i, spec in enumerate(specs) if spec is None]
    distinct = [r[4] for r in rows if r[4] is not None]
    parsed = _parse_json_column([rows[i][2] for i in todo] + distinct, path)
    for i, spec in zip(todo, parsed, strict=False):
        specs[i] = spec
    extra = iter(parsed[len(todo) :])
    applied = [
        specs[i] if r[5] else None if r[4] is None else next(extra) for i, r in enumerate(rows)
    ]
    when = _times({us for r in rows for us in (r[7], r[9])})
    return [
        LiveObject(
            r[0],
            r[1],
            specs[i],
            r[3],
            applied[i],
            r[6],
            when[r[7]],
            r[8],
            when[r[9]],
            r[10],
            r[11],
            r[12],
        )  # fmt: skip
        for i, r in enumerate(rows)
    ]


def history_entries(rows: builtins.list[Any], path: Path) -> builtins.list[HistoryEntry]:
    """HistoryEntries from ``_HISTORY_SELECT`` rows."""
    parsed = _parse_json_column([t for r in rows for t in (r[4], r[5])], path)
    when = _times({r[9] for r in rows})
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
            at=when[r[9]],
            git_commit=r[10],
        )  # fmt: skip
        for i, r in enumerate(rows)
    ]
