"""Live objects for a burst of provider calls, from one read of the state.

``terraform plan`` refreshes every resource, one ReadResource each; opening the
state file for each (to read one row) was most of a plan's time. The view
reads every object once instead and answers the burst from memory, keeping
that read-only connection open meanwhile: while it is open no other process
can commit (DuckDB admits a writer only when no reader has the file), so the
copy stays exactly the live state. It closes both, and reads afresh when next
asked, when

- this process writes: a commit closes the process's readers first, which
  the view notices (and the provider calls :meth:`LiveView.forget` around
  its own writes);
- another process wants to write (it holds the writer lock): from then on each
  call reads on its own, as before, so the writer is not kept waiting;
- nobody has asked for :data:`IDLE` seconds.

Remote (``s3://``) states, a state not created yet and a state with an older
schema (read through a migrated temporary copy, so no connection to the file
is held) are read per call, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from finopsmetrics_cli.state.reader import StateStoreReader

if TYPE_CHECKING:
    from finopsmetrics_cli.state.api import LiveObject

#: Seconds without a call after which the view lets the state file go.
IDLE = 0.5


class LiveView:
    """``get(address)`` for one state location, cached while it is safe (see the module)."""

    def __init__(self, location: str, read: Callable[[str], LiveObject | None]) -> None:
        """``read``: the per-call read (``Engine.read``) used when no copy can be kept."""
        from finopsmetrics_cli import state

        self.location = location
        self._read = read
        self._cacheable = not state.is_remote(location)
        self._lock = threading.Lock()
        self._reader: _HeldReader | None = None
        self._objects: dict[str, LiveObject] | None = None
        self._last_used = 0.0

    def get(self, address: str) -> LiveObject | None:
        if self._cacheable:
            with self._lock:
                if not self._writer_waiting():
                    if self._reader is not None and self._reader.released:
                        self._drop()  # a commit in this process: the copy may be stale
                    objects = self._objects if self._objects is not None else self._load()
                    if objects is not None:
                        self._last_used = time.monotonic()
                        return objects.get(address)
        return self._read(address)

    def exists(self, address: str) -> bool:
        """Whether ``address`` is live: from the copy while one is held, else read alone.

        Validation asks this for the objects a spec names; between writes (during
        an apply) a whole new copy would be thrown away again at the next write.
        """
        if self._cacheable:
            with self._lock:
                held = self._reader is not None and not self._reader.released
                if held and self._objects is not None and not self._writer_waiting():
                    self._last_used = time.monotonic()
                    return address in self._objects
        return self._read(address) is not None

    def forget(self) -> None:
        """Drop the copy and the connection (this process is about to write, or wrote)."""
        with self._lock:
            self._drop()

    # ------------------------------------------------------------ internals

    def _writer_waiting(self) -> bool:
        """Whether someone holds the writer lock; if so, let the file go now."""
        from finopsmetrics_cli import state

        try:
            held = state.lock_holder(self.location) is not None
        except Exception:  # an unreadable lock record: assume a writer, read per call
            held = True
        if held:
            self._drop()
        return held

    def _load(self) -> dict[str, LiveObject] | None:
        """Every live object, with the connection kept open; None if it cannot be kept."""
        from finopsmetrics_cli.state import migrations

        reader = _HeldReader(self.location, shared=True)
        try:
            info = reader.info()  # opens the connection the copy relies on, if the file exists
            if not info.lineage or info.schema_version != migrations.schema_version():
                # no file yet, or one read through a migrated copy (the file is not
                # held): read per call; an older file would be copied again each time
                self._cacheable = bool(not info.lineage)
                reader.close()
                return None
            objects = {o.address: o for o in reader.list()}
        except BaseException:
            reader.close()
            raise
        self._reader, self._objects = reader, objects
        self._last_used = time.monotonic()
        self._expire_later(IDLE)
        return objects

    def _drop(self) -> None:
        reader, self._reader, self._objects = self._reader, None, None
        if reader is not None:
            reader.close()

    def _expire_later(self, delay: float) -> None:
        timer = threading.Timer(delay, self._expire)
        timer.daemon = True
        timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._objects is None:
                return
            idle = time.monotonic() - self._last_used
            if idle >= IDLE:
                self._drop()
            else:
                self._expire_later(IDLE - idle)


class _HeldReader(StateStoreReader):
    """A reader that remembers whether a writer in this process closed its connection."""

    released = False

    def release_connection(self) -> None:
        self.released = True
        super().release_connection()
