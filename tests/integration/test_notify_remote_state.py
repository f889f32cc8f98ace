"""Two CI runners on one S3 state (moto's server) both run ``evaluate --notify``
at the same moment: the delivery log travels with the state, under its lock, so
every alert is sent once, not twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from tests.notify_servers import http_receiver
from tests.unit.evaluate.costdata import daily, write_rows
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from local_servers import MotoServer

BIN = Path(sys.executable).with_name("finopsmetrics")
CONFIG = """\
notification_channels:
  - name: hook
    type: webhook
    webhook_url: ${env:T_HOOK_URL}
budgets:
  - name: ml
    amount: 1000
    alerts:
      - {threshold: 50%, channels: [hook]}
      - {threshold: 80%, channels: [hook]}
      - {threshold: 100%, channels: [hook]}
"""


def test_two_concurrent_runners_send_each_alert_once(
    moto_endpoint: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3  # noqa: TID251 - the test creates its bucket

    moto_endpoint.environ(monkeypatch)
    moto_endpoint.reset()
    boto3.client("s3").create_bucket(Bucket="ci-state")
    location = "s3://ci-state/finops/state.duckdb"
    (tmp_path / "finopsmetrics.yaml").write_text(CONFIG)
    write_rows(tmp_path / "costs.duckdb", daily(date(2024, 3, 1), date(2024, 3, 20), 60.0))
    applied = CliRunner().invoke(
        app, ["apply", str(tmp_path / "finopsmetrics.yaml"), "--auto-approve", "--state", location]
    )
    assert applied.exit_code == 0, applied.output
    with http_receiver("hang", hang_seconds=0.4) as hook:
        env = {**os.environ, "T_HOOK_URL": hook.url("/ci"), "NO_COLOR": "1"}
        outputs: list[subprocess.CompletedProcess[str]] = []
        start = threading.Barrier(2)

        def runner() -> None:
            start.wait()
            outputs.append(subprocess.run(
                [str(BIN), "evaluate", "--notify", "--state", location, "--lock-timeout", "60s",
                 "--costs", str(tmp_path / "costs.duckdb"), "--at", "2024-03-20", "-q"],
                env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path,
            ))  # fmt: skip

        threads = [threading.Thread(target=runner) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [o.returncode for o in outputs] == [0, 0], [o.stderr for o in outputs]
        # 1,200 of 1,000 spent: three thresholds crossed, three findings, each sent once
        ids = sorted(r.json()["findings"][0]["id"] for r in hook.requests)
        assert len(ids) == 3 and len(set(ids)) == 3
        summaries = sorted(o.stdout.strip().splitlines()[-1] for o in outputs)
        assert summaries == ["3 sent, 0 failed.", "Nothing to send."]
