"""``finopsmetrics import``: live, unmanaged objects -> YAML (optionally into a file)."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import sys
from pathlib import Path

import typer

from finopsmetrics_cli.cli.plan_cmd import NoColorOpt, QuietOpt, StateOpt, make_engine
from finopsmetrics_cli.errors import FinopsError


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        addresses: list[str] = typer.Argument(None, help="KIND.NAME of objects to import.",
                                              show_default=False),
        import_all: bool = typer.Option(False, "--all", help="Every unmanaged live object."),
        write: Path = typer.Option(
            None, "--write", help="Insert into this YAML file (comments and order are kept).",
            show_default=False,
        ),
        state: str = StateOpt,
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Turn live objects nobody manages into YAML; the next plan shows them as <= import."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console

        console = make_console(no_color=no_color, stderr=True)
        with handle_errors(console):
            if bool(addresses) == import_all:
                raise FinopsError(
                    "give the addresses to import, or --all (not both)",
                    hint="e.g. finopsmetrics import budget.ml-training --write finopsmetrics.yaml",
                )
            engine = make_engine(state)
            chosen = None if import_all else list(addresses)
            if write is None:
                text = engine.import_yaml(chosen)
                if not text and not quiet:
                    console.print("No unmanaged objects to import.")
                sys.stdout.write(text)
                return
            written = engine.import_into_file(write, chosen)
            if not quiet:
                if written:
                    console.print(f"Imported {len(written)} object(s) into {write}: "
                                  + ", ".join(written), markup=False)
                    console.print("Run finopsmetrics plan: they show as <= import; apply marks "
                                  "them managed by this configuration.", markup=False)
                else:
                    console.print("No unmanaged objects to import.")
