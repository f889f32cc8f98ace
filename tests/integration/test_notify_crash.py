"""``evaluate --notify`` killed while a slow channel is still sending: what was
already delivered is in the delivery log (recorded as deliveries finish), so the
next run sends only what never arrived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from tests.notify_servers import http_receiver
from tests.unit.evaluate.costdata import daily, write_rows
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.state import force_unlock, lock_holder

BIN = Path(sys.executable).with_name("finopsmetrics")
CONFIG = """\
notification_channels:
  - {name: fast, type: webhook, webhook_url: "${env:T_FAST}"}
  - {name: slow, type: webhook, webhook_url: "${env:T_SLOW}"}
budgets:
  - name: ml
    amount: 1000
    alerts: [{threshold: 50%, channels: [fast, slow]}]
"""


def test_a_killed_run_keeps_what_it_delivered(tmp_path: Path) -> None:
    state = str(tmp_path / "state.duckdb")
    costs = str(tmp_path / "costs.duckdb")
    (tmp_path / "f.yaml").write_text(CONFIG)
    write_rows(Path(costs), daily(date(2024, 3, 1), date(2024, 3, 10), 60.0))
    applied = CliRunner().invoke(app, ["apply", str(tmp_path / "f.yaml"), "--auto-approve",
                                       "--state", state])  # fmt: skip
    assert applied.exit_code == 0, applied.output
    command = [str(BIN), "evaluate", "--notify", "--state", state, "--costs", costs, "-q"]
    with http_receiver(200) as fast, http_receiver("hang", hang_seconds=60) as slow:
        env = {
            **os.environ, "T_FAST": fast.url(), "T_SLOW": slow.url(), "NO_COLOR": "1",
            "FINOPSMETRICS_NOTIFY_TIMEOUT": "120", "FINOPSMETRICS_NOTIFY_ATTEMPTS": "1",
        }  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (fast.requests and slow.requests) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fast.requests and slow.requests
        time.sleep(2.0)  # the fast delivery is recorded within a second of finishing
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        holder = lock_holder(state)
        assert holder is not None  # killed while holding the lock
        force_unlock(state, holder.id)
        slow.script = [200, 200]  # the slow service is back
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip().endswith("1 sent, 0 failed.")
        assert (len(fast.requests), len(slow.requests)) == (1, 2)
