"""SIGKILL ``finopsmetrics apply`` mid-run: state is exactly the old or the new apply.

The store's own crash test kills a writer at random points; this one kills the
real CLI process over a large configuration, the way a CI runner dies, and
then checks objects, serial and history against both configurations.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_config import generate_config  # noqa: E402

BIN = Path(sys.executable).with_name("finopsmetrics")
KILLS = 5


def start_apply(config: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN), "apply", str(config), "--auto-approve", "--allow-destroy", "-q",
         "--state", str(state)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env={**os.environ, "FINOPSMETRICS_ACTOR": "crash-test"},
    )


def snapshot(state: Path) -> tuple[int, dict[str, dict[str, object]], dict[int, int]]:
    """Serial, live specs, and history rows per serial."""
    from finopsmetrics_cli import state as state_pkg

    holder = state_pkg.lock_holder(state)
    if holder is not None:  # left behind by the killed process
        state_pkg.force_unlock(state, holder.id)
    with state_pkg.open_reader(state) as reader:
        info = reader.info()
        objects = {o.address: o.spec for o in reader.list()}
        per_serial: dict[int, int] = {}
        for entry in reader.history():
            per_serial[entry.serial] = per_serial.get(entry.serial, 0) + 1
    return info.serial, objects, per_serial


@pytest.mark.slow
def test_sigkill_during_apply_leaves_old_or_new(tmp_path: Path) -> None:
    from finopsmetrics_cli.config import load_config

    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small.write_text(generate_config(400))
    large.write_text(generate_config(1600))
    specs = {
        small: {a: o.spec for a, o in load_config([small]).objects.items()},
        large: {a: o.spec for a, o in load_config([large]).objects.items()},
    }
    state = tmp_path / "state.duckdb"
    started = time.monotonic()
    first = start_apply(small, state)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    full_run = time.monotonic() - started
    serial, objects, _ = snapshot(state)
    assert (serial, objects) == (1, specs[small])

    rng = random.Random(4)
    current, landed, killed = small, 0, 0
    for attempt in range(KILLS):
        target = large if current is small else small
        proc = start_apply(target, state)
        time.sleep(rng.uniform(0.3, full_run * 3.5))
        proc.send_signal(signal.SIGKILL)
        finished_first = proc.wait(timeout=60) == 0
        killed += not finished_first
        after, objects, per_serial = snapshot(state)
        if after == serial:
            assert objects == specs[current], f"kill {attempt}: old serial, not old objects"
            assert serial + 1 not in per_serial
        else:
            assert after == serial + 1, f"kill {attempt}: serial jumped {serial} -> {after}"
            assert objects == specs[target], f"kill {attempt}: new serial, not new objects"
            changed = len(set(specs[current]) ^ set(specs[target])) + sum(
                1 for a in set(specs[current]) & set(specs[target])
                if specs[current][a] != specs[target][a]
            )
            assert per_serial[after] == changed
            current, serial, landed = target, after, landed + 1
    print(f"{killed} of {KILLS} applies killed; {landed} landed whole, "
          f"{KILLS - landed} rolled back whole (first apply {full_run:.1f} s)")
    # whatever happened, a normal apply converges afterwards
    final = start_apply(large, state)
    assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
    assert snapshot(state)[1] == specs[large]
