"""GroupCommit: callers arriving during a write go together as the next one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from terraform_provider_finopsmetrics.batch import GroupCommit


def test_callers_who_wait_are_written_together_and_get_their_own_results() -> None:
    first_running, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def write(requests: list[int]) -> list[int]:
        batches.append(list(requests))
        if len(batches) == 1:
            first_running.set()
            assert release.wait(10)
        return [r * 10 for r in requests]

    group: GroupCommit[int, int] = GroupCommit(write)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group.submit, 0)
        assert first_running.wait(10)
        rest = [pool.submit(group.submit, i) for i in range(1, 6)]
        while group.queued() < 5:
            threading.Event().wait(0.01)
        release.set()
        assert first.result(10) == 0
        assert [f.result(10) for f in rest] == [10, 20, 30, 40, 50]
    assert batches[0] == [0]
    assert sorted(batches[1]) == [1, 2, 3, 4, 5]
    assert len(batches) == 2


def test_a_failed_write_raises_in_every_caller_of_its_batch() -> None:
    def write(requests: list[str]) -> list[str]:
        raise RuntimeError(f"disk full while writing {requests}")

    group: GroupCommit[str, str] = GroupCommit(write)
    with pytest.raises(RuntimeError, match=r"^disk full while writing \['a'\]$"):
        group.submit("a")
    # the next caller leads a write of its own
    with pytest.raises(RuntimeError, match=r"^disk full while writing \['b'\]$"):
        group.submit("b")
