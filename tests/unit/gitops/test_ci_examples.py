"""The published CI files must keep working: every command they run parses
against the real CLI, and the PR comment marker is the renderer's."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.plan.markdown import PLAN_MARKER

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / "examples" / "github-actions" / ".github" / "workflows" / "finopsmetrics.yml"


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def parse_cli(command_line: str) -> None:
    """Parse (not run) a finopsmetrics command line: ``--help`` is acted on only after
    every option parsed, so an unknown command or option still fails."""
    args = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "x", command_line))
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, f"{command_line!r}: {result.output}"
    assert result.output.lstrip().startswith(f"Usage: finopsmetrics {args[0]} ")


def action_commands(workflow: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("finopsmetrics/finopsmetrics@"):
                found.setdefault(job_name, []).append(step["with"]["command"])
    return found


def test_the_workflow_validates_plans_applies_and_checks_drift() -> None:
    workflow = load(WORKFLOW)
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    commands = action_commands(workflow)
    config = "${{ env.FINOPSMETRICS_CONFIG }}"
    assert commands == {
        "validate": [f"validate {config} --format github"],
        "plan": [f"plan {config} --base-ref origin/${{{{ github.base_ref }}}} --format markdown "
                 "--detailed-exitcode"],
        "apply": [f"apply {config} --auto-approve --lock-timeout 5m"],
        "drift": [f"drift {config} --format github --exit-code"],
    }  # fmt: skip
    for lines in commands.values():
        for line in lines:
            parse_cli(line)
    script = workflow["jobs"]["plan"]["steps"][-1]["with"]["script"]
    assert f"const marker = '{PLAN_MARKER}';" in script
    assert workflow["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False


def test_an_unknown_option_would_be_caught() -> None:
    with pytest.raises(AssertionError, match="No such option: --no-such-flag"):
        parse_cli("plan --no-such-flag")
    with pytest.raises(AssertionError, match="No such command 'plann'"):
        parse_cli("plann --format json")


def test_the_composite_action_and_the_pre_commit_hook() -> None:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "version", "output-file", "allowed-exit-codes"}
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"
    hooks = load(ROOT / ".pre-commit-hooks.yaml")
    assert [h["id"] for h in hooks] == ["finopsmetrics-validate"]
    entry = hooks[0]["entry"]
    assert entry.startswith("finopsmetrics ")
    parse_cli(entry.removeprefix("finopsmetrics "))


def test_the_workflow_runs_on_changes_anywhere_in_the_configuration_directory() -> None:
    workflow = load(WORKFLOW)
    config = workflow["env"]["FINOPSMETRICS_CONFIG"]
    for event in ("pull_request", "push"):
        paths = workflow["on"][event]["paths"]
        assert f"{config}/**" in paths, (event, paths)
        assert ".github/workflows/finopsmetrics.yml" in paths
    assert workflow["jobs"]["apply"]["environment"] == "production"


@pytest.mark.parametrize(
    ("version", "extras", "installed"),
    [
        ("", "aws", "{action}[aws]"),
        ("", "", "{action}"),
        ("0.2.0", "aws", "finopsmetrics-cli[aws]==0.2.0"),
        ("latest", "all", "finopsmetrics-cli[all]"),
    ],
)
def test_the_action_installs_its_own_checkout_unless_a_version_is_given(
    version: str, extras: str, installed: str, tmp_path: Path
) -> None:
    """Runs the action's install script with bash; ``python`` and ``finopsmetrics``
    are stand-ins on PATH that record their arguments (no package index here)."""
    action = load(ROOT / "action.yml")
    step = next(s for s in action["runs"]["steps"] if s.get("name") == "Install finopsmetrics")
    assert step["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    for name in ("python", "finopsmetrics"):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        stub.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FINOPSMETRICS_VERSION": version,
        "FINOPSMETRICS_EXTRAS": extras,
        "ACTION_PATH": str(ROOT),
    }
    subprocess.run(["bash", "-c", step["run"]], env=env, check=True, timeout=30)
    assert log.read_text().splitlines() == [
        "python -m pip install --quiet " + installed.format(action=ROOT),
        "finopsmetrics --version",
    ]
    assert action["inputs"]["version"]["default"] == ""
