"""GroupCommit: callers arriving during a write go together as the next one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from terraform_provider_finopsmetrics.batch import GroupCommit

Writer = Callable[[list[int]], list[int]]


class Recorder:
    """Sessions whose write multiplies by ten, recording batches per session."""

    def __init__(self, fail_open: bool = False, fail_write: bool = False) -> None:
        self.sessions: list[list[list[int]]] = []
        self.closed = 0
        self.fail_open, self.fail_write = fail_open, fail_write
        self.first_running, self.release = threading.Event(), threading.Event()

    @contextmanager
    def session(self) -> Iterator[Writer]:
        if self.fail_open:
            raise RuntimeError("state is locked")
        batches: list[list[int]] = []
        self.sessions.append(batches)

        def write(requests: list[int]) -> list[int]:
            batches.append(list(requests))
            if self.fail_write:
                raise RuntimeError(f"disk full while writing {requests}")
            if len(self.sessions) == 1 and len(batches) == 1:
                self.first_running.set()
                assert self.release.wait(10)
            return [r * 10 for r in requests]

        try:
            yield write
        finally:
            self.closed += 1


def test_callers_who_wait_are_written_together_and_get_their_own_results() -> None:
    rec = Recorder()
    group: GroupCommit[int, int] = GroupCommit(rec.session, window=0.0)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group.submit, 0)
        assert rec.first_running.wait(10)
        rest = [pool.submit(group.submit, i) for i in range(1, 6)]
        while group.queued() < 5:
            threading.Event().wait(0.01)
        rec.release.set()
        assert first.result(10) == 0
        assert [f.result(10) for f in rest] == [10, 20, 30, 40, 50]
    batches = [b for s in rec.sessions for b in s]
    assert batches[0] == [0] and sorted(batches[1]) == [1, 2, 3, 4, 5] and len(batches) == 2
    assert rec.sessions == [[[0], batches[1]]]  # one session for both: nobody came after
    assert rec.closed == 1


def test_a_session_is_given_up_after_hold_and_the_next_one_waits() -> None:
    rec = Recorder()
    rec.release.set()
    group: GroupCommit[int, int] = GroupCommit(rec.session, window=0.0, hold=0.0, rest=0.0)
    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(group.submit, range(8))) == [i * 10 for i in range(8)]
    assert all(len(s) == 1 for s in rec.sessions)  # hold 0: one batch per session
    assert rec.closed == len(rec.sessions)


def test_a_failed_write_raises_in_every_caller_of_its_batch() -> None:
    rec = Recorder(fail_write=True)
    group: GroupCommit[int, int] = GroupCommit(rec.session)
    with pytest.raises(RuntimeError, match=r"^disk full while writing \[1\]$"):
        group.submit(1)
    with pytest.raises(RuntimeError, match=r"^disk full while writing \[2\]$"):
        group.submit(2)  # the next caller is written in a session of its own
    assert rec.closed == 2


def test_a_session_that_cannot_open_fails_its_callers() -> None:
    group: GroupCommit[int, int] = GroupCommit(Recorder(fail_open=True).session)
    with pytest.raises(RuntimeError, match=r"^state is locked$"):
        group.submit(1)


def test_the_last_callers_hear_back_only_once_the_session_is_closed() -> None:
    rec = Recorder()
    rec.release.set()
    group: GroupCommit[int, int] = GroupCommit(rec.session, window=0.2)
    for i in range(3):  # a provider may be stopped as soon as its last apply returns
        assert group.submit(i) == i * 10
        assert rec.closed == len(rec.sessions) == i + 1
