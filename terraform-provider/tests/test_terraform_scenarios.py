"""The seed's HCL, import, drift, diagnostics and conflicts through a real Terraform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tf_harness import Workspace

pytestmark = pytest.mark.terraform

SEED = Path(__file__).parent / "configs" / "seed_8_1.tf"

BUDGET = """
resource "finopsmetrics_budget" "team" {
  name   = "team-a"
  amount = %s
  alerts = [{ threshold = 0.8, channels = ["email"] }]
}
"""


def test_seed_hcl_applies_as_written(ws: Workspace) -> None:
    ws.write(SEED.read_text().replace("STATE_PATH", str(ws.state)), header=False)
    applied = ws.ok("apply")
    assert applied.summary() == "Apply complete! Resources: 5 added, 0 changed, 0 destroyed."
    assert 'budget_id = "ML Training Q1 2025"' in applied.out

    engine = ws.engine()
    budget = engine.read("budget.ML Training Q1 2025")
    assert budget is not None and budget.manager == "terraform"
    assert budget.spec["amount"] == 50000
    assert budget.spec["filters"] == {"service": "ml-training", "environment": "production"}
    assert [a["threshold"] for a in budget.spec["alerts"]] == [0.8, 1]
    assert budget.spec["alerts"][1]["priority"] == "high"
    policy = engine.read("policy.Prevent Large Instance Launches")
    assert policy is not None
    assert policy.spec["action"]["approvers"] == [
        "cto@company.com",
        "infrastructure-lead@company.com",
    ]
    assert 'requester.role NOT IN ["cto", "infrastructure_leader"]' in policy.spec["condition"]
    detector = engine.read("anomaly_detector.ML Cost Anomaly Detection")
    assert detector is not None and detector.spec["model"]["type"] == "isolation_forest"
    assert detector.spec["alerts"]["channels"] == ["slack", "pagerduty"]
    dashboard = engine.read("dashboard.CFO Executive Dashboard")
    assert dashboard is not None
    assert [w["type"] for w in dashboard.spec["widgets"]] == ["cost_trend", "budget_status"]
    assert dashboard.spec["widgets"][1]["config"] == {"show_all_budgets": True}
    assert engine.read("tag_rule.Automatic team tagging") is not None

    plan = ws.run("plan", "-detailed-exitcode")
    assert (plan.rc, plan.summary()) == (0, "No changes."), plan.text


def test_out_of_band_change_and_deletion_show_in_plan(ws: Workspace) -> None:
    # "usd" is stored as USD: Terraform keeps the spelling, the engine the canonical value.
    ws.write((BUDGET % 1000).replace("  amount", '  currency = "usd"\n  amount'))
    ws.ok("apply")
    state = json.loads((ws.dir / "terraform.tfstate").read_text())
    attrs = state["resources"][0]["instances"][0]["attributes"]
    assert (attrs["id"], attrs["currency"], attrs["period"]) == ("team-a", "usd", "monthly")
    assert attrs["alerts"][0]["threshold"] == 0.8
    assert ws.engine().read("budget.team-a").spec["currency"] == "USD"  # type: ignore[union-attr]
    engine = ws.engine()
    live = engine.read("budget.team-a")
    assert live is not None
    engine.edit_live("budget.team-a", {**live.spec, "amount": 1500})

    refresh = ws.run("plan", "-refresh-only")
    assert "Objects have changed outside of Terraform" in refresh.out, refresh.text
    assert "~ amount = 1000 -> 1500" in refresh.flat
    assert "currency" not in refresh.out
    applied = ws.ok("apply")
    assert "~ amount = 1500 -> 1000" in applied.flat and "replace" not in applied.out
    assert applied.summary() == "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
    live = engine.read("budget.team-a")
    assert live is not None and live.spec["amount"] == 1000 and not live.drifted
    actions = [h.action for h in engine.history("budget.team-a")]
    assert sorted(actions) == ["create", "edit", "update"]

    engine.delete("budget", "team-a", manager="terraform")  # deleted outside Terraform
    plan = ws.run("plan", "-detailed-exitcode")
    assert plan.rc == 2 and plan.summary() == "Plan: 1 to add, 0 to change, 0 to destroy.", (
        plan.text
    )


def test_import_command_and_import_block(ws: Workspace) -> None:
    engine = ws.engine()
    spec = {"amount": 1000, "alerts": [{"threshold": 0.8, "channels": ["email"]}]}
    engine.create("budget", "team-a", spec, manager=None)
    engine.create("budget", "team-b", {"amount": 500}, manager=None)

    ws.write(
        BUDGET % 1000
        + """
import {
  to = finopsmetrics_budget.other
  id = "team-b"
}

resource "finopsmetrics_budget" "other" {
  name   = "team-b"
  amount = 750
}

data "finopsmetrics_budget" "read" {
  name = "team-a"
}

# A reference to an object created in the same apply: not an error at plan time.
resource "finopsmetrics_team" "platform" {
  name = "platform"
}

resource "finopsmetrics_budget" "owned" {
  name   = "owned"
  amount = 10
  owner  = finopsmetrics_team.platform.name
}

output "read_amount" {
  value = data.finopsmetrics_budget.read.amount
}
"""
    )
    missing = ws.run("import", "finopsmetrics_budget.team", "nope")
    assert missing.rc == 1 and "no budget named 'nope' in the state" in missing.err, missing.text
    imported = ws.ok("import", "finopsmetrics_budget.team", "team-a")
    assert "Import successful!" in imported.out

    plan = ws.run("plan", "-detailed-exitcode")
    assert plan.rc == 2, plan.text
    assert plan.summary() == "Plan: 1 to import, 2 to add, 1 to change, 0 to destroy."
    assert "~ amount = 500 -> 750" in plan.flat
    assert "finopsmetrics_budget.team will" not in plan.out  # imported as it is: no change

    applied = ws.ok("apply")
    assert (
        applied.summary()
        == "Apply complete! Resources: 1 imported, 2 added, 1 changed, 0 destroyed."
    )
    assert "read_amount = 1000" in applied.out
    owned = engine.read("budget.owned")
    assert owned is not None and owned.spec["owner"] == "platform"
    other = engine.read("budget.team-b")
    assert other is not None and other.manager == "terraform" and other.spec["amount"] == 750
    plan = ws.run("plan", "-detailed-exitcode")
    assert plan.rc == 0, plan.text


def test_validation_errors_point_at_the_attribute(ws: Workspace) -> None:
    ws.write("""
resource "finopsmetrics_budget" "bad" {
  name   = "bad"
  amount = 1000
  alerts = [{ threshold = 20, channels = ["email"] }]
}

resource "finopsmetrics_policy" "bad" {
  name      = "bad-policy"
  condition = "resource.nope == 1"
  action {
    type      = "require_approval"
    approvers = ["cto@company.com"]
  }
}
""")
    plan = ws.run("plan")
    assert plan.rc == 1
    err = plan.flat
    assert (
        "Error: budget 'bad': alerts[0].threshold: threshold must be greater than 0 and at most 10 "
        "(1.0 = 100%), got 20.0" in err
    )
    assert (
        "with finopsmetrics_budget.bad, on main.tf line 18, "
        'in resource "finopsmetrics_budget" "bad": '
        '18: alerts = [{ threshold = 20, channels = ["email"] }]' in err
    ), err
    assert "unknown attribute 'resource.nope'" in err
    assert (
        "with finopsmetrics_policy.bad, on main.tf line 23, "
        'in resource "finopsmetrics_policy" "bad": '
        '23: condition = "resource.nope == 1" [C201]' in err
    )
    assert ws.engine().list_objects() == []


def test_unknown_provider_argument_is_a_diagnostic(ws: Workspace) -> None:
    ws.write(
        """
terraform {
  required_providers {
    finopsmetrics = { source = "finopsmetrics/finopsmetrics" }
  }
}
provider "finopsmetrics" {
  endpoint = "http://finopsmetrics.company.com"
}
resource "finopsmetrics_team" "platform" {
  name = "platform"
}
""",
        header=False,
    )
    plan = ws.run("plan")
    assert plan.rc == 1
    assert 'An argument named "endpoint" is not expected here.' in plan.err


def test_yaml_managed_objects_are_refused_unless_adopted(ws: Workspace) -> None:
    engine = ws.engine()
    engine.create("budget", "team-a", {"amount": 1000}, manager="config")
    engine.create("budget", "team-b", {"amount": 1000}, manager="config")
    other = (BUDGET % 1000).replace('"team"', '"other"').replace('"team-a"', '"team-b"')
    ws.write(BUDGET % 1000 + other)
    refused = ws.run("apply")
    assert refused.rc == 1
    assert "Error: budget.team-a is managed by config" in refused.flat, refused.text
    assert "Error: budget.team-b is managed by config" in refused.flat
    assert (
        "Set adopt = true on the resource (or in the provider block) to take it over; "
        "until then Terraform leaves it alone." in refused.flat
    )
    assert {o.manager for o in engine.list_objects()} == {"config"}

    # adopt on one resource takes over that object only
    adopting = (BUDGET % 1000).replace('name   = "team-a"', 'name   = "team-a"\n  adopt  = true')
    ws.write(adopting + other)
    partly = ws.run("apply")
    assert partly.rc == 1 and "Error: budget.team-b is managed by config" in partly.flat
    managers = {o.name: o.manager for o in engine.list_objects()}
    assert managers == {"team-a": "terraform", "team-b": "config"}
    assert "adopt" in [h.action for h in engine.history("budget.team-a")]

    # adopt in the provider block takes over every object
    ws.write(adopting + other)
    main = ws.dir / "main.tf"
    main.write_text(main.read_text().replace("  store = ", "  adopt = true\n  store = ", 1))
    ws.ok("apply")
    assert {o.manager for o in engine.list_objects()} == {"terraform"}
