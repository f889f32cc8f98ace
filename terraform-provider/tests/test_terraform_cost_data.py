"""The cost data sources with a real Terraform: the roadmap's
``data.finopsmetrics_cost.ml_training.total`` output, and a budget's status."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.unit.evaluate.costdata import Row, daily, write_rows
from tf_harness import Workspace

SEED = Path(__file__).parent / "configs" / "seed_8_1.tf"
COST = """
data "finopsmetrics_cost" "ml_training" {
  filters = { service = "ml-training" }
}

output "current_spend" {
  value = data.finopsmetrics_cost.ml_training.total
}

data "finopsmetrics_cost" "february_prod" {
  filters = { environment = "production", service = "ml-*,web" }
  period  = "2024-02"
}

output "february_prod" {
  value = data.finopsmetrics_cost.february_prod
}

data "finopsmetrics_budget_status" "ml" {
  name = finopsmetrics_budget.ml_training_budget.name
}

output "ml_status" {
  value = {
    actual  = data.finopsmetrics_budget_status.ml.actual
    percent = data.finopsmetrics_budget_status.ml.percent_actual
    alerts  = data.finopsmetrics_budget_status.ml.alerts_fired
    start   = data.finopsmetrics_budget_status.ml.period_start
  }
}
"""


@pytest.fixture
def costs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_rows(tmp_path / "costs.duckdb", [
        *daily(date(2024, 2, 1), date(2024, 3, 14), 1000.0, service="ml-training",
               tags={"environment": "production"}),
        *daily(date(2024, 2, 1), date(2024, 2, 29), 10.0, service="web",
               tags={"environment": "production"}),
        Row(date(2024, 2, 3), 99.0, service="web"),  # not production
    ])  # fmt: skip
    monkeypatch.setenv("FINOPSMETRICS_COSTS", str(path))
    return path


def test_seed_cost_output_and_budget_status(ws: Workspace, costs: Path) -> None:
    seed = SEED.read_text().replace("STATE_PATH", str(ws.state))
    ws.write(seed + COST, header=False)
    applied = ws.ok("apply")
    assert applied.summary() == "Apply complete! Resources: 5 added, 0 changed, 0 destroyed."
    outputs = json.loads((ws.dir / "terraform.tfstate").read_text())["outputs"]
    assert outputs["current_spend"]["value"] == 14000  # March 1-14, month to date
    february = outputs["february_prod"]["value"]
    assert (february["total"], february["currency"], february["period_start"],
            february["period_end"]) == (29290, "USD", "2024-02-01", "2024-02-29")  # fmt: skip
    assert outputs["ml_status"]["value"] == {
        "actual": 14000, "percent": 0.28, "alerts": [], "start": "2024-03-01",
    }  # fmt: skip


def test_errors_are_diagnostics_on_the_data_source(ws: Workspace, costs: Path) -> None:
    ws.write("""
data "finopsmetrics_cost" "bad" {
  period = "fortnightly"
}
data "finopsmetrics_budget_status" "missing" {
  name = "nope"
}
""")
    failed = ws.run("plan")
    assert failed.rc == 1
    assert "Error: period 'fortnightly' is not known" in failed.flat
    assert "Error: no budget named 'nope' in the state" in failed.flat
