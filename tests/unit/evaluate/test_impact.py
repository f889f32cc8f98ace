from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from tests.e2e.engine_cli import Workspace
from tests.unit.evaluate.costdata import Row, daily

Store = Callable[[Sequence[Row]], Path]
ROOT = Path(__file__).resolve().parents[3]
CONFIG = """\
budgets:
  - name: ml-training-q1
    amount: {amount}
    period: quarterly
    start_date: 2024-01-01
    end_date: 2024-03-31
    filters: {{project: ml-training}}
    alerts:
      - threshold: 80%
      - threshold: 100%
      - threshold: 120%
        type: forecasted
  - name: untouched
    amount: 10
"""


@pytest.fixture
def ws(tmp_path: Path, cost_store: Store, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = Workspace(tmp_path, CONFIG.format(amount=60000))
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    rows = daily(date(2024, 2, 1), date(2024, 3, 12), 1000.0, tags={"project": "ml-training"})
    path = cost_store([*rows, Row(date(2024, 3, 13), 200.0, tags={"project": "ml-training"})])
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(path))
    return ws


def test_a_budget_lowered_below_spend_says_which_alerts_would_fire(ws: Workspace) -> None:
    ws.config.write_text(CONFIG.format(amount=40000))
    result = ws.run("plan", str(ws.config), "--no-color")
    assert result.exit_code == 0
    tail = result.stdout.split("Plan: 0 to add, 1 to change, 0 to destroy.")[1]
    assert tail.strip().splitlines() == [
        "Cost impact (cost data through 2024-03-13):",
        "  budget.ml-training-q1: 41,200.00 of 40,000.00 spent (103%): the 80% and 100% alerts "
        "would fire; forecast 58,977.88 (147%): the 120% forecasted alert would fire",
    ]


def test_json_and_markdown_carry_it(ws: Workspace) -> None:
    ws.config.write_text(CONFIG.format(amount=100000))
    doc = json.loads(ws.run("plan", str(ws.config), "--format", "json").stdout)
    jsonschema.validate(doc, json.loads((ROOT / "schemas/plan.schema.json").read_text()))
    (budget,) = doc["cost_impact"]["budgets"]
    assert (budget["address"], budget["action"], budget["actual"], budget["alerts_would_fire"]) == (
        "budget.ml-training-q1", "update", 41200.0, [],
    )  # fmt: skip
    assert budget["message"].endswith("forecast 58,977.88 (59%): no alert would fire")
    markdown = ws.run("plan", str(ws.config), "--format", "markdown").stdout
    section = "#### Cost impact (cost data through 2024-03-13)\n\n- budget.ml-training-q1: "
    assert section in markdown


def test_no_budget_change_or_no_cost_store_no_section(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert "Cost impact" not in ws.run("plan", str(ws.config)).stdout  # nothing changed
    ws.config.write_text(CONFIG.format(amount=40000))
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(tmp_path / "none.duckdb"))
    result = ws.run("plan", str(ws.config), "--format", "json")
    assert result.exit_code == 0 and "cost_impact" not in json.loads(result.stdout)


GOVERNANCE = """\
policies:
  - name: costly
    condition: resource.cost_monthly > 1000
    action: alert
  - name: idle
    condition: resource.cpu_avg_7d < 5%
    action: alert
tag_rules:
  - name: teams
    pattern: "^i-ml"
    tags: {team: ml}
"""


def test_new_policies_and_tag_rules_say_what_they_match_and_cover(
    ws: Workspace, cost_store: Store
) -> None:
    cost_store([Row(date(2024, 3, 13), 2000.0, resource="i-ml-1"),
                Row(date(2024, 3, 13), 500.0, resource="i-web-1", tags={"team": "web"})])
    ws.config.write_text(CONFIG.format(amount=60000) + GOVERNANCE)
    result = ws.run("plan", str(ws.config), "--no-color")
    tail = result.stdout.split("Plan: 3 to add, 0 to change, 0 to destroy.")[1]
    assert tail.strip().splitlines() == [
        "Cost impact (cost data through 2024-03-13):",
        "  policy.costly: would match 1 resource (2,000.00 USD a month)",
        "  policy.idle: not evaluable (resource.cpu_avg_7d)",
        "  tag_rule.teams: coverage of spend (own tags -> with this rule's values): "
        "team 0% -> 100%",
    ]
    doc = json.loads(ws.run("plan", str(ws.config), "--format", "json").stdout)
    jsonschema.validate(doc, json.loads((ROOT / "schemas/plan.schema.json").read_text()))
    assert doc["cost_impact"]["policies"][0] == {
        "address": "policy.costly", "action": "create",
        "message": "would match 1 resource (2,000.00 USD a month)", "status": "evaluated",
        "matched": 1, "cost_monthly": {"USD": 2000.0},
    }
    assert doc["cost_impact"]["tag_rules"][0]["coverage"] == [
        {"key": "team", "before": 0.0, "after": 1.0}
    ]


def test_inactive_budgets_and_currency_problems_are_said(ws: Workspace) -> None:
    ws.config.write_text(
        CONFIG.format(amount=40000).replace("end_date: 2024-03-31", "end_date: 2024-02-29")
    )
    lines = ws.run("plan", str(ws.config), "--no-color").stdout.strip().splitlines()
    assert lines[-1] == (
        "  budget.ml-training-q1: not active on this day (disabled or outside its dates)"
    )
    ws.config.write_text(CONFIG.format(amount=40000) + "    currency: EUR\n")
    lines = ws.run("plan", str(ws.config), "--no-color").stdout.strip().splitlines()
    assert lines[-2:] == [
        "Cost impact:",
        "  not available: budget.untouched is in EUR, but the cost data it sums is in USD: "
        "set `currency: USD` on it, or filter it to EUR rows",
    ]


def test_budgets_in_plan_read_the_config_virtual_tags(ws: Workspace, cost_store: Store) -> None:
    cost_store([Row(date(2024, 3, 13), 300.0, resource="i-ml-1")])
    ws.config.write_text(CONFIG.format(amount=60000) + """\
  - name: ml-team
    amount: 1000
    filters: {team: ml}
virtual_tags:
  teams:
    mappings: {"i-ml-1": {team: ml}}
""")
    result = ws.run("plan", str(ws.config), "--no-color")
    assert "  budget.ml-team: 300.00 of 1,000.00 spent (30%); forecast" in result.stdout
