"""Read a local state file in a forked child while this process loads the config.

``plan`` and ``drift`` need two independent things: the validated config
(pure Python, ~1 s for 10,000 objects) and a snapshot of the state (importing
DuckDB, opening the file, fetching every row: ~0.3 s). On a machine with two
cores they can overlap: :func:`start` forks a child that reads the snapshot
with the ordinary read-only reader, closes its connection, and sends the raw
rows back through a pipe (``marshal``: strings, numbers, tuples); the parent
meanwhile validates, then builds LiveObjects from the rows exactly as the
reader does. The parent never imports DuckDB on that path.

The snapshot is what one read-only connection saw (info, objects and the
history rows plan and drift ask about), so it is as consistent as the
in-process reader's. Anything the child could not do (no ``fork``, other
threads running, a missing file, any error reading it) makes :func:`start`
return None or :meth:`Prefetch.reader` return None, and the caller reads the
state in-process, where errors are raised with their usual messages.
"""

from __future__ import annotations

import builtins
import marshal
import os
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from finopsmetrics_cli.state.api import HistoryEntry, LiveObject, StateInfo

#: the newest history row of every address a plan or drift may ask about without
#: knowing the config: live objects whose spec differs from what their manager
#: applied, objects managed by another tool than the config, and addresses that
#: are no longer live (deleted, possibly outside of code)
_WANTED_HISTORY = (
    " WHERE address IN (SELECT address FROM objects WHERE manager IS NOT NULL AND"
    " (applied_spec IS DISTINCT FROM spec OR manager <> 'config'))"
    " OR address NOT IN (SELECT address FROM objects)"
    " QUALIFY row_number() OVER (PARTITION BY address ORDER BY id DESC) = 1"
)
_FORMAT = 1  # of the payload, in case parent and child ever disagree


class SnapshotReader:
    """A :class:`~finopsmetrics_cli.state.api.StateReader` over a prefetched snapshot.

    ``info``, ``list`` and ``last_changes``/``last_change`` of the prefetched
    addresses answer from the snapshot; anything else (``get``, ``history``, an
    address outside the prefetched history) opens the file read-only as usual.
    """

    def __init__(
        self,
        path: Path,
        info: StateInfo,
        rows: builtins.list[Any],
        history: builtins.list[Any],
    ) -> None:
        self.path = path
        self._info = info
        self._rows = rows
        self._history_rows = history
        self._history: dict[str, HistoryEntry] | None = None
        self._live = {f"{r[0]}.{r[1]}" for r in rows}
        self._fallback: Any = None

    def info(self) -> StateInfo:
        return self._info

    def list(
        self,
        kind: str | None = None,
        manager: str | None = None,
        *,
        known: Mapping[str, dict[str, Any]] | None = None,
    ) -> builtins.list[LiveObject]:
        from finopsmetrics_cli.state.reader import live_objects

        rows = [
            r
            for r in self._rows
            if (kind is None or r[0] == kind) and (manager is None or r[3] == manager)
        ]
        return live_objects(rows, known, self.path)

    def _entries(self) -> dict[str, HistoryEntry]:
        if self._history is None:
            from finopsmetrics_cli.state.reader import history_entries

            entries = history_entries(self._history_rows, self.path)
            self._history = {e.address: e for e in entries}
        return self._history

    def _covers(self, address: str) -> bool:
        """Whether the prefetched history holds this address's newest row, if it has one."""
        return address in self._entries() or address not in self._live

    def last_changes(self, addresses: Iterable[str] | None = None) -> dict[str, HistoryEntry]:
        wanted = builtins.list(addresses) if addresses is not None else None
        if wanted is not None and all(self._covers(a) for a in wanted):
            entries = self._entries()
            return {a: entries[a] for a in wanted if a in entries}
        return self._reader().last_changes(wanted)  # type: ignore[no-any-return]

    def last_change(self, address: str) -> HistoryEntry | None:
        if self._covers(address):
            return self._entries().get(address)
        return self._reader().last_change(address)  # type: ignore[no-any-return]

    def get(self, address: str) -> LiveObject | None:
        return self._reader().get(address)  # type: ignore[no-any-return]

    def history(
        self, address: str | None = None, limit: int | None = None
    ) -> builtins.list[HistoryEntry]:
        return self._reader().history(address, limit)  # type: ignore[no-any-return]

    def _reader(self) -> Any:
        if self._fallback is None:
            from finopsmetrics_cli.state.reader import StateStoreReader

            self._fallback = StateStoreReader(self.path)
        return self._fallback

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Prefetch:
    """A child process reading one state file; collect it once with :meth:`reader`."""

    def __init__(self, path: Path, pid: int, fd: int) -> None:
        self.path = path
        self._pid: int | None = pid
        self._fd: int | None = fd

    def reader(self) -> SnapshotReader | None:
        """The snapshot (waiting for the child), or None if the child could not read it."""
        if self._fd is None:
            return None
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            self.cancel()
        try:
            payload = marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            return None
        if not (isinstance(payload, tuple) and payload[:2] == ("ok", _FORMAT)):
            return None
        _, _, (lineage, serial, version, count), rows, history = payload
        info = StateInfo(str(self.path), lineage, serial, version, count)
        return SnapshotReader(self.path, info, rows, history)

    def cancel(self) -> None:
        """Stop and reap the child (if it still runs) and close the pipe; idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            pid, self._pid = self._pid, None
            try:
                os.kill(pid, signal.SIGKILL)  # done or not: what it had is no longer wanted
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def start(path: Path) -> Prefetch | None:
    """Fork a child that reads ``path``'s snapshot, or None where that cannot help or be safe.

    Only for a local file that exists (a missing one is an empty state: nothing
    to overlap), on systems with ``fork``, and only from a single-threaded
    process: a fork copies no other thread, and a lock one of them held could
    stay locked in the child forever.
    """
    if not hasattr(os, "fork") or not _single_threaded():
        return None
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        r, w = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # pragma: no cover - runs in the child; its result is tested through the parent
        _child(path, r, w)
    os.close(w)
    return Prefetch(path, pid, r)


def _single_threaded() -> bool:
    """No other thread, Python or native (DuckDB runs native worker threads once a
    database is open; Linux lists every thread in /proc)."""
    if threading.active_count() != 1 or "duckdb" in sys.modules:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc (macOS): the two checks above are what there is
        return True


def _child(path: Path, r: int, w: int) -> None:  # pragma: no cover - see start()
    """Read, close the connection, send, and leave without running the parent's exit hooks."""
    code = 0
    try:
        os.close(r)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it, not us
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        try:
            payload = marshal.dumps(_read(path))
        except BaseException:  # noqa: BLE001 - the parent re-reads and reports it properly
            payload = marshal.dumps(("failed",))
        view = memoryview(payload)
        while view:
            view = view[os.write(w, view) :]
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        os._exit(code)


def _read(path: Path) -> tuple[Any, ...]:  # pragma: no cover - runs in the child
    from finopsmetrics_cli.state.reader import (
        _HISTORY_SELECT,
        _OBJECT_SELECT,
        StateStoreReader,
    )

    with StateStoreReader(path) as reader:
        info = reader.info()
        rows = reader._query(_OBJECT_SELECT + " ORDER BY address", [])
        history = reader._query(_HISTORY_SELECT + _WANTED_HISTORY, []) if info.lineage else []
    meta = (info.lineage, info.serial, info.schema_version, info.objects)
    return ("ok", _FORMAT, meta, [tuple(r) for r in rows], [tuple(r) for r in history])
