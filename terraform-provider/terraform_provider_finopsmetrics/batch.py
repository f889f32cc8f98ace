"""Group commit: concurrent ApplyResourceChange calls share one engine write.

Terraform applies up to ten resources at once (``-parallelism``), each an
ApplyResourceChange on its own gRPC thread. One write alone takes the state
lock, opens DuckDB, commits and checkpoints: a few fsyncs and tens of
milliseconds, nearly all of it the same for one object or ten. So callers
arriving while a write runs queue, and go together as the next write. Within
a burst (a write ended less than ``window`` seconds ago) the next write also
waits up to ``window`` for more callers, until ``max_batch`` have come:
Terraform hands out its applies a few milliseconds apart, and one write of
five costs a fifth of five writes. The first write of a burst never waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


class _Slot(Generic[Request, Result]):
    __slots__ = ("done", "error", "request", "result")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[Request, Result]):
    """Runs ``write(requests) -> results`` (one result per request, in order) for
    whoever calls :meth:`submit`, one write at a time, batching those who wait."""

    def __init__(
        self,
        write: Callable[[list[Request]], Sequence[Result]],
        *,
        window: float = 0.0,
        max_batch: int = 10,
    ) -> None:
        self._write = write
        self._window = window
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._queue: list[_Slot[Request, Result]] = []
        self._writing = False
        self._last_end = float("-inf")

    def queued(self) -> int:
        """How many callers wait for the next write."""
        with self._changed:
            return len(self._queue)

    def submit(self, request: Request) -> Result:
        """This request's result, once the write holding it has finished.

        An exception from ``write`` is raised in every caller of that batch.
        """
        slot: _Slot[Request, Result] = _Slot(request)
        batch: list[_Slot[Request, Result]] = []
        with self._changed:
            self._queue.append(slot)
            self._changed.notify_all()
            while self._writing and not slot.done:
                self._changed.wait()
            if not slot.done:  # nobody is writing: lead a batch of everyone queued
                self._writing = True
                if time.monotonic() - self._last_end < self._window:  # a burst: gather
                    self._changed.wait_for(
                        lambda: len(self._queue) >= self._max_batch, timeout=self._window
                    )
                batch, self._queue = self._queue, []
        if batch:
            self._run(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run(self, batch: list[_Slot[Request, Result]]) -> None:
        try:
            results = self._write([s.request for s in batch])
            if len(results) != len(batch):  # pragma: no cover - a bug in write
                raise RuntimeError(f"{len(results)} results for {len(batch)} requests")
            for s, result in zip(batch, results, strict=True):
                s.result = result
        except BaseException as exc:  # every caller of the batch hears of it
            for s in batch:
                s.error = exc
        finally:
            with self._changed:
                for s in batch:
                    s.done = True
                self._writing = False
                self._last_end = time.monotonic()
                self._changed.notify_all()
