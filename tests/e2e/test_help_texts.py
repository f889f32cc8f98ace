"""What ``--help`` shows a new user: every command's help is free of internal
words, and ``reconcile`` reads as the command it is."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app

runner = CliRunner()

# Words that only mean something to the people who wrote the tool.
INTERNAL = re.compile(r"(?i:\bseed\b|\broadmap\b|\bsection \d+\.\d+)|\bSPEC\b")


def _command_paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append((*prefix, name))
            walk(sub, (*prefix, name))

    walk(root, ())
    return paths


def _help(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "root")
def test_help_has_no_internal_words(path: tuple[str, ...]) -> None:
    found = INTERNAL.findall(_help(path))
    assert found == [], f"finopsmetrics {' '.join(path)} --help says {found}"


def test_every_command_is_covered() -> None:
    paths = {" ".join(p) for p in _command_paths()}
    assert {"init", "schema", "reconcile", "reconcile status", "state rm"} <= paths


def test_reconcile_help_shows_a_command_with_a_required_repo() -> None:
    text = _help(("reconcile",))
    assert re.search(r"Usage: finopsmetrics reconcile \[OPTIONS\] *\n", text)
    assert "COMMAND [ARGS]" not in text
    repo = next(line for line in text.splitlines() if "--repo" in line)
    assert repo.split()[:2] == ["│", "*"] and "[required]" in repo
    assert "status" in text.split("Commands")[1]
    assert "[required]" not in _help(("reconcile", "status"))


def test_reconcile_without_repo_is_our_error_and_status_needs_none() -> None:
    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 1
    assert result.output == (
        "error: --repo is required\n  hint: pass a git URL or a local repository path\n"
    )
