"""Group commit: concurrent ApplyResourceChange calls share the state's writes.

Terraform applies up to ten resources at once (``-parallelism``), each an
ApplyResourceChange on its own gRPC thread, a few milliseconds apart. Writing
one object alone takes the state lock, opens and checks the file, commits and
checkpoints it: tens of milliseconds, nearly all of it the same for one object
or ten. So one writer thread serves every caller:

- callers queue; the writer takes everyone queued as one write (one commit);
- it gathers for up to ``window`` seconds while fewer than ``max_batch`` wait;
- a burst of writes shares one *session* (lock taken, file opened and checked,
  closed and checkpointed once), which ends when nobody waits after a write,
  or after ``hold`` seconds; then the writer rests ``rest`` seconds before the
  next session if callers wait, so readers and writers in other processes
  (which retry every quarter second) get in.

Each caller waits only for the write holding its own request.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")

#: ``write(requests) -> results``: one result per request, in order.
Write = Callable[[list[Request]], Sequence[Result]]


class _Slot(Generic[Request, Result]):
    __slots__ = ("done", "error", "request", "result")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[Request, Result]):
    """Runs the writes of whoever calls :meth:`submit` in sessions of batches (see above)."""

    def __init__(
        self,
        session: Callable[[], AbstractContextManager[Write[Request, Result]]],
        *,
        window: float = 0.05,
        max_batch: int = 10,
        hold: float = 0.5,
        rest: float = 0.3,
    ) -> None:
        self._session = session
        self._window = window
        self._max_batch = max_batch
        self._hold = hold
        self._rest = rest
        self._changed = threading.Condition()
        self._queue: list[_Slot[Request, Result]] = []
        self._writer: threading.Thread | None = None

    def queued(self) -> int:
        """How many callers wait for a write to take them."""
        with self._changed:
            return len(self._queue)

    def submit(self, request: Request) -> Result:
        """This request's result, once the write holding it has finished.

        An exception from the session or the write is raised in every caller
        it concerns.
        """
        slot: _Slot[Request, Result] = _Slot(request)
        with self._changed:
            self._queue.append(slot)
            if self._writer is None:
                # not a daemon: at exit the process finishes (and closes) its session
                self._writer = threading.Thread(target=self._write_all, name="state-writer")
                self._writer.start()
            self._changed.notify_all()
            while not slot.done:
                self._changed.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    # ------------------------------------------------------------ the writer thread

    def _write_all(self) -> None:
        while True:
            with self._changed:
                if not self._queue:
                    self._writer = None
                    return
            if self._one_session():  # held to the limit: let other processes in
                time.sleep(self._rest)

    def _one_session(self) -> bool:
        """Batches while callers keep coming, up to ``hold``; True if held that long.

        A session never outlives its work: when nobody waits after a write, it is
        closed (the lock released) before that write's callers hear back, so a
        provider stopped right after its last apply leaves no lock behind.
        """
        batch: list[_Slot[Request, Result]] = []
        done: tuple[list[_Slot[Request, Result]], Sequence[Result]] | None = None
        opened = held = False
        try:
            with self._session() as write:
                opened, start = True, time.monotonic()
                batch = self._take(0.0)
                while batch:
                    results = write([s.request for s in batch])
                    held = time.monotonic() - start >= self._hold
                    if held or not self.queued():
                        done = (batch, results)  # answered once the session is closed
                        break
                    self._finish(batch, results)
                    batch = self._take(self._window)
        except BaseException as exc:
            if not opened:  # the lock or the file: those waiting hear why
                batch = self._take(0.0)
            if done is None and batch:
                self._fail(batch, exc)
            elif done is not None:  # written, but closing failed: the writes stand
                traceback.print_exc()
        if done is not None:
            self._finish(*done)
        return held

    def _take(self, wait: float) -> list[_Slot[Request, Result]]:
        """Everyone queued, after waiting up to ``wait`` for ``max_batch`` of them."""
        with self._changed:
            if wait > 0:
                self._changed.wait_for(lambda: len(self._queue) >= self._max_batch, wait)
            batch, self._queue = self._queue, []
            return batch

    def _finish(self, batch: list[_Slot[Request, Result]], results: Sequence[Result]) -> None:
        if len(results) != len(batch):  # pragma: no cover - a bug in write
            self._fail(batch, RuntimeError(f"{len(results)} results for {len(batch)} requests"))
            return
        with self._changed:
            for s, result in zip(batch, results, strict=True):
                s.result, s.done = result, True
            self._changed.notify_all()

    def _fail(self, batch: list[_Slot[Request, Result]], exc: BaseException) -> None:
        with self._changed:
            for s in batch:
                s.error, s.done = exc, True
            self._changed.notify_all()
