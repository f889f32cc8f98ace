"""``finopsmetrics state ...`` through typer's CliRunner against a real state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from state_helpers import budget
from typer.testing import CliRunner, Result

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.state import lock_holder, open_reader, open_writer
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.lock import FileLock


@pytest.fixture
def filled(state_path: Path) -> Path:
    """Three objects: a drifted config budget, a terraform budget, an unmanaged tag policy."""
    with open_writer(state_path, actor="alice@laptop", operation="apply") as writer:
        spec_policy = {"required": ["team"]}
        writer.commit(
            [budget("team_a"), budget("team_b", 5, manager="terraform"),
             Write("create", "tag_policy", "required", spec_policy, None)],
            actor="alice@laptop", source="cli", git_commit="0123456789abcdef",
        )  # fmt: skip
        edited = {"amount": 150, "currency": "USD", "period": "monthly"}
        writer.commit([Write("edit", "budget", "team_a", edited, None)], actor="bob", source="api")
    return state_path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["state", *args, "--no-color"])


def test_list_text_table(filled: Path) -> None:
    result = run("list", "--state", str(filled))
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0].split() == ["Address", "Manager", "Version", "Updated", "By"]
    assert lines[1].startswith("budget.team_a        config     2        20")
    assert lines[1].endswith("bob           changed outside of code")
    assert lines[2].split()[:3] == ["budget.team_b", "terraform", "1"]
    assert lines[3].split()[:3] == ["tag_policy.required", "none", "1"]
    assert lines[4] == "3 objects."


def test_list_quiet_kind_and_json(filled: Path) -> None:
    quiet = run("list", "-q", "--kind", "budget", "--state", str(filled))
    assert (quiet.exit_code, quiet.stdout) == (0, "budget.team_a\nbudget.team_b\n")
    result = run("list", "--format", "json", "--state", str(filled))
    doc = json.loads(result.stdout)
    with open_reader(filled) as reader:
        info = reader.info()
    assert (doc["format_version"], doc["lineage"], doc["serial"]) == (1, info.lineage, 2)
    assert [o["address"] for o in doc["objects"]] == [
        "budget.team_a", "budget.team_b", "tag_policy.required",
    ]  # fmt: skip
    first = doc["objects"][0]
    keys = ("kind", "name", "manager", "version", "drifted", "updated_by")
    assert {k: first[k] for k in keys} == {
        "kind": "budget", "name": "team_a", "manager": "config", "version": 2, "drifted": True,
        "updated_by": "bob",
    }  # fmt: skip


def test_list_of_a_missing_state_is_empty_and_creates_nothing(state_path: Path) -> None:
    result = run("list", "--state", str(state_path))
    assert (result.exit_code, result.stdout) == (0, "No objects in state.\n")
    assert not state_path.parent.exists()


def test_state_location_from_the_environment(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPSMETRICS_STATE", str(filled))
    assert run("list", "-q").stdout.splitlines()[0] == "budget.team_a"


def test_show_text_with_drift(filled: Path) -> None:
    result = run("show", "budget.team_a", "--state", str(filled))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["budget.team_a", "  manager:  config", "  version:  2"]
    assert lines[3].startswith("  created:  20") and lines[3].endswith("Z by alice@laptop")
    assert lines[4].endswith("Z by bob via api")
    assert lines[5:] == [
        "  last change: edit at serial 2",
        "  changed outside of code since its manager applied it",
        "spec:",
        "  amount: 150",
        "  currency: USD",
        "  period: monthly",
        "applied spec (as config last applied it):",
        "  amount: 100",
        "  currency: USD",
        "  period: monthly",
    ]


def test_show_json(filled: Path) -> None:
    doc = json.loads(
        run("show", "tag_policy.required", "-f", "json", "--state", str(filled)).stdout
    )
    obj = doc["object"]
    assert (obj["spec"], obj["applied_spec"], obj["manager"]) == (
        {"required": ["team"]},
        None,
        None,
    )
    assert obj["last_change"]["action"] == "create"
    assert obj["last_change"]["git_commit"] == "0123456789abcdef"


def test_show_missing_object_is_a_clear_error(filled: Path) -> None:
    result = run("show", "budget.nope", "--state", str(filled))
    assert result.exit_code == 1
    assert (
        result.stderr
        == "error: budget.nope is not in state\n  hint: see: finopsmetrics state list\n"
    )


def test_history_text_json_filter_and_limit(filled: Path) -> None:
    result = run("history", "--state", str(filled))
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == [
        "Serial",
        "Time",
        "Action",
        "Address",
        "Manager",
        "Actor",
        "Source",
        "Commit",
    ]
    assert [(row[0], row[3], row[4]) for row in lines[1:]] == [
        ("2", "edit", "budget.team_a"),
        ("1", "create", "tag_policy.required"),
        ("1", "create", "budget.team_b"),
        ("1", "create", "budget.team_a"),
    ]
    assert lines[2][-1] == "0123456789ab"
    doc = json.loads(
        run("history", "budget.team_a", "-n", "1", "-f", "json", "--state", str(filled)).stdout
    )
    assert len(doc["entries"]) == 1
    entry = doc["entries"][0]
    assert (entry["action"], entry["actor"], entry["source"]) == ("edit", "bob", "api")
    assert (entry["before"]["amount"], entry["after"]["amount"]) == (100, 150)


def test_rm_forgets_without_deleting(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPSMETRICS_ACTOR", "carol")
    result = run("rm", "budget.team_b", "--state", str(filled))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Forgot budget.team_b (serial 3): the state no longer holds it; its history is kept.\n"
        "If the configuration still declares it, the next plan creates it again; "
        "remove it there too to stop managing it.\n"
    )
    with open_reader(filled) as reader:
        assert reader.get("budget.team_b") is None
        entry = reader.last_change("budget.team_b")
        assert entry is not None
        assert (entry.action, entry.actor, entry.before["amount"], entry.after) == (
            "forget",
            "carol",
            5,
            None,
        )
    missing = run("rm", "budget.team_b", "--state", str(filled))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: budget.team_b is not in state")


def test_rm_waits_for_the_lock_then_names_the_holder(filled: Path) -> None:
    held = FileLock.for_state(filled).acquire(who="dave", operation="apply")
    result = run("rm", "budget.team_b", "--state", str(filled), "--lock-timeout", "200ms")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: state {filled} is locked after waiting 0.2s: ID {held.id}, held by dave"
    )
    bad = run("rm", "budget.team_b", "--state", str(filled), "--lock-timeout", "soon")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: invalid duration for --lock-timeout: 'soon'")


def test_force_unlock(filled: Path) -> None:
    held = FileLock.for_state(filled).acquire(who="dave", operation="apply")
    wrong = run("force-unlock", "nope", "--state", str(filled))
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith("error: lock ID 'nope' does not match the current lock: ID ")
    assert lock_holder(filled) == held
    result = run("force-unlock", held.id, "--state", str(filled))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Removed lock {held.describe()}.\n"
    assert lock_holder(filled) is None
    again = run("force-unlock", held.id, "--state", str(filled), "-f", "json")
    assert again.exit_code == 1
    assert again.stderr == f"error: state {filled} is not locked; nothing to unlock\n"


def test_corrupted_state_is_an_error_not_a_traceback(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    state_path.write_bytes(b"not a database" * 100)
    result = run("list", "--state", str(state_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: state file {state_path} cannot be opened: ")
    assert "Traceback" not in result.output
    assert state_path.read_bytes() == b"not a database" * 100


def test_show_says_an_object_is_protected(state_path: Path) -> None:
    protected = Write("create", "budget", "keep", {"amount": 1}, "config", prevent_destroy=True)
    with open_writer(state_path, actor="alice@laptop", operation="apply") as writer:
        writer.commit([protected, budget("plain")], actor="alice@laptop", source="cli")
    lines = run("show", "budget.keep", "--state", str(state_path)).stdout.splitlines()
    assert lines[3] == "  protected: last applied with lifecycle.prevent_destroy: true"
    plain = run("show", "budget.plain", "--state", str(state_path)).stdout
    assert "protected" not in plain
    doc = json.loads(run("list", "-f", "json", "--state", str(state_path)).stdout)
    assert [(o["address"], o["prevent_destroy"]) for o in doc["objects"]] == [
        ("budget.keep", True), ("budget.plain", False)
    ]
