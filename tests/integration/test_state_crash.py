"""Crash safety: SIGKILL a process in the middle of a large commit, many times.

After every kill the state must be exactly at the old serial or exactly at the
new one: every object, the object count and the history all agree with that
serial, and the next writer proceeds normally (after removing the dead
holder's lock by ID, as a user would).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb  # noqa: TID251 - the test reads the file directly
import pytest

from finopsmetrics_cli.errors import LockError
from finopsmetrics_cli.state import force_unlock, lock_holder, open_reader, open_writer
from finopsmetrics_cli.state.api import Write

BASE = 4800  # objects updated by every commit
EXTRA = 200  # objects created by every commit (and deleted by the next one)
KILLS = 22
PAD = "x" * 120

CHILD = r"""
import sys, time
from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write

path, base, extra, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def progress(done, total):
    print(f"progress {done}", flush=True)

with open_writer(path, actor="crash-child", operation="apply", lock_timeout=0) as writer:
    serial = writer.info().serial
    gen = serial + 1
    writes = [Write("update", "budget", f"b{i}", {"gen": gen, "i": i, "pad": pad}, "config")
              for i in range(base)]
    writes += [Write("delete", "budget", f"extra{serial}_{i}", None, "config")
               for i in range(extra)]
    writes += [Write("create", "budget", f"extra{gen}_{i}", {"gen": gen, "i": i}, "config")
               for i in range(extra)]
    print("committing", flush=True)
    started = time.perf_counter()
    writer.commit(writes, actor="crash-child", source="cli", expected_serial=serial,
                  progress=progress)
    print(f"committed {gen} {time.perf_counter() - started:.3f}", flush=True)
"""


def expected_history(serial: int) -> int:
    return (BASE + EXTRA) + (BASE + 2 * EXTRA) * (serial - 1)


def check_consistent(path: Path) -> int:
    """The state is wholly at one serial; return it."""
    with open_reader(path) as reader:
        info = reader.info()
        serial = info.serial
        objects = reader.list()
        assert info.objects == len(objects) == BASE + EXTRA
        assert {o.spec["gen"] for o in objects} == {serial}
        assert all(o.spec == o.applied_spec for o in objects)
        extras = sorted(o.name for o in objects if o.name.startswith("extra"))
        assert extras == sorted(f"extra{serial}_{i}" for i in range(EXTRA))
        newest = reader.history(limit=1)[0]
        assert newest.serial == serial
    with duckdb.connect(str(path), read_only=True) as conn:  # history checked in SQL: it grows
        count, top, max_serial, at_serial = conn.execute(
            "SELECT count(*), max(id), max(serial), count(*) FILTER (serial = ?) FROM history",
            [serial],
        ).fetchone()
        assert count == top == expected_history(serial)
        assert max_serial == serial
        assert at_serial == (BASE + 2 * EXTRA if serial > 1 else BASE + EXTRA)
        per_serial = conn.execute(
            "SELECT serial, count(*), count(DISTINCT address) FROM history GROUP BY serial "
            "ORDER BY serial"
        ).fetchall()
        assert [row[0] for row in per_serial] == list(range(1, serial + 1))
        assert all(n == distinct for _, n, distinct in per_serial)
    return serial


def clear_dead_lock(path: Path) -> None:
    holder = lock_holder(path)
    if holder is None:
        return
    with pytest.raises(LockError, match=r" is no longer running on this host$"):
        with open_writer(path, actor="test", operation="apply"):
            pass  # pragma: no cover
    force_unlock(path, holder.id)


def start_child(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(BASE), str(EXTRA), PAD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(child: subprocess.Popen[str], prefix: str) -> str:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(prefix):
            return line
    raise AssertionError(f"child ended before {prefix!r}: {child.wait()} {child.stderr.read()}")  # type: ignore[union-attr]


def measure_half(child: subprocess.Popen[str]) -> float:
    """Seconds from "committing" (already read) to the mid-transaction progress line."""
    started = time.monotonic()
    wait_for(child, "progress 2500")
    return time.monotonic() - started


@pytest.mark.slow
def test_sigkill_during_large_commits_leaves_old_or_new_serial(tmp_path: Path) -> None:
    path = tmp_path / "state.duckdb"
    with open_writer(path, actor="setup", operation="apply") as writer:
        writes = [Write("create", "budget", f"b{i}", {"gen": 1, "i": i, "pad": PAD}, "config")
                  for i in range(BASE)]  # fmt: skip
        writes += [Write("create", "budget", f"extra1_{i}", {"gen": 1, "i": i}, "config")
                   for i in range(EXTRA)]  # fmt: skip
        writer.commit(writes, actor="setup", source="cli")
    assert check_consistent(path) == 1

    calibration = start_child(path)  # one clean run: how long half a commit takes
    started_at = time.monotonic()
    wait_for(calibration, "committing")
    half = measure_half(calibration)
    assert calibration.wait() == 0
    calibration.stdout.close()  # type: ignore[union-attr]
    calibration.stderr.close()  # type: ignore[union-attr]
    serial = check_consistent(path)
    assert serial == 2

    rng = random.Random(os.environ.get("PYTEST_SEED", "4"))
    outcomes = []
    for attempt in range(KILLS):
        child = start_child(path)
        wait_for(child, "committing")
        if attempt % 3 == 0:  # deterministic: inside the transaction, between batches
            half = measure_half(child)
        elif attempt % 3 == 1:  # the first half of the transaction
            time.sleep(rng.uniform(0, half))
        else:  # the second half, COMMIT, the checkpoint on close, or after it all
            wait_for(child, "progress 2500")
            time.sleep(rng.uniform(0, 4 * half))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()
        now = check_consistent(path)
        assert now in (serial, serial + 1), (attempt, serial, now)
        if attempt % 3 == 0:
            assert now == serial  # killed before COMMIT: nothing landed
        outcomes.append(now - serial)
        serial = now
        clear_dead_lock(path)
    assert 0 in outcomes and 1 in outcomes, outcomes
    print(f"{KILLS} kills in {time.monotonic() - started_at:.1f}s; outcomes {outcomes}")
    final = start_child(path)  # the state is still perfectly usable
    assert final.wait() == 0, final.stderr.read() if final.stderr else ""
    assert check_consistent(path) == serial + 1
