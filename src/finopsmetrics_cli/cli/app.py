"""The typer application. Each command lives in its own module under ``cli/``
and exposes ``register(app)``; this module only assembles them and maps
:class:`~finopsmetrics_cli.errors.FinopsError` to exit codes (no tracebacks)."""

from __future__ import annotations

import importlib

import typer

from finopsmetrics_cli import __version__

COMMAND_MODULES = (
    "init_cmd",
    "validate_cmd",
    "schema_cmd",
    "plan_cmd",
    "apply_cmd",
    "drift_cmd",
    "import_cmd",
    "state_cmd",
    "reconcile_cmd",
    "terraform_cmd",
)

app = typer.Typer(
    name="finopsmetrics",
    help="FinOps-as-Code: validate, plan, apply and detect drift of finopsmetrics.yaml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"finopsmetrics {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """FinOps-as-Code for budgets, policies, tag rules and more."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"finopsmetrics_cli.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"finopsmetrics_cli.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    app()
