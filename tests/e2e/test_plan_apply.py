"""plan and apply through the CLI, against a real DuckDB state in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
from engine_cli import BIN, Workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def applied(ws: Workspace) -> Workspace:
    result = ws.run("apply", str(ws.config), "--auto-approve")
    assert result.exit_code == 0, result.output
    return ws


def test_apply_then_plan_shows_no_changes_then_exact_fields(ws: Workspace) -> None:
    first = ws.sub("apply", "finopsmetrics.yaml", "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in first.stdout
    assert "Traceback" not in first.output
    again = ws.sub("plan", "--detailed-exitcode")
    assert (again.exit_code, again.stdout.strip()) == (0, "No changes."), again.output
    ws.edit("amount: 50000", "amount: 65000")
    ws.edit("      - threshold: 100%", "      - threshold: 95%")
    changed = ws.sub("plan", "--detailed-exitcode")
    assert changed.exit_code == 2, changed.output
    assert "  ~ budget.ml-training\n" in changed.stdout
    assert "      ~ alerts[1].threshold: 100% -> 95%\n" in changed.stdout  # as written
    assert "      ~ amount: 50000 -> 65000\n" in changed.stdout
    assert changed.stdout.rstrip().endswith("Plan: 0 to add, 1 to change, 0 to destroy.")


def test_apply_order_secrets_and_history(ws: Workspace) -> None:
    result = ws.run("apply", str(ws.config), "--auto-approve")
    out = result.stdout
    shown = [line.split()[1] for line in out.splitlines() if line.startswith("  + ")]
    assert shown == ["budget.data-lake", "budget.ml-training",  # displayed by address
                     "notification_channel.finops-slack", "team.ml-platform"]
    assert '+ webhook_url: "${env:SLACK_WEBHOOK}"' in out
    engine = ws.engine()
    history = engine.history("budget.ml-training")
    assert [(h.action, h.actor, h.source, h.manager) for h in history] == [
        ("create", "tester", "cli", "config")
    ]
    written = {a: engine.history(a)[0].id for a in shown}  # applied referenced-first
    assert written["notification_channel.finops-slack"] < written["budget.ml-training"]
    assert written["team.ml-platform"] < written["budget.ml-training"]


def test_apply_refuses_without_a_terminal(ws: Workspace) -> None:
    result = ws.run("apply", str(ws.config))
    assert result.exit_code == 1
    assert "error: apply needs confirmation, but stdin is not a terminal" in result.stderr
    assert ws.engine().info().serial == 0


def test_saved_plan_stale_and_tampered(ws: Workspace, tmp_path: Path) -> None:
    applied(ws)
    ws.edit("amount: 12000", "amount: 13000")
    plan_file = tmp_path / "change.plan"
    saved = ws.run("plan", str(ws.config), "--out", str(plan_file))
    assert saved.exit_code == 0 and plan_file.exists()
    assert saved.stdout.endswith(
        "Plan: 0 to add, 1 to change, 0 to destroy.\n\n"
        f"Saved the plan to {plan_file}. To apply exactly this plan, run: "
        f"finopsmetrics apply {plan_file}\n"
    )
    document = json.loads(plan_file.read_text())
    assert document["format_version"] == 1 and document["plan"]["format_version"] == 1
    assert document["kind"] == "finopsmetrics-plan"
    assert document["checksum"].startswith("sha256:")
    assert document["plan"]["serial"] == 1 and document["plan"]["lineage"]

    tampered = tmp_path / "tampered.plan"
    document["plan"]["changes"][0]["after"]["amount"] = 1
    tampered.write_text(json.dumps(document))
    refused = ws.run("apply", str(tampered))
    assert refused.exit_code == 1
    assert "has been modified since it was written (checksum mismatch)" in refused.stderr
    assert "Traceback" not in refused.output

    other = ws.engine(actor="someone", source="terraform")
    other.create("budget", "tf-made", {"amount": 1, "period": "monthly", "currency": "USD"},
                 manager="terraform")
    stale = ws.run("apply", str(plan_file))
    assert stale.exit_code == 1
    assert ("error: saved plan is stale: it was made at state serial 1, but the state is now "
            "at serial 2") in stale.stderr
    assert ws.engine().read("budget.data-lake").spec["amount"] == 12000.0


def test_saved_plan_applies_exactly(ws: Workspace, tmp_path: Path) -> None:
    applied(ws)
    ws.edit("amount: 12000", "amount: 13000")
    plan_file = tmp_path / "p.plan"
    assert ws.run("plan", str(ws.config), "--out", str(plan_file)).exit_code == 0
    result = ws.run("apply", str(plan_file))
    assert result.exit_code == 0, result.output
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in result.stdout
    assert ws.engine().read("budget.data-lake").spec["amount"] == 13000.0


def test_conflict_with_terraform_and_adopt(ws: Workspace) -> None:
    applied(ws)
    tf = ws.engine(actor="tf-user", source="terraform")
    live = tf.read("budget.data-lake")
    tf.update("budget", "data-lake", {**live.spec, "amount": 99.0}, manager="terraform",
              adopt=True)
    plan = ws.run("plan", str(ws.config))
    assert plan.exit_code == 1
    assert ("error: 1 object(s) in the configuration are managed by another tool: "
            "budget.data-lake (managed by terraform)") in plan.stderr
    assert "--adopt" in plan.stderr
    adopt = ws.run("plan", str(ws.config), "--adopt")
    assert adopt.exit_code == 0, adopt.output
    assert "budget.data-lake will be adopted (now managed by terraform)" in adopt.stdout
    assert "~ amount: 99 -> 12000" in adopt.stdout
    assert "! budget.data-lake is now managed by terraform, changed by tf-user" in adopt.stdout
    assert ws.run("apply", str(ws.config), "--adopt", "--auto-approve").exit_code == 0
    assert ws.engine().read("budget.data-lake").manager == "config"


def test_prevent_destroy_and_mass_deletion_guard(ws: Workspace) -> None:
    ws.edit("  - name: data-lake\n", "  - name: data-lake\n    lifecycle:\n"
            "      prevent_destroy: true\n")
    applied(ws)
    destroy = ws.run("plan", str(ws.config), "--destroy", "--allow-destroy")
    assert destroy.exit_code == 1
    assert "error: lifecycle.prevent_destroy forbids destroying budget.data-lake" in destroy.stderr
    ws.edit("      prevent_destroy: true\n", "      prevent_destroy: false\n")
    applied(ws)  # protection is remembered until an apply records false
    ws.config.write_text("version: 1\nsettings:\n  max_destroy: 2\nteams:\n"
                         "  - name: ml-platform\n    owners: [ana@example.com]\n")
    guarded = ws.run("plan", str(ws.config))
    assert guarded.exit_code == 1
    assert ("error: the plan would destroy 3 objects, more than settings.max_destroy (2)"
            in guarded.stderr)
    allowed = ws.run("plan", str(ws.config), "--allow-destroy")
    assert allowed.exit_code == 0, allowed.output
    assert "Plan: 0 to add, 0 to change, 3 to destroy." in allowed.stdout
    out = allowed.stdout
    assert out.index("- budget.ml-training") < out.index("- notification_channel.finops-slack")
    ws.config.write_text("version: 1\n")
    everything = ws.run("plan", str(ws.config))
    assert everything.exit_code == 1
    assert "error: the plan would destroy every managed object (4)" in everything.stderr
    hint = "hint: check the configuration was loaded whole; pass --allow-destroy"
    assert hint in everything.stderr


def test_target_replace_destroy_refresh_only(ws: Workspace) -> None:
    target = ws.run("plan", str(ws.config), "--target", "budget.ml-training")
    assert target.exit_code == 0, target.output
    assert "+ budget.data-lake" not in target.stdout
    assert "+ notification_channel.finops-slack" in target.stdout
    assert "+ team.ml-platform" in target.stdout
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in target.stdout
    applied(ws)
    replace = ws.run("plan", str(ws.config), "--replace", "budget.data-lake")
    assert "-/+ budget.data-lake" in replace.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in replace.stdout
    ws.edit("    currency: USD\n    owner:", "    currency: EUR\n    owner:")
    immutable = ws.run("plan", str(ws.config))
    headline = "budget.ml-training must be replaced (currency cannot change in place)"
    assert headline in immutable.stdout
    assert '~ currency: "USD" -> "EUR"  # forces replacement' in immutable.stdout
    destroy = ws.run("plan", str(ws.config), "--destroy", "--allow-destroy")
    assert "Plan: 0 to add, 0 to change, 4 to destroy." in destroy.stdout
    engine = ws.engine(actor="console")
    live = engine.read("budget.data-lake")
    engine.edit_live("budget.data-lake", {**live.spec, "amount": 15000})
    refresh = ws.run("plan", str(ws.config), "--refresh-only")
    assert "This is a refresh-only plan" in refresh.stdout
    assert "budget.data-lake will have its outside changes accepted" in refresh.stdout
    assert ws.run("apply", str(ws.config), "--refresh-only", "--auto-approve").exit_code == 0
    assert ws.engine().read("budget.data-lake").applied_spec["amount"] == 15000.0


def test_json_and_markdown_formats(ws: Workspace) -> None:
    result = ws.run("plan", str(ws.config), "--format", "json")
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads((ROOT / "schemas/plan.schema.json").read_text()))
    assert document["summary"] == {"add": 4, "change": 0, "destroy": 0, "import": 0}
    markdown = ws.run("plan", str(ws.config), "--format", "markdown")
    assert markdown.stdout.splitlines()[0] == "<!-- finopsmetrics:plan -->"
    assert "**Plan: 4 to add, 0 to change, 0 to destroy.**" in markdown.stdout


def test_user_errors_have_no_traceback(ws: Workspace, tmp_path: Path) -> None:
    ws.config.write_text("budgets:\n  - name: x\n    amount: -5\n")
    bad = ws.run("plan", str(ws.config))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "finopsmetrics.yaml:3:" in bad.output
    junk = tmp_path / "junk.plan"
    junk.write_bytes(b"\x00\x01garbage")
    refused = ws.run("apply", str(junk))
    assert refused.exit_code == 1 and "is not a finopsmetrics plan file" in refused.stderr
    unknown = ws.run("plan", str(ws.config), "--format", "xml")
    assert unknown.exit_code == 1 and "unknown format 'xml'" in unknown.stderr


def test_held_lock_names_holder(ws: Workspace) -> None:
    from finopsmetrics_cli.state import open_writer

    with open_writer(ws.state, actor="other-user", operation="apply"):
        result = ws.run("apply", str(ws.config), "--auto-approve", "--lock-timeout", "0.2s")
    assert result.exit_code == 1
    assert "other-user" in result.stderr and "Traceback" not in result.output


def test_apply_asks_on_a_terminal(ws: Workspace) -> None:
    import os
    import subprocess

    from engine_cli import BIN

    def apply_with_answer(answer: str) -> subprocess.CompletedProcess[str]:
        master, slave = os.openpty()
        try:
            os.write(master, answer.encode())
            return subprocess.run(
                [str(BIN), "apply", str(ws.config), "--state", str(ws.state), "--no-color"],
                stdin=slave, capture_output=True, text=True, timeout=120,
                env={**os.environ, "FINOPSMETRICS_ACTOR": "tester"},
            )
        finally:
            os.close(master)
            os.close(slave)

    declined = apply_with_answer("no\n")
    assert declined.returncode == 1
    assert "Do you want to perform these actions?" in declined.stdout
    assert "error: apply cancelled" in declined.stderr
    assert ws.engine().info().serial == 0
    accepted = apply_with_answer("yes\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in accepted.stdout


def test_apply_json_result_only_on_stdout(ws: Workspace) -> None:
    result = ws.run("apply", str(ws.config), "--auto-approve", "--format", "json")
    document = json.loads(result.stdout)
    assert document["added"] == 4 and document["serial"] == 1


def test_history_records_the_applied_git_commit(ws: Workspace) -> None:
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ws.root), *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "finopsmetrics.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "config")
    applied(ws)
    assert ws.engine().history("budget.data-lake")[0].git_commit == git("rev-parse", "HEAD")
    ws.edit("amount: 12000", "amount: 12500")  # uncommitted: the commit is not what was applied
    applied(ws)
    assert ws.engine().history("budget.data-lake")[0].git_commit is None


def test_colours_only_where_a_terminal_reads_them(ws: Workspace) -> None:
    """The text plan is written in one go: styled when colour is forced (as on a
    terminal), plain when piped, with --no-color, or with NO_COLOR set."""
    def plan(*flags: str, **env: str) -> str:
        base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        proc = subprocess.run([str(BIN), "plan", "--state", str(ws.state), *flags],
                              cwd=ws.root, env={**base, **env}, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    piped = plan()
    assert "\x1b[" not in piped and "  + budget.ml-training\n" in piped
    coloured = plan(FORCE_COLOR="1")
    assert "\x1b[32m  + budget.ml-training\x1b[0m\n" in coloured
    assert "\x1b[1mPlan: 4 to add, 0 to change, 0 to destroy.\x1b[0m\n" in coloured
    assert plan("--no-color", FORCE_COLOR="1") == piped
    assert plan(FORCE_COLOR="1", NO_COLOR="1") == piped
