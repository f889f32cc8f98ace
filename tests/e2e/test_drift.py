"""drift through the CLI: outside changes with who/when, formats, exit codes, ignore_changes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from engine_cli import Workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    return ws


def console_edit(ws: Workspace, address: str, **changes: object) -> None:
    engine = ws.engine(actor="alice@console", source="api")
    live = engine.read(address)
    engine.edit_live(address, {**live.spec, **changes})


def test_no_drift(ws: Workspace) -> None:
    result = ws.run("drift", str(ws.config), "--exit-code")
    assert result.exit_code == 0
    assert result.stdout == "No drift: 4 managed objects match what was applied.\n"


def test_edit_live_is_drift_with_who_and_when(ws: Workspace) -> None:
    console_edit(ws, "budget.ml-training", amount=65000)
    result = ws.sub("drift", "--exit-code")
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Objects changed outside of code:"
    assert lines[2].startswith(
        "  ~ budget.ml-training was changed outside of code by alice@console (source api) at "
    )
    assert lines[3] == "      ~ amount: 50000 -> 65000"
    assert lines[-1] == "Drift: 1 of 4 managed objects changed outside of code."
    assert ws.engine().info().serial == 2  # drift wrote nothing


def test_terraform_takeover_and_delete_are_drift(ws: Workspace) -> None:
    tf = ws.engine(actor="tf-user", source="terraform")
    live = tf.read("budget.data-lake")
    tf.update("budget", "data-lake", {**live.spec, "amount": 1.0}, manager="terraform",
              adopt=True)
    ws.engine(actor="tf-user", source="terraform").create(
        "budget", "temp", {"amount": 1, "period": "monthly", "currency": "USD"},
        manager="terraform")
    result = ws.run("drift", str(ws.config), "--format", "json")
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads((ROOT / "schemas/drift.schema.json").read_text()))
    (item,) = document["items"]
    assert (item["address"], item["change"], item["manager"], item["actor"], item["source"]) == (
        "budget.data-lake", "manager", "terraform", "tf-user", "terraform")
    assert item["fields"] == [{"path": "amount", "action": "change", "old": 12000.0, "new": 1.0}]


def test_deleted_outside_of_code(ws: Workspace) -> None:
    engine = ws.engine(actor="bob", source="api")
    live = engine.read("budget.data-lake")
    engine.update("budget", "data-lake", live.spec, manager="terraform", adopt=True)
    engine.delete("budget", "data-lake", manager="terraform")
    result = ws.run("drift", str(ws.config))
    assert "  - budget.data-lake was deleted outside of code by bob (source api)" in result.stdout
    plan = ws.run("plan", str(ws.config))
    assert "+ budget.data-lake" in plan.stdout


def test_ignore_changes_is_not_drift(ws: Workspace) -> None:
    ws.edit("  - name: data-lake\n", "  - name: data-lake\n    lifecycle:\n"
            "      ignore_changes: [amount]\n")
    console_edit(ws, "budget.data-lake", amount=99999)
    assert ws.run("drift", str(ws.config), "--exit-code").exit_code == 0
    plan = ws.run("plan", str(ws.config), "--detailed-exitcode")
    assert (plan.exit_code, plan.stdout.strip()) == (0, "No changes.")
    without_config = ws.run("drift", "--exit-code")  # no config: ignore_changes unknown
    assert without_config.exit_code == 2


def test_markdown_and_github(ws: Workspace) -> None:
    console_edit(ws, "budget.ml-training", amount=1)
    markdown = ws.run("drift", str(ws.config), "--format", "markdown").stdout
    assert markdown.splitlines()[0] == "<!-- finopsmetrics:drift -->"
    assert "**Drift: 1 of 4 managed objects changed outside of code.**" in markdown
    github = ws.run("drift", str(ws.config), "--format", "github").stdout
    assert github.startswith(f"::warning file={ws.config},line=14,col=5,title=drift "
                             "budget.ml-training::budget.ml-training was changed outside")
