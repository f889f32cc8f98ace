"""``finopsmetrics drift``: what changed outside of code, by whom, when. Read-only."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import sys
from pathlib import Path

import typer

from finopsmetrics_cli.cli.plan_cmd import (
    DEFAULT_CONFIG,
    NoColorOpt,
    QuietOpt,
    StateOpt,
    check_format,
    make_engine,
)


def register(app: typer.Typer) -> None:
    @app.command("drift")
    def drift_command(
        paths: list[Path] = typer.Argument(
            None, help="Config file(s) or directory (default ./finopsmetrics.yaml if present).",
            show_default=False,
        ),
        exit_code: bool = typer.Option(False, "--exit-code", help="Exit 2 when drift exists."),
        state: str = StateOpt,
        fmt: str = typer.Option("text", "--format", help="text, json, markdown or github."),
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """List objects changed or deleted outside of code, field by field."""
        from finopsmetrics_cli.cli.output import handle_errors, write_lines
        from finopsmetrics_cli.plan import render

        with handle_errors(no_color=no_color):
            check_format(fmt, ("text", "json", "markdown", "github"))
            engine = make_engine(state)
            chosen = list(paths or []) or [Path(n) for n in DEFAULT_CONFIG if Path(n).exists()][:1]
            with engine.prefetching(chosen):  # files and state are read while we import
                config = engine.load_config(chosen) if chosen else None
                report = engine.drift(config)
            if fmt == "json":
                sys.stdout.write(render.drift_json(report))
            elif fmt == "markdown":
                from finopsmetrics_cli.plan.markdown import drift_markdown

                sys.stdout.write(drift_markdown(report))
            elif fmt == "github":
                locations = {a: o.location for a, o in (config.objects if config else {}).items()
                             if o.location is not None}
                sys.stdout.write(render.drift_github(report, locations))
            elif quiet:
                if report.has_drift:
                    count = len(report.items)
                    sys.stdout.write(f"Drift: {count} objects changed outside of code.\n")
            else:  # one string, styled only on a terminal
                write_lines(render.drift_lines(report), no_color=no_color)
        if exit_code and report.has_drift:
            raise typer.Exit(2)
