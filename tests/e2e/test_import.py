"""import through the CLI: YAML for unmanaged objects, written in place with comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_cli import CONFIG, Workspace

CONSOLE_BUDGET = {"amount": 750, "period": "quarterly", "currency": "USD",
                  "alerts": [{"threshold": 0.9, "channels": ["email"]}]}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.run("apply", str(ws.config), "--auto-approve").exit_code == 0
    ws.engine(actor="carol", source="api").create("budget", "console-made", CONSOLE_BUDGET,
                                                   manager=None)
    return ws


def test_import_round_trip_keeps_comments(ws: Workspace) -> None:
    result = ws.run("import", "budget.console-made", "--write", str(ws.config))
    assert result.exit_code == 0, result.output
    assert "Imported 1 object(s) into" in result.stderr
    text = ws.config.read_text()
    assert text.startswith(CONFIG.rstrip("\n") + "\n")  # nothing above was reformatted
    assert text[len(CONFIG.rstrip("\n")) + 1:] == """\
  - name: console-made
    enabled: true
    amount: 750
    period: quarterly
    currency: USD
    filters: {}
    alerts:
      - threshold: 0.9
        type: actual
        channels:
          - email
        recipients: []
"""
    plan = ws.sub("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert " <= budget.console-made\n" in plan.stdout
    assert "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy." in plan.stdout
    applied = ws.run("apply", str(ws.config), "--auto-approve")
    summary = "Apply complete! Resources: 1 imported, 0 added, 0 changed, 0 destroyed."
    assert summary in applied.stdout
    live = ws.engine().read("budget.console-made")
    assert (live.manager, live.applied_spec == live.spec) == ("config", True)
    assert ws.engine().history("budget.console-made")[0].action == "import"
    again = ws.run("plan", str(ws.config), "--detailed-exitcode")
    assert (again.exit_code, again.stdout.strip()) == (0, "No changes.")


def test_import_prints_yaml_and_all(ws: Workspace) -> None:
    printed = ws.run("import", "--all")
    assert printed.exit_code == 0
    assert printed.stdout.startswith("budgets:\n  - name: console-made\n    enabled: true\n")


def test_import_mapping_section_and_new_section(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "other.yaml"
    target.write_text("# mapping style\nbudgets:\n  existing:   # keep me\n    amount: 5\n")
    ws.engine(actor="carol", source="api").create(
        "notification_channel", "pager", {"type": "pagerduty",
                                          "integration_key": "${env:PD_KEY}"}, manager=None)
    result = ws.run("import", "--all", "--write", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith("# mapping style\nbudgets:\n  existing:   # keep me\n    amount: 5\n"
                           "  console-made:\n    enabled: true\n")
    assert "notification_channels:\n  - name: pager\n    type: pagerduty\n" in text
    assert "integration_key: ${env:PD_KEY}" in text


def test_import_refuses_managed_and_unknown(ws: Workspace) -> None:
    managed = ws.run("import", "budget.data-lake")
    assert managed.exit_code == 1
    assert ("error: budget.data-lake is already managed by config; only unmanaged objects can "
            "be imported") in managed.stderr
    missing = ws.run("import", "budget.nope")
    assert "error: budget.nope does not exist in state" in missing.stderr
    both = ws.run("import")
    assert "error: give the addresses to import, or --all (not both)" in both.stderr
    ws.run("import", "budget.console-made", "--write", str(ws.config))
    twice = ws.run("import", "budget.console-made", "--write", str(ws.config))
    assert twice.exit_code == 1 and "already declares it" in twice.stderr


def test_import_into_the_example_only_inserts_lines(ws: Workspace, tmp_path: Path) -> None:
    import difflib

    from finopsmetrics_cli.config import load_config

    root = Path(__file__).resolve().parents[2]
    original = (root / "examples" / "finopsmetrics.yaml").read_text()
    target = tmp_path / "example.yaml"
    target.write_text(original)
    ws.engine(actor="carol", source="api").create("team", "late-team",
                                                   {"owners": ["z@example.com"]}, manager=None)
    result = ws.run("import", "budget.console-made", "team.late-team", "--write", str(target))
    assert result.exit_code == 0, result.output
    updated = target.read_text()
    ops = difflib.SequenceMatcher(None, original.splitlines(), updated.splitlines()).get_opcodes()
    assert {op for op, *_ in ops} == {"equal", "insert"}  # quotes, comments, order untouched
    lines = updated.splitlines()
    budget_at = lines.index("  - name: console-made")
    assert not lines[budget_at - 1].lstrip().startswith("#")  # not under the next comment
    config = load_config([target])
    assert {"budget.console-made", "team.late-team"} <= set(config.objects)
