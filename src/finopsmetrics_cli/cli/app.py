"""The typer application. Each command lives in its own module under ``cli/``
and exposes ``register(app)``; this module only assembles them and maps
:class:`~finopsmetrics_cli.errors.FinopsError` to exit codes (no tracebacks)."""

from __future__ import annotations

import importlib
import sys

import typer

from finopsmetrics_cli import __version__
from finopsmetrics_cli.cli.main import command_name

COMMAND_MODULES = (
    "init_cmd",
    "validate_cmd",
    "schema_cmd",
    "plan_cmd",
    "apply_cmd",
    "drift_cmd",
    "evaluate_cmd",
    "costs_cmd",
    "import_cmd",
    "state_cmd",
    "reconcile_cmd",
    "terraform_cmd",
)


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The typer application with the commands of ``modules`` (all by default)."""
    app = typer.Typer(
        name="finopsmetrics",
        help="FinOps-as-Code: validate, plan, apply and detect drift of finopsmetrics.yaml.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    for name in modules:
        importlib.import_module(f"finopsmetrics_cli.cli.{name}").register(app)
    return app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"finopsmetrics {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """FinOps-as-Code for budgets, policies, tag rules and more."""


def command_modules(argv: list[str]) -> tuple[str, ...]:
    """The modules a command line needs: the named command's alone (typer builds the
    parameters of every registered command on each run, ~40 ms for all of them),
    or all of them for ``--help``, no command, or an unknown one (its "did you
    mean" needs them)."""
    first = command_name(argv)
    if first is not None and f"{first}_cmd" in COMMAND_MODULES:
        return (f"{first}_cmd",)
    return COMMAND_MODULES


def main() -> None:
    build_app(command_modules(sys.argv[1:]))()


def __getattr__(name: str) -> typer.Typer:
    """``app``: every command (tests and embedders drive it with CliRunner)."""
    if name == "app":
        app = globals()["app"] = build_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
