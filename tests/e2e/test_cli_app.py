"""The CLI registers only the invoked command's module; every command line still works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from finopsmetrics_cli.cli.app import COMMAND_MODULES, build_app, command_modules

BIN = Path(sys.executable).with_name("finopsmetrics")


def _names(app: typer.Typer) -> list[str]:
    names = [c.name for c in app.registered_commands]
    return names + [g.name for g in app.registered_groups]


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_module_registers_the_command_it_is_named_after(module: str) -> None:
    assert _names(build_app((module,))) == [module.removesuffix("_cmd")]


def test_the_named_command_alone_is_loaded() -> None:
    assert command_modules(["plan", "x.yaml", "--state", "s.duckdb"]) == ("plan_cmd",)
    assert command_modules(["state", "list"]) == ("state_cmd",)
    assert command_modules(["--help"]) == COMMAND_MODULES
    assert command_modules([]) == COMMAND_MODULES
    assert command_modules(["plna"]) == COMMAND_MODULES  # "did you mean" needs them all


def test_help_and_unknown_commands_still_see_every_command() -> None:
    help_text = subprocess.run(
        [str(BIN), "--help"], capture_output=True, text=True, check=True
    ).stdout
    for module in COMMAND_MODULES:
        assert f" {module.removesuffix('_cmd')} " in help_text
    typo = subprocess.run([str(BIN), "plna"], capture_output=True, text=True)
    assert typo.returncode == 2 and "Did you mean 'plan'?" in typo.stderr
    state_help = subprocess.run(
        [str(BIN), "state", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "force-unlock" in state_help


def test_one_shot_commands_run_without_the_cyclic_collector_and_reconcile_keeps_it() -> None:
    from finopsmetrics_cli.cli.main import _long_running

    assert _long_running(["reconcile", "--repo", "x"]) is True
    assert _long_running(["--no-color", "reconcile"]) is True
    for argv in (["plan", "x.yaml"], ["validate"], ["state", "list"], []):
        assert _long_running(argv) is False
    probe = (
        "import gc, sys\n"
        "from finopsmetrics_cli.cli import app\n"
        "app.main = lambda: print(gc.isenabled())\n"
        "from finopsmetrics_cli.cli.main import run\n"
        "sys.argv = ['finopsmetrics', *sys.argv[1:]]\n"
        "run()\n"
    )
    for argv, enabled in ((["plan"], "False"), (["reconcile", "--once"], "True")):
        out = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == enabled
