"""``evaluate --notify`` / ``--dry-run`` end to end: the CLI, a real state and cost
store, and real receivers on 127.0.0.1 (HTTP for Slack, Teams, PagerDuty and a
signed webhook; aiosmtpd with STARTTLS for email)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from tests.e2e.engine_cli import Workspace
from tests.notify_servers import Mailbox, Receiver, http_receiver, smtp_server
from tests.unit.evaluate.costdata import Row, daily, write_rows

ROOT = Path(__file__).resolve().parents[2]
HOOK_SECRET = "whsec-7d1f0c2a9b8e4f3a"
PD_KEY = "pdkey0123456789abcdef0123456789ab"
SMTP_PASSWORD = "smtp-pass-5e6f7a8b"
SLACK_TOKEN_PATH = "/services/T0SECRET/B0SECRET/xoxsecretpath"

CONFIG = """\
version: 1
notification_channels:
  - name: team-slack
    type: slack
    webhook_url: ${{env:T_SLACK_URL}}
    console_url: https://finops.example.com
  - name: team-teams
    type: teams
    webhook_url: ${{env:T_TEAMS_URL}}
  - name: oncall
    type: pagerduty
    integration_key: ${{env:T_PD_KEY}}
    url: http://127.0.0.1:{pd_port}/v2/enqueue
  - name: hook
    type: webhook
    webhook_url: ${{env:T_HOOK_URL}}
    signing_secret: ${{env:T_HOOK_SECRET}}
  - name: mail
    type: email
    addresses: [finance@example.com]
    smtp:
      host: 127.0.0.1
      port: {smtp_port}
      username: ${{env:T_SMTP_USER}}
      password: ${{env:T_SMTP_PASSWORD}}
      from_address: finops@example.com
budgets:
  - name: ml-training
    amount: 40000
    filters: {{team: ml}}
    alerts:
      - threshold: 50%
        channels: [team-slack, hook]
        recipients: ["#ml-team"]
      - threshold: 70%
        channels: [oncall]
anomaly_detectors:
  - name: spend-spikes
    model: {{type: zscore, window: 14d}}
    alerts: {{channels: [team-teams, mail]}}
"""


@dataclass
class Setup:
    ws: Workspace
    slack: Receiver
    teams: Receiver
    pd: Receiver
    hook: Receiver
    mail: Mailbox

    def evaluate(self, *args: str) -> tuple[int, str, str]:
        result = self.ws.run("evaluate", *args, "--costs", str(self.ws.root / "costs.duckdb"))
        return result.exit_code, result.stdout, result.stderr

    def receivers(self) -> dict[str, Receiver]:
        return {"slack": self.slack, "teams": self.teams, "pd": self.pd, "hook": self.hook}


def make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack: ExitStack, **scripts: list[int | str]
) -> Setup:
    slack, teams, pd, hook = (
        stack.enter_context(http_receiver(*scripts.get(name, [200]), hang_seconds=2.0))
        for name in ("slack", "teams", "pd", "hook")
    )
    mail = stack.enter_context(smtp_server(tmp_path, user="finops", password=SMTP_PASSWORD))
    ws = Workspace(tmp_path, CONFIG.format(pd_port=pd.port, smtp_port=mail.port))
    rows = daily(date(2024, 1, 1), date(2024, 3, 20), 1500.0, tags={"team": "ml"})
    rows += daily(date(2024, 1, 1), date(2024, 3, 20), 300.0, service="Amazon S3")
    write_rows(
        tmp_path / "costs.duckdb", [*rows, Row(date(2024, 3, 18), 5000.0, service="Amazon S3")]
    )
    for name, value in {
        "T_SLACK_URL": slack.url(SLACK_TOKEN_PATH), "T_TEAMS_URL": teams.url("/teams"),
        "T_PD_KEY": PD_KEY, "T_HOOK_URL": hook.url("/hook"), "T_HOOK_SECRET": HOOK_SECRET,
        "T_SMTP_USER": "finops", "T_SMTP_PASSWORD": SMTP_PASSWORD,
        "SSL_CERT_FILE": str(mail.cert), "FINOPSMETRICS_NOTIFY_TIMEOUT": "1",
        "FINOPSMETRICS_NOTIFY_ATTEMPTS": "2", "FINOPSMETRICS_NOTIFY_BACKOFF": "0.01",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FINOPSMETRICS_SECRETS_DIR", raising=False)
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    return Setup(ws, slack, teams, pd, hook, mail)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    with ExitStack() as stack:
        yield make_setup(tmp_path, monkeypatch, stack)


def test_each_channel_receives_its_message_once(setup: Setup) -> None:
    code, out, err = setup.evaluate("--notify", "--no-color", "--at", "2024-03-20")
    assert code == 0, out + err
    assert out.rstrip().endswith("5 sent, 0 failed.")
    [slack] = setup.slack.requests
    assert slack.path == SLACK_TOKEN_PATH
    body = slack.json()
    assert body["text"].startswith("[MEDIUM] budget.ml-training: ")
    assert body["blocks"][0]["type"] == "header"
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert "*Spent*\n30,000.00 of 40,000.00 USD (75%)" in fields and "*For*\n#ml-team" in fields
    [button] = body["blocks"][2]["elements"]
    assert button["url"].startswith("https://finops.example.com/findings/F")
    [teams] = setup.teams.requests
    card = teams.json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"].startswith("[CRITICAL] anomaly_detector.spend-spikes")
    [pd] = setup.pd.requests
    event = pd.json()
    assert (event["routing_key"], event["event_action"]) == (PD_KEY, "trigger")
    assert (
        event["dedup_key"].startswith("F") and event["payload"]["component"] == "budget.ml-training"
    )
    [hook] = setup.hook.requests
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Finopsmetrics-Signature"] == expected
    doc = hook.json()
    assert doc["format_version"] == 1 and doc["channel"] == "hook"
    schema = json.loads((ROOT / "schemas" / "notification-webhook.v1.schema.json").read_text())
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert [(f["event"], f["type"]) for f in doc["findings"]] == [
        ("finding.triggered", "budget_actual")
    ]
    [mail] = setup.mail.messages
    assert setup.mail.tls_sessions == 1 and setup.mail.logins == [("finops", SMTP_PASSWORD)]
    assert mail["To"] == "finance@example.com" and mail["From"] == "finops@example.com"
    parts = [p.get_content_type() for p in mail.walk()]
    assert "text/plain" in parts and "text/html" in parts
    # the same period again: everything was delivered, nothing is sent twice
    code, out, _ = setup.evaluate("--notify", "--no-color", "--at", "2024-03-20")
    assert code == 0 and out.rstrip().endswith("Nothing to send.")
    assert [len(r.requests) for r in setup.receivers().values()] == [1, 1, 1, 1]
    assert len(setup.mail.messages) == 1


def test_dry_run_prints_and_sends_nothing(setup: Setup) -> None:
    code, out, _ = setup.evaluate("--dry-run", "--no-color", "--at", "2024-03-20")
    assert code == 0
    assert "Notifications (dry run: nothing is sent)" in out
    assert "-> team-slack (slack), 1 finding(s), to: #ml-team" in out
    assert "-> mail (email), 1 finding(s), to: finance@example.com" in out
    assert "     Console: https://finops.example.com/findings/F" in out
    assert out.rstrip().endswith("5 messages would be sent.")
    assert all(not r.requests for r in setup.receivers().values()) and not setup.mail.messages
    code, out, _ = setup.evaluate("--notify", "--no-color", "--at", "2024-03-20")
    assert code == 0 and out.rstrip().endswith("5 sent, 0 failed.")


def test_json_carries_what_was_sent_and_what_would_be(setup: Setup) -> None:
    """``--format json`` has a ``notifications`` block (the text report stays on stderr)."""
    code, out, err = setup.evaluate("--dry-run", "--at", "2024-03-20", "--format", "json")
    assert code == 0, err
    block = json.loads(out)["notifications"]
    assert (block["dry_run"], block["summary"]) == (True, "5 messages would be sent.")
    slack = next(m for m in block["messages"] if m["channel"] == "team-slack")
    assert {k: slack[k] for k in ("type", "status", "recipients", "digest")} == {
        "type": "slack", "status": "would_send", "recipients": ["#ml-team"], "digest": False,
    }  # fmt: skip
    [item] = slack["findings"]
    assert (item["address"], item["event"]) == ("budget.ml-training", "trigger")
    assert item["finding"] in {f["id"] for f in json.loads(out)["findings"]}
    assert all(not r.requests for r in setup.receivers().values())
    code, out, err = setup.evaluate("--notify", "--at", "2024-03-20", "--format", "json")
    assert code == 0, err
    block = json.loads(out)["notifications"]
    assert (block["dry_run"], block["summary"]) == (False, "5 sent, 0 failed.")
    assert sorted((m["channel"], m["status"], m["attempts"]) for m in block["messages"]) == [
        ("hook", "sent", 1), ("mail", "sent", 1), ("oncall", "sent", 1),
        ("team-slack", "sent", 1), ("team-teams", "sent", 1),
    ]  # fmt: skip
    assert "Notifications" in err  # the human report, beside the JSON
    assert HOOK_SECRET not in out and SLACK_TOKEN_PATH not in out and PD_KEY not in out
    assert "notifications" not in json.loads(setup.evaluate("--format", "json")[1])


def test_a_higher_threshold_sends_again_and_resolution_closes_the_incident(setup: Setup) -> None:
    assert setup.evaluate("--notify", "--at", "2024-03-16", "--kind", "budget")[0] == 0
    assert (len(setup.slack.requests), len(setup.pd.requests)) == (1, 0)  # 24,000: 60%
    assert setup.evaluate("--notify", "--at", "2024-03-20", "--kind", "budget")[0] == 0
    assert (len(setup.slack.requests), len(setup.pd.requests)) == (1, 1)  # 30,000: 75%
    trigger = setup.pd.requests[0].json()
    code, out, _ = setup.evaluate(
        "--notify", "--no-color", "--at", "2024-03-12", "--kind", "budget"
    )
    assert code == 0  # 18,000: 45%, both findings resolve
    resolve = setup.pd.requests[1].json()
    assert resolve == {"routing_key": PD_KEY, "dedup_key": trigger["dedup_key"],
                       "event_action": "resolve"}  # fmt: skip
    assert len(setup.slack.requests) == 1  # no rule asked for resolutions on slack
    assert out.rstrip().endswith("1 sent, 0 failed.")


def test_failures_retried_reported_and_not_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ExitStack() as stack:
        scripts: dict[str, list[int | str]] = {
            "slack": [400], "hook": [500, 200], "teams": ["hang", 200], "pd": [503],
        }  # fmt: skip
        s = make_setup(tmp_path, monkeypatch, stack, **scripts)
        code, out, err = s.evaluate("--notify", "--no-color", "--at", "2024-03-20")
        assert code == 1
        assert err.splitlines() == [
            "error: notification to team-slack (slack) failed: HTTP 400 (not retried)",
            "error: notification to oncall (pagerduty) failed: HTTP 503 (after 2 attempts)",
        ]
        assert (len(s.slack.requests), len(s.hook.requests), len(s.pd.requests)) == (1, 2, 2)
        assert len(s.teams.requests) == 2  # the first hung past the 1 s timeout
        assert (
            "sent: hook (webhook): [MEDIUM] budget.ml-training" in out
            and "(HTTP 200, 2 attempts)" in out
        )
        assert out.rstrip().endswith("3 sent, 2 failed.")
        assert len(s.mail.messages) == 1  # the failing channels held nobody up
        # the next run retries only what failed
        s.slack.script, s.pd.script = [200], [202]
        code, out, _ = s.evaluate("--notify", "--no-color", "--at", "2024-03-20")
        assert code == 0 and out.rstrip().endswith("2 sent, 0 failed.")
        assert (len(s.hook.requests), len(s.teams.requests), len(s.mail.messages)) == (2, 2, 1)


def test_missing_variable_is_named_and_no_secret_is_written(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("T_HOOK_SECRET")
    code, out, err = setup.evaluate("--notify", "--no-color", "--at", "2024-03-20")
    assert code == 1
    assert (
        "error: notification to hook (webhook) failed: channel hook signing_secret: "
        "environment variable T_HOOK_SECRET is not set" in err.splitlines()
    )
    assert not setup.hook.requests and len(setup.slack.requests) == 1
    monkeypatch.setenv("T_HOOK_SECRET", HOOK_SECRET)
    code, out2, err2 = setup.evaluate(
        "--notify", "--no-color", "--at", "2024-03-20", "--format", "json"
    )
    assert code == 0 and len(setup.hook.requests) == 1
    planned = setup.ws.run("plan", str(setup.ws.config), "--out", str(setup.ws.root / "p.plan"))
    assert planned.exit_code == 0 and (setup.ws.root / "p.plan").exists()
    secrets = [HOOK_SECRET, PD_KEY, SMTP_PASSWORD, SLACK_TOKEN_PATH, "xoxsecretpath"]
    written = out + err + out2 + err2
    for file in setup.ws.root.rglob("*"):
        if file.is_file() and not file.name.startswith("smtp-"):
            written += file.read_bytes().decode("latin-1")
    assert [s for s in secrets if s in written] == []


def test_file_references_only_below_the_secrets_dir(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "hook-secret").write_text(HOOK_SECRET + "\n")
    config = setup.ws.config.read_text().replace("${env:T_HOOK_SECRET}", "${file:hook-secret}")
    setup.ws.config.write_text(config.replace("${env:T_PD_KEY}", "${file:/etc/hostname}"))
    assert setup.ws.run("apply", str(setup.ws.config), "--auto-approve").exit_code == 0
    code, _, err = setup.evaluate("--notify", "--at", "2024-03-20", "--kind", "budget")
    assert code == 1
    assert (
        "error: notification to hook (webhook) failed: channel hook signing_secret: file "
        "reference ${file:hook-secret} refused: FINOPSMETRICS_SECRETS_DIR is not set"
    ) in err
    monkeypatch.setenv("FINOPSMETRICS_SECRETS_DIR", str(secrets))
    code, _, err = setup.evaluate("--notify", "--at", "2024-03-20", "--kind", "budget")
    assert code == 1 and len(setup.hook.requests) == 1
    body = setup.hook.requests[0].body
    assert setup.hook.requests[0].headers["X-Finopsmetrics-Signature"] == (
        "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    assert err.splitlines() == [
        "error: notification to oncall (pagerduty) failed: channel oncall integration_key: file "
        "reference ${file:/etc/hostname} refused: it is outside FINOPSMETRICS_SECRETS_DIR"
    ]
    assert not setup.pd.requests


def test_notify_refuses_a_configuration_path(setup: Setup) -> None:
    code, _, err = setup.evaluate(str(setup.ws.config), "--notify")
    assert code == 1
    assert (
        "--notify sends from live state only (what was applied after review), not from a "
        "configuration file" in err
    )
    code, _, err = setup.evaluate("--notify", "--dry-run")
    assert code == 1 and "--notify and --dry-run cannot be used together" in err
    code, out, _ = setup.evaluate(
        str(setup.ws.config), "--dry-run", "--no-color", "--at", "2024-03-20"
    )
    assert code == 0 and "5 messages would be sent." in out
    assert all(not r.requests for r in setup.receivers().values())


def test_slack_with_a_bot_token_reads_the_api_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = """\
notification_channels:
  - name: bot
    type: slack
    token: ${{env:T_SLACK_TOKEN}}
    channel: "#finops"
    url: {url}
budgets:
  - name: ml
    amount: 40000
    alerts: [{{threshold: 50%, channels: [bot]}}]
"""
    monkeypatch.setenv("T_SLACK_TOKEN", "xoxb-test-0123456789")
    write_rows(tmp_path / "costs.duckdb", daily(date(2024, 3, 1), date(2024, 3, 20), 1500.0))
    answer = b'{"ok": false, "error": "channel_not_found"}'
    with http_receiver(200, body=answer) as api:
        ws = Workspace(tmp_path, config.format(url=api.url("/api/chat.postMessage")))
        assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
        result = ws.run("evaluate", "--notify", "--costs", str(tmp_path / "costs.duckdb"))
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: notification to bot (slack) failed: HTTP 200: Slack API error channel_not_found"
        ]
        [request] = api.requests
        assert request.headers["Authorization"] == "Bearer xoxb-test-0123456789"
        assert request.json()["channel"] == "#finops"
        api.body = b'{"ok": true, "ts": "1.2"}'
        result = ws.run("evaluate", "--notify", "--costs", str(tmp_path / "costs.duckdb"))
        assert result.exit_code == 0 and result.stdout.rstrip().endswith("1 sent, 0 failed.")


def test_a_refused_smtp_login_fails_only_the_email(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_SMTP_PASSWORD", "wrong-password")
    code, out, err = setup.evaluate("--notify", "--no-color", "--at", "2024-03-20")
    assert code == 1
    assert err.splitlines() == [
        "error: notification to mail (email) failed: SMTP 535 authentication failed"
    ]
    assert not setup.mail.messages and len(setup.teams.requests) == 1
    assert "wrong-password" not in out + err
