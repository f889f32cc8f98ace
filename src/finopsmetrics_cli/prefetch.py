"""Read the config files and the state in a forked child while this process imports.

Used by the CLI's ``plan``, ``drift`` (files and state), ``apply`` and ``validate``
(files only). ``plan`` and ``drift`` start by importing the models (~0.3 s), then parse the
YAML (~0.2 s for 10,000 objects), validate it (pure Python, ~0.6 s) and read
the state (importing DuckDB, opening the file, fetching every row: ~0.3 s).
Reading the files and the state depends on none of that, so on a machine with
two cores it can run beside it: :func:`start` forks a child that

1. parses each config file with the ordinary :func:`~finopsmetrics_cli.config.
   source.read_source` and sends ``(display, text, data)`` back for every file
   that parsed cleanly on the fast path (the parent reads the others itself,
   so their errors are reported as usual), then
2. reads the state's snapshot with the ordinary read-only reader, closes its
   connection and sends the raw rows,

each through the same pipe with ``marshal`` (strings, numbers, lists, dicts).
The parent builds LiveObjects from the rows exactly as the reader does; it
never imports DuckDB on that path.

The snapshot is what one read-only connection saw (info, objects and the
history rows plan and drift ask about), so it is as consistent as the
in-process reader's. Anything the child could not do (no ``fork``, other
threads running, any error) makes :func:`start` return None or the parent's
calls return None, and the caller reads in-process, where errors are raised
with their usual messages.
"""

from __future__ import annotations

import gc
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.config.source import DEFAULT_MAX_BYTES, Parsed

if TYPE_CHECKING:  # the state layer is imported only to use a snapshot (not by validate)
    from finopsmetrics_cli.state.snapshot import Snapshot, SnapshotReader

_FORMAT = 1  # of the payload, in case parent and child ever disagree


class Prefetch:
    """A child process reading config files and/or one state file; collect each once."""

    def __init__(
        self, pid: int, fd: int, paths: tuple[str, ...] | None, state: Path | None
    ) -> None:
        self.paths = paths
        self.state = state
        self._pid: int | None = pid
        self._fd: int | None = fd
        self._sources_read = paths is None

    def sources(self, paths: Sequence[str | Path]) -> Parsed | None:
        """The files the child parsed, if it was started for exactly these ``paths``."""
        if self._sources_read:
            return None
        self._sources_read = True
        payload = self._receive()
        if payload is None or tuple(map(str, paths)) != self.paths:
            return None
        return {display: (text, data) for display, text, data in payload}

    def reader(self) -> SnapshotReader | None:
        """The state snapshot (waiting for the child), or None if it has none."""
        if not self._sources_read:
            self._sources_read = True
            self._receive()  # files nobody asked for
        payload = self._receive() if self.state is not None else None
        self.cancel()
        if payload is None:
            return None
        from finopsmetrics_cli.state.snapshot import SnapshotReader

        return SnapshotReader(Path(str(self.state)), payload)

    def _receive(self) -> Any:
        """The next message's body, or None (the child failed or the pipe broke)."""
        if self._fd is None:
            return None
        try:
            head = self._read_exactly(8)
            body = self._read_exactly(int.from_bytes(head, "big"))
            enabled = gc.isenabled()
            gc.disable()  # many small acyclic objects: a collection would free nothing
            try:
                message = marshal.loads(body)
            finally:
                if enabled:
                    gc.enable()
        except (OSError, EOFError, ValueError, TypeError):
            self.cancel()
            return None
        if isinstance(message, tuple) and len(message) == 3 and message[:2] == ("ok", _FORMAT):
            return message[2]
        return None

    def _read_exactly(self, n: int) -> bytes:
        assert self._fd is not None
        chunks, left = [], n
        while left:
            chunk = os.read(self._fd, min(left, 1 << 22))
            if not chunk:
                raise EOFError("the prefetch child stopped early")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

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


def start(
    state: Path | None,
    paths: Sequence[str | Path] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Prefetch | None:
    """Fork a child that parses ``paths`` and reads ``state``'s snapshot (either may be
    None), or return None where that cannot help or be safe.

    A state file that does not exist is not read (it is an empty state);
    only systems with ``fork``, and only from a single-threaded process: a
    fork copies no other thread, and a lock one of them held could stay locked
    in the child forever.
    """
    if not hasattr(os, "fork") or not _single_threaded():
        return None
    try:
        if state is not None and (not state.is_file() or state.stat().st_size == 0):
            state = None
    except OSError:
        state = None
    if state is None and not paths:
        return None
    shown = tuple(map(str, paths)) if paths else None
    try:
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
        _child(state, paths, max_bytes, r, w)
    os.close(w)
    return Prefetch(pid, r, shown, state)


def _single_threaded() -> bool:
    """No other thread, Python or native (DuckDB runs native worker threads once a
    database is open; Linux lists every thread in /proc)."""
    if threading.active_count() != 1 or "duckdb" in sys.modules:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc (macOS): the two checks above are what there is
        return True


def _child(  # pragma: no cover - see start()
    state: Path | None, paths: Sequence[str | Path] | None, max_bytes: int, r: int, w: int
) -> None:
    """Parse, read, send; leave without running the parent's exit hooks."""
    code = 0
    try:
        os.close(r)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it, not us
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if paths:
            _send(w, lambda: _parse(paths, max_bytes))
        if state is not None:
            _send(w, lambda: _read(state))
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        os._exit(code)


def _send(w: int, produce: Callable[[], Any]) -> None:  # pragma: no cover - in the child
    try:
        body = marshal.dumps(("ok", _FORMAT, produce()))
    except BaseException:  # noqa: BLE001 - the parent reads it itself and reports it properly
        body = marshal.dumps(("failed",))
    view = memoryview(len(body).to_bytes(8, "big") + body)
    while view:
        view = view[os.write(w, view) :]


def _parse(paths: Sequence[str | Path], max_bytes: int) -> list[tuple[str, str, Any]]:
    """``(display, text, data)`` of each file that parses cleanly on the fast path."""
    from finopsmetrics_cli.config.source import expand_paths, read_source

    files, _ = expand_paths(paths)
    out = []
    for path, display in files:
        source, problems = read_source(path, display, max_bytes=max_bytes)
        if source is not None and not problems and source.fast:
            out.append((display, source.text, source.data))
    return out


def _read(path: Path) -> Snapshot:
    """The state snapshot plan and drift need (see ``StateStoreReader.snapshot``)."""
    from finopsmetrics_cli.state.reader import StateStoreReader

    with StateStoreReader(path) as reader:
        return reader.snapshot()
