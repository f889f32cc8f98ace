"""``plan --base-ref``: the config at a git ref vs the working tree, through the real loader."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.gitops.base_ref import base_ref_diff, describe_field
from finopsmetrics_cli.gitops.gitrepo import GitError

BASE = """\
budgets:
  - name: ml
    amount: 100
    alerts:
      - threshold: 80%
  - name: old
    amount: 5
"""


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.com"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "finopsmetrics.yaml").write_text(BASE)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def test_added_changed_with_fields_and_removed(repo: Path) -> None:
    (repo / "finopsmetrics.yaml").write_text(
        "budgets:\n"
        "  - name: ml\n    amount: 120\n    alerts:\n      - threshold: 0.9\n"
        "  - name: new\n    amount: 1\n"
    )
    diff = base_ref_diff(["finopsmetrics.yaml"], "main")
    assert [(c.address, c.action, c.location) for c in diff.changes] == [
        ("budget.ml", "changed", "finopsmetrics.yaml:2:5"),
        ("budget.new", "added", "finopsmetrics.yaml:6:5"),
        ("budget.old", "removed", "main:finopsmetrics.yaml:6:5"),
    ]
    assert [describe_field(f, "budget") for f in diff.changes[0].fields] == [
        "alerts[0].threshold: 80% -> 90%",  # as written, as the live plan shows them
        "amount: 100 -> 120",
    ]


def test_spelling_changes_that_normalise_the_same_are_not_changes(repo: Path) -> None:
    (repo / "finopsmetrics.yaml").write_text(
        "# reformatted, same meaning\nbudgets:\n"
        "  ml: {amount: 100.0, alerts: [{threshold: 0.8}]}\n"
        "  old: {amount: 5}\n"
    )
    diff = base_ref_diff(["finopsmetrics.yaml"], "main")
    assert diff.changes == ()
    assert diff.summary == "No configuration changes against main."


def test_a_directory_with_a_file_new_on_the_branch(repo: Path) -> None:
    (repo / "conf").mkdir()
    git(repo, "mv", "finopsmetrics.yaml", "conf/budgets.yaml")
    (repo / "conf" / "teams.yaml").write_text("teams:\n  - name: ml-team\n")
    diff = base_ref_diff(["conf"], "main")  # conf/ did not exist at main
    assert [(c.address, c.action) for c in diff.changes] == [
        ("budget.ml", "added"),
        ("budget.old", "added"),
        ("team.ml-team", "added"),
    ]


def test_an_invalid_base_is_a_clear_error_with_the_ref_in_the_location(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "finopsmetrics.yaml").write_text("budgets:\n  - name: ml\n    amuont: 1\n")
    git(repo, "commit", "-q", "-am", "broken base")
    git(repo, "checkout", "-q", "feature")
    with pytest.raises(GitError) as caught:
        base_ref_diff(["finopsmetrics.yaml"], "main")
    assert caught.value.message == (
        "the configuration at main does not validate: main:finopsmetrics.yaml:2:5: "
        "error[E121]: budget 'ml': missing required field 'amount'"
    )


def test_cli_shows_the_config_diff_beside_the_live_plan(repo: Path) -> None:
    (repo / "finopsmetrics.yaml").write_text(BASE.replace("amount: 5", "amount: 6"))
    runner = CliRunner()
    state = str(repo / ".finopsmetrics" / "state.duckdb")
    text = runner.invoke(app, ["plan", "--base-ref", "main", "--state", state, "--no-color"])
    assert text.exit_code == 0, text.output
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in text.output
    tail = text.output.rstrip().splitlines()[-4:]
    assert tail[0].startswith("Configuration changes against main (")
    assert tail[1:3] == ["  ~ budget.old  (finopsmetrics.yaml:6:5)", "      amount: 5 -> 6"]
    assert tail[3].startswith("Config vs main (") and tail[3].endswith(
        "): 0 added, 1 changed, 0 removed."
    )

    as_json = runner.invoke(app, ["plan", "--base-ref", "main", "--state", state,
                                  "--format", "json"])  # fmt: skip
    data = json.loads(as_json.stdout)
    schema = json.loads((Path(__file__).parents[3] / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["summary"]["add"] == 2
    assert data["config_changes"]["summary"] == {"added": 0, "changed": 1, "removed": 0}

    markdown = runner.invoke(app, ["plan", "--base-ref", "main", "--state", state,
                                   "--format", "markdown"])  # fmt: skip
    assert markdown.stdout.startswith("<!-- finopsmetrics:plan -->\n")
    assert "<details><summary>Configuration changes in this branch</summary>" in markdown.stdout

    missing = runner.invoke(app, ["plan", "--base-ref", "release-7", "--state", state])
    assert missing.exit_code == 1
    assert "error: git ref 'release-7' not found in" in missing.output
