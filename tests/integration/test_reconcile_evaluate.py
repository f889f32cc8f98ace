"""``reconcile --evaluate-every``: one process applies from git, syncs the cost
sources of the applied commit, evaluates and delivers alerts (at most once) to a
real HTTP receiver; ``reconcile status`` shows the last evaluation."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pytest
from tests.integration.test_reconcile import Harness, Remote, harness, remote  # noqa: F401
from tests.notify_servers import http_receiver
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.gitops.status import load_status

SAMPLE = Path(__file__).resolve().parents[2] / "examples/cost-data/focus/focus-1.0_focus_sample.csv"
CONFIG = """\
settings:
  console_url: https://finops.example.com
notification_channels:
  - name: hook
    type: webhook
    webhook_url: ${env:T_HOOK_URL}
    signing_secret: ${env:T_HOOK_SECRET}
cost_sources:
  - name: focus-sample
    type: focus
    location: {data}
budgets:
  - name: aws-dev-compute
    amount: 12
    filters: {provider: AWS, service: "Amazon Elastic Compute*", environment: dev}
    alerts:
      - threshold: 80%
        channels: [hook]
      - threshold: 100%
        channels: [hook]
"""


def config(tmp_path: Path) -> str:
    """The controls, and billing data where an export would land (outside the repository)."""
    (tmp_path / "billing").mkdir()
    shutil.copy(SAMPLE, tmp_path / "billing" / "focus.csv")
    return CONFIG.replace("{data}", str(tmp_path / "billing" / "*.csv"))


def test_evaluate_every_syncs_evaluates_and_notifies_once(
    remote: Remote,  # noqa: F811
    harness: Harness,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sha = remote.push(config(tmp_path), "controls")
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(tmp_path / "costs.duckdb"))
    monkeypatch.setenv("T_HOOK_SECRET", "shh-0123456789")
    with http_receiver(200) as hook:
        monkeypatch.setenv("T_HOOK_URL", hook.url("/finops"))
        assert harness.reconciler(evaluate_every=3600.0).run(once=True) == 0
        evaluation = [r for r in harness.logs if r["event"] == "evaluate"]
        assert [(r["ok"], r["sent"], r["failed"], r["costs"]) for r in evaluation] == [
            (True, 2, 0, {"focus-sample": "synced"})
        ]
        assert evaluation[0]["commit"] == sha and evaluation[0]["findings"]["new"] >= 2
        assert len(hook.requests) == 2
        for request in hook.requests:
            digest = hmac.new(b"shh-0123456789", request.body, hashlib.sha256).hexdigest()
            assert request.headers["X-Finopsmetrics-Signature"] == f"sha256={digest}"
            [finding] = request.json()["findings"]
            assert finding["url"] == f"https://finops.example.com/findings/{finding['id']}"
        # the next scheduled evaluation: synced again, nothing new to send
        assert harness.reconciler(evaluate_every=3600.0).run(once=True) == 0
        last = harness.logs[-2]
        assert (last["event"], last["sent"], last["costs"]) == (
            "evaluate", 0, {"focus-sample": "unchanged"},
        )  # fmt: skip
        assert len(hook.requests) == 2
    status = load_status(harness.options.status_location)
    assert status is not None and status.last_evaluation is not None
    assert status.last_evaluation["sent"] == 0
    result = CliRunner().invoke(
        app, ["reconcile", "status", "--state", str(harness.options.state),
              "--work-dir", str(harness.options.work_dir)],
    )  # fmt: skip
    assert result.exit_code == 0
    [line] = [x for x in result.stdout.splitlines() if x.startswith("Last evaluation:")]
    assert line.endswith("notifications: 0 sent, 0 failed, 0 held")


def test_a_failed_delivery_makes_the_evaluation_fail_and_is_logged(
    remote: Remote,  # noqa: F811
    harness: Harness,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remote.push(config(tmp_path), "controls")
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(tmp_path / "costs.duckdb"))
    monkeypatch.setenv("T_HOOK_SECRET", "shh-0123456789")
    with http_receiver(404) as hook:
        monkeypatch.setenv("T_HOOK_URL", hook.url("/gone"))
        assert harness.reconciler(evaluate_every=60.0).run(once=True) == 1
    [record] = [r for r in harness.logs if r["event"] == "evaluate"]
    assert record["ok"] is False and record["failed"] == 2
    assert record["error"].startswith(
        "notification to hook (webhook) failed: HTTP 404 (not retried); "
    )
    assert "shh-0123456789" not in str(harness.logs) and "/gone" not in str(harness.logs)


def test_evaluate_every_must_be_a_positive_duration(tmp_path: Path) -> None:
    args = ["reconcile", "--repo", str(tmp_path), "--state", str(tmp_path / "s.duckdb"), "--once"]
    for bad, message in (
        ("0s", "error: --evaluate-every must be longer than 0s"),
        ("soon", "error: invalid duration for --evaluate-every: 'soon'"),
    ):
        result = CliRunner().invoke(app, [*args, "--evaluate-every", bad])
        assert result.exit_code == 1 and message in result.output


def test_cycles_and_evaluations_keep_their_own_schedules(tmp_path: Path) -> None:
    """--interval 10s and --evaluate-every 25s over 60 s: cycles at 0, 10 ... 60 and
    evaluations at 0, 25, 50, in one loop that sleeps until the next one is due."""
    import threading

    from finopsmetrics_cli.gitops.reconciler import CycleOutcome, ReconcileOptions, Reconciler

    now = [0.0]
    calls: list[tuple[str, float]] = []

    class Clockwork(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            now[0] += timeout or 0.0
            if now[0] > 60:
                self.set()
            return self.is_set()

    options = ReconcileOptions(repo=str(tmp_path), work_dir=tmp_path / "work", interval=10.0,
                               evaluate_every=25.0)  # fmt: skip
    reconciler = Reconciler(options, lambda record: None, Clockwork(), clock=lambda: now[0])
    reconciler.cycle = lambda: calls.append(("cycle", now[0])) or CycleOutcome("unchanged")  # type: ignore[method-assign]
    reconciler.evaluation = lambda: calls.append(("evaluate", now[0])) is None  # type: ignore[method-assign]
    assert reconciler.run() == 0
    assert [t for kind, t in calls if kind == "cycle"] == [0, 10, 20, 30, 40, 50, 60]
    assert [t for kind, t in calls if kind == "evaluate"] == [0, 25, 50]


BIGQUERY_CONFIG = """\
settings:
  costs: {{engine: bigquery, table: {table}, inventory: inventory.csv}}
budgets:
  - name: web
    amount: 500
    filters: {{team: web}}
    alerts: [{{threshold: 50%}}]
policies:
  - name: idle
    condition: resource.cpu_avg_7d < 5%
    action: alert
"""


def test_the_applied_commits_settings_choose_the_engine(
    remote: Remote,  # noqa: F811
    harness: Harness,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Live state carries no settings: the reconciler evaluates with its commit's, so a
    repository saying ``engine: bigquery`` is evaluated inside BigQuery (and its
    inventory file is read from the checkout), not over an empty local store."""
    from bigquery_warehouse import TABLE, serve_warehouse
    from engine_matrix import INVENTORY_CSV

    remote.push(INVENTORY_CSV, "inventory", path="inventory.csv")
    remote.push(BIGQUERY_CONFIG.format(table=TABLE), "controls")
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(tmp_path / "no-local-store.duckdb"))
    with serve_warehouse(tmp_path, monkeypatch) as (_, server):
        code = harness.reconciler(evaluate_every=3600.0).run(once=True)
        assert code == 0, harness.logs
        sent = [r["body"]["query"] for r in server.requests if r["body"] and "query" in r["body"]]
    [record] = [r for r in harness.logs if r["event"] == "evaluate"]
    assert record["ok"] is True, record
    assert (record["evaluated_at"], record["findings"]) == (
        "2025-11-29", {"new": 2, "open": 0, "resolved": 0},
    )  # fmt: skip  # the 50% alert of web, and idle from the checkout's inventory.csv
    assert any("resource inventory" in sql for sql in sent)
    assert not (tmp_path / "no-local-store.duckdb").exists()
