"""``finopsmetrics evaluate`` end to end: a real state, a real cost store, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.e2e.engine_cli import Workspace
from tests.unit.evaluate.costdata import Row, daily, write_rows

CONFIG = """\
version: 1
budgets:
  - name: ml-training
    amount: 40000
    filters:
      team: ml
    alerts:
      - threshold: 80%
      - threshold: 100%
        type: forecasted
  - name: storage
    amount: 20000
    filters: {service: "Amazon S*"}
anomaly_detectors:
  - name: spend-spikes
    model: {type: prophet, window: 14d}
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path, CONFIG)
    rows = daily(date(2024, 1, 1), date(2024, 3, 20), 1500.0, tags={"team": "ml"})
    rows += daily(date(2024, 1, 1), date(2024, 3, 20), 300.0, service="Amazon S3")
    spike = Row(date(2024, 3, 18), 5000.0, service="Amazon S3")
    write_rows(tmp_path / "costs.duckdb", [*rows, spike])
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    return ws


def evaluate(ws: Workspace, *args: str) -> tuple[int, str, str]:
    result = ws.run("evaluate", *args, "--costs", str(ws.root / "costs.duckdb"))
    return result.exit_code, result.stdout, result.stderr


def test_text_shows_budgets_anomalies_and_findings(ws: Workspace) -> None:
    code, out, _ = evaluate(ws, "--no-color")
    assert code == 0
    assert "Budgets" in out and "Anomalies" in out and "Findings: budget" in out
    assert out.rstrip().endswith(
        "Evaluated as of 2024-03-20 (data through 2024-03-20): 2 new, 0 open, 0 resolved findings."
    )


def test_json_and_statuses_across_runs(ws: Workspace) -> None:
    code, out, _ = evaluate(ws, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["format_version"] == 1 and doc["recorded"] is True
    assert [(b["name"], b["actual"], b["percent_actual"]) for b in doc["budgets"]] == [
        ("ml-training", 30000.0, 0.75), ("storage", 11000.0, 0.55),
    ]  # fmt: skip
    assert sorted((f["type"], f["status"]) for f in doc["findings"]) == [
        ("anomaly", "new"), ("budget_forecasted", "new"),
    ]  # fmt: skip
    again = json.loads(evaluate(ws, "--format", "json")[1])
    assert sorted((f["type"], f["status"]) for f in again["findings"]) == [
        ("anomaly", "open"), ("budget_forecasted", "open"),
    ]  # fmt: skip
    assert {f["id"] for f in again["findings"]} == {f["id"] for f in doc["findings"]}


def test_exit_code_and_fail_on(ws: Workspace) -> None:
    assert evaluate(ws, "-q", "--exit-code")[0] == 2  # a critical anomaly is open
    assert evaluate(ws, "-q", "--exit-code", "--kind", "budget")[0] == 0  # forecast: medium
    assert evaluate(ws, "-q", "--exit-code", "--kind", "budget", "--fail-on", "medium")[0] == 2
    code, _, err = evaluate(ws, "--fail-on", "urgent")
    assert code == 1 and "unknown severity 'urgent'" in err


def test_what_if_of_a_branch_points_at_yaml_lines(ws: Workspace) -> None:
    ws.edit("amount: 20000", "amount: 10000\n    alerts: [{threshold: 100%}]")
    code, out, _ = evaluate(ws, str(ws.config), "--format", "github", "--kind", "budget")
    assert code == 0
    assert (
        "::error file=" + str(ws.config).replace(":", "%3A") + ",line=11,col=5,"
        "title=budget.storage (budget_actual)::"
        "11,000.00 of 10,000.00 USD spent (110%25): the 100%25 alert fired"
    ) in out.splitlines()


def test_bad_input_is_a_message_and_exit_1(ws: Workspace, tmp_path: Path) -> None:
    result = ws.run("evaluate", "--costs", str(tmp_path / "missing.duckdb"))
    assert result.exit_code == 1
    assert "error: no cost data: the cost store" in result.stderr
    assert "hint: run `finopsmetrics costs sync`" in result.stderr
    code, _, err = evaluate(ws, "--at", "2024-13-01")
    assert code == 1 and "error: --at '2024-13-01' is not a date" in err
    code, _, err = evaluate(ws, "--at", "2023-12-31")
    assert code == 1 and "is before the cost data, which starts on 2024-01-01" in err
    assert "Traceback" not in err


def test_sarif_and_markdown(ws: Workspace) -> None:
    log = json.loads(evaluate(ws, "--format", "sarif")[1])
    assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == 2
    assert evaluate(ws, "--format", "markdown")[1].startswith("<!-- finopsmetrics:evaluate -->")
