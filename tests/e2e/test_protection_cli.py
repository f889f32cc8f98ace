"""Remembered protection through the CLI, as a user meets it: a real process, a real state."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_cli import Workspace

PROTECTED = "  - name: data-lake\n    lifecycle:\n      prevent_destroy: true\n"
REFUSAL = (
    "error: lifecycle.prevent_destroy forbids destroying budget.data-lake\n"
    "  hint: to destroy it, first apply it with lifecycle.prevent_destroy: false "
    "(the state remembers the last applied value: removing the block is not enough)\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def remove_data_lake(ws: Workspace) -> None:
    text = ws.config.read_text()
    start = text.index("  - name: data-lake\n")
    ws.config.write_text(text[:start])  # the budget's whole block: it is the file's last


def test_deleting_the_block_of_a_protected_object_fails_until_the_flag_is_applied_false(
    ws: Workspace,
) -> None:
    ws.edit("  - name: data-lake\n", PROTECTED)
    first = ws.sub("apply", "finopsmetrics.yaml", "--auto-approve")
    assert first.exit_code == 0, first.output
    remove_data_lake(ws)
    refused = ws.sub("plan")
    assert (refused.exit_code, refused.stdout) == (1, ""), refused.output
    assert REFUSAL in refused.stderr
    assert "Traceback" not in refused.output
    assert ws.sub("apply", "finopsmetrics.yaml", "--auto-approve").exit_code == 1
    assert ws.engine().read("budget.data-lake") is not None

    ws.config.write_text(ws.config.read_text() + PROTECTED.replace("true", "false")
                         + "    amount: 12000\n    period: monthly\n    currency: USD\n")
    lift = ws.sub("apply", "finopsmetrics.yaml", "--auto-approve")
    assert lift.exit_code == 0, lift.output
    assert "lifecycle.prevent_destroy: true -> false" in lift.stdout
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in lift.stdout
    remove_data_lake(ws)
    gone = ws.sub("apply", "finopsmetrics.yaml", "--auto-approve")
    assert gone.exit_code == 0, gone.output
    assert "Apply complete! Resources: 0 added, 0 changed, 1 destroyed." in gone.stdout
    assert ws.engine().read("budget.data-lake") is None


def test_plan_destroy_and_a_removed_file_respect_the_remembered_flag(ws: Workspace) -> None:
    ws.edit("  - name: data-lake\n", PROTECTED)
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    destroy = ws.run("plan", str(ws.config), "--destroy", "--allow-destroy")
    assert (destroy.exit_code, destroy.stderr) == (1, REFUSAL)
    ws.config.unlink()
    empty = ws.root / "empty.yaml"
    empty.write_text("version: 1\n")
    gone = ws.run("plan", str(empty), "--allow-destroy")
    assert (gone.exit_code, gone.stderr) == (1, REFUSAL)
