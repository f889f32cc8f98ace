"""``finopsmetrics evaluate``: the controls act on cost data. Renders only; the work is
``Engine.evaluate``."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer

from finopsmetrics_cli.cli.plan_cmd import (
    NoColorOpt,
    QuietOpt,
    StateOpt,
    check_format,
    make_engine,
)
from finopsmetrics_cli.errors import FinopsError

FORMATS = ("text", "json", "markdown", "sarif", "github")
SEVERITIES = ("low", "medium", "high", "critical")


def parse_day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FinopsError(
            f"{option} {text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-03-15"
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_command(
        paths: list[Path] = typer.Argument(
            None, help="Config file(s) or directory to evaluate instead of live state (what-if).",
            show_default=False,
        ),
        at: str = typer.Option(
            None, "--at", show_default=False,
            help="Evaluate as of the end of this day (YYYY-MM-DD; default: last day with data).",
        ),
        since: str = typer.Option(None, "--since", help="Report anomalies from this day "
                                  "(default: since the previous evaluation).", show_default=False),
        kind: list[str] = typer.Option(None, "--kind", help="Only this kind (repeatable).",
                                       show_default=False),
        fmt: str = typer.Option("text", "--format", help="text, json, markdown, sarif or github."),
        exit_code: bool = typer.Option(False, "--exit-code", help="Exit 2 when a finding at or "
                                       "above --fail-on is open."),
        fail_on: str = typer.Option("high", "--fail-on", help="low, medium, high or critical."),
        costs: str = typer.Option(None, "--costs", help="Cost store (default "
                                  "$FINOPSMETRICS_COSTS or .finopsmetrics/costs.duckdb).",
                                  show_default=False),
        state: str = StateOpt,
        lock_timeout: str = typer.Option(
            "0s", "--lock-timeout", help="Wait this long for the state lock (findings are "
            "recorded under it), e.g. 30s.",
        ),
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Evaluate budgets and anomaly detectors against the cost data; record findings."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console
        from finopsmetrics_cli.evaluate import render
        from finopsmetrics_cli.evaluate.model import severity_rank
        from finopsmetrics_cli.evaluate.service import EvaluateOptions

        with handle_errors(no_color=no_color):
            check_format(fmt, FORMATS)
            if fail_on not in SEVERITIES:
                raise FinopsError(f"unknown severity {fail_on!r}",
                                  hint="choose one of: " + ", ".join(SEVERITIES))  # fmt: skip
            options = EvaluateOptions(
                at=parse_day("--at", at), since=parse_day("--since", since),
                kinds=tuple(kind or ()), costs=costs,
            )  # fmt: skip
            engine = make_engine(state, lock_timeout)
            config = engine.load_config(list(paths)) if paths else None
            result = engine.evaluate(config, options)
            if fmt == "json":
                sys.stdout.write(render.to_json(result))
            elif fmt == "markdown":
                sys.stdout.write(render.to_markdown(result))
            elif fmt == "sarif":
                sys.stdout.write(render.to_sarif(result))
            elif fmt == "github":
                sys.stdout.write(render.to_github(result))
            elif quiet:
                sys.stdout.write(render.summary_line(result) + "\n")
            else:
                render.to_text(make_console(no_color=no_color), result)
            if fmt != "text" or quiet:  # the text report shows them itself
                errors = make_console(no_color=no_color, stderr=True)
                for warning in result.warnings:
                    errors.print(f"warning: {warning}", markup=False)
        if exit_code and any(
            severity_rank(f.severity) >= severity_rank(fail_on) for f in result.open_findings()
        ):
            raise typer.Exit(2)
