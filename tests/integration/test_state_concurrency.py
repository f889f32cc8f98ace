"""Eight writers start at once against one state: one at a time, nothing lost.

Six wait for the lock (``lock_timeout``); two do not wait (timeout 0) and
either win the race or fail with a LockError naming the holder. Every writer
records when it held the lock; the intervals must not overlap, the serials
must be 1..N for the N that committed, and objects and history must contain
exactly what those N wrote. Readers run alongside the whole time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from finopsmetrics_cli.state import lock_holder, open_reader

WRITERS = 8
PER_WRITER = 300

WORKER = r"""
import json, sys, time
from finopsmetrics_cli.errors import LockError
from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write

path, name = sys.argv[1], sys.argv[2]
timeout, start_at, count = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
writes = [Write("create", "budget", f"{name}_{i}", {"owner": name, "i": i}, "config")
          for i in range(count)]
time.sleep(max(0.0, start_at - time.time()))
try:
    with open_writer(path, actor=name, operation="apply", lock_timeout=timeout) as writer:
        locked = time.time()
        serial = writer.commit(writes, actor=name, source="cli")
        time.sleep(0.05)  # hold the lock a little: overlaps would show
        released = time.time()
    print(json.dumps({"name": name, "serial": serial, "locked": locked, "released": released}))
except LockError as exc:
    print(json.dumps({"name": name, "error": exc.message}))
"""

READER = r"""
import sys, time
from finopsmetrics_cli.state import open_reader
path, until = sys.argv[1], float(sys.argv[2])
seen = []
while time.time() < until:
    with open_reader(path) as reader:
        info = reader.info()
        objects = reader.list()
        assert info.objects == len(objects), (info, len(objects))
        assert len(objects) % 300 == 0, len(objects)  # never a partial commit
        seen.append(info.serial)
    time.sleep(0.05)
assert seen == sorted(seen), seen
print(len(seen), max(seen, default=0))
"""


@pytest.mark.slow
def test_eight_concurrent_writers_one_at_a_time_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "state.duckdb"
    start_at = time.time() + 3.0  # let every interpreter start before the race
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(path),
                f"w{n}",
                "0" if n < 2 else "120",
                str(start_at),
                str(PER_WRITER),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(WRITERS)
    ]
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), str(start_at + 8)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    out, err = reader.communicate(timeout=180)
    assert reader.returncode == 0, err

    done = sorted((r for r in results if "serial" in r), key=lambda r: r["serial"])
    failed = [r for r in results if "error" in r]
    assert [r["serial"] for r in done] == list(range(1, len(done) + 1))
    assert {r["name"] for r in done} >= {f"w{n}" for n in range(2, WRITERS)}  # the patient all ran
    for earlier, later in zip(done, done[1:], strict=False):
        assert earlier["released"] <= later["locked"], (earlier, later)  # never two at once
    for failure in failed:
        assert failure["name"] in ("w0", "w1")
        assert failure["error"].startswith(f"state {path} is locked: ID ")
        holder = failure["error"].split(", held by ")[1].split(" for ")[0]
        assert holder in {f"w{n}" for n in range(WRITERS)} - {failure["name"]}

    with open_reader(path) as state:
        info = state.info()
        assert info.serial == len(done)
        objects = state.list()
        assert len(objects) == info.objects == PER_WRITER * len(done)
        owners = {o.spec["owner"] for o in objects}
        assert owners == {r["name"] for r in done}
        history = state.history()
        assert len(history) == PER_WRITER * len(done)
        by_serial = {r["serial"]: r["name"] for r in done}
        assert all(h.actor == by_serial[h.serial] for h in history)
    assert lock_holder(path) is None
    reads, last_serial = map(int, out.split())
    assert reads > 0 and last_serial <= len(done)
    print(f"{len(done)} committed, {len(failed)} refused, reader saw {reads} snapshots")
