"""Eight ``finopsmetrics apply`` processes at once against one state.

Each applies one target of a shared configuration and waits for the lock
(``--lock-timeout``); every apply must land exactly once, one after another:
serials 1..8, one history entry each, nothing lost. A ninth with no timeout
started while the lock is held fails naming the holder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from finopsmetrics_cli.state import open_reader, open_writer

BIN = Path(sys.executable).with_name("finopsmetrics")
APPLIES = 8


def config(n: int) -> str:
    body = "".join(
        f"  - name: b{i}\n    amount: {100 + i}\n    period: monthly\n    currency: USD\n"
        for i in range(n)
    )
    return f"budgets:\n{body}"


@pytest.mark.slow
def test_eight_applies_at_once_land_one_at_a_time(tmp_path: Path) -> None:
    cfg, state = tmp_path / "finopsmetrics.yaml", tmp_path / "state.duckdb"
    cfg.write_text(config(APPLIES))
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [str(BIN), "apply", str(cfg), "--auto-approve", "-q", "--target", f"budget.b{i}",
             "--lock-timeout", "300s", "--state", str(state)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL, env={**env, "FINOPSMETRICS_ACTOR": f"runner-{i}"},
        )
        for i in range(APPLIES)
    ]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in out
    with open_reader(state) as reader:
        assert reader.info().serial == APPLIES
        assert {o.address for o in reader.list()} == {f"budget.b{i}" for i in range(APPLIES)}
        history = reader.history()
    assert sorted(h.serial for h in history) == list(range(1, APPLIES + 1))
    assert {h.actor for h in history} == {f"runner-{i}" for i in range(APPLIES)}
    assert all(h.action == "create" for h in history)


def test_apply_without_timeout_names_the_holder(tmp_path: Path) -> None:
    cfg, state = tmp_path / "finopsmetrics.yaml", tmp_path / "state.duckdb"
    cfg.write_text(config(1))
    with open_writer(state, actor="someone-else", operation="apply"):
        proc = subprocess.run(
            [str(BIN), "apply", str(cfg), "--auto-approve", "--state", str(state)],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
        )
    assert proc.returncode == 1
    assert "is locked: ID " in proc.stderr and "held by someone-else for 'apply'" in proc.stderr
    assert "Traceback" not in proc.stderr
