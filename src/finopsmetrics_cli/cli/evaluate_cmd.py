"""``finopsmetrics evaluate``: the controls act on cost data. Renders only; the work is
``Engine.evaluate``."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from finopsmetrics_cli.cli.plan_cmd import (
    NoColorOpt,
    QuietOpt,
    StateOpt,
    check_format,
    make_engine,
    parse_day,
)
from finopsmetrics_cli.errors import FinopsError

FORMATS = ("text", "json", "markdown", "sarif", "github")
SEVERITIES = ("low", "medium", "high", "critical")


def check_notify(notify: bool, dry_run: bool, paths: list[Path] | None) -> None:
    if notify and dry_run:
        raise FinopsError("--notify and --dry-run cannot be used together",
                          hint="preview with --dry-run, then send with --notify")  # fmt: skip
    if notify and paths:
        from finopsmetrics_cli.notify.service import LIVE_ONLY

        raise FinopsError(LIVE_ONLY, hint="apply the configuration, then run evaluate --notify "
                          "without a PATH (or preview this one with --dry-run)")  # fmt: skip


def check_estimate(
    estimate: bool, notify: bool, dry_run: bool, fmt: str, exit_code: bool = False
) -> None:
    """``--estimate`` runs nothing: no results to notify about or to report on."""
    if not estimate:
        return
    if exit_code:
        raise FinopsError(
            "--estimate and --exit-code cannot be used together",
            hint="an estimate finds nothing (no query runs); run the evaluation for findings",
        )
    if notify or dry_run:
        raise FinopsError(
            f"--estimate and {'--notify' if notify else '--dry-run'} cannot be used together",
            hint="--dry-run previews notifications, which needs the results; --estimate runs "
            "nothing",
        )
    if fmt not in ("text", "json"):
        raise FinopsError(f"--estimate prints text or json, not {fmt}",
                          hint="use --format text or --format json")  # fmt: skip


def show_notifications(report: Any, *, to_stdout: bool) -> None:
    """The notification report (stderr when stdout carries JSON, SARIF ...); exit 1 when a
    delivery failed."""
    from finopsmetrics_cli.notify.report import errors, to_text

    (sys.stdout if to_stdout else sys.stderr).write(to_text(report))
    failures = errors(report)
    for line in failures:
        sys.stderr.write(f"error: {line}\n")
    if failures:
        raise typer.Exit(1)


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
        inventory: str = typer.Option(None, "--inventory", show_default=False,
                                      help="Resource attributes for policies (CSV, JSON or "
                                      "Parquet; default $FINOPSMETRICS_INVENTORY or "
                                      "settings.costs.inventory)."),
        state: str = StateOpt,
        lock_timeout: str = typer.Option(
            "0s", "--lock-timeout", help="Wait this long for the state lock (findings are "
            "recorded under it), e.g. 30s.",
        ),
        notify: bool = typer.Option(False, "--notify", help="Send new findings and changes "
                                    "through the notification rules and channels (live state "
                                    "only)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the notifications that "
                                     "would be sent, their channels and recipients; send nothing."),
        estimate: bool = typer.Option(False, "--estimate", help="Print what the evaluation "
                                      "would cost inside BigQuery (its queries as free dry "
                                      "runs); run nothing, record nothing."),
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
                kinds=tuple(kind or ()), costs=costs, inventory=inventory,
            )  # fmt: skip
            engine = make_engine(state, lock_timeout)
            check_estimate(estimate, notify, dry_run, fmt, exit_code)
            check_notify(notify, dry_run, paths)
            config = engine.load_config(list(paths)) if paths else None
            if estimate:
                from finopsmetrics_cli.evaluate import estimate as priced

                found = engine.evaluate_estimate(config, options)
                if fmt == "json":
                    sys.stdout.write(priced.to_json(found))
                else:
                    sys.stdout.write(priced.to_text(found, quiet=quiet))
                return
            report = None
            if notify or dry_run:
                import os

                from finopsmetrics_cli.notify.model import NotifyOptions

                notify_options = NotifyOptions.from_environ(send=notify, environ=os.environ)
                result, report = engine.evaluate_and_notify(config, options, notify_options)
            else:
                result = engine.evaluate(config, options)
            if fmt == "json":
                from finopsmetrics_cli.notify.report import to_dict

                block = to_dict(report) if report is not None else None
                sys.stdout.write(render.to_json(result, block))
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
            errors = make_console(no_color=no_color, stderr=True)
            if fmt != "text" or quiet:  # the text report shows them itself
                for warning in result.warnings:
                    errors.print(f"warning: {warning}", markup=False)
            for note in result.notes:
                errors.print(f"note: {note}", markup=False)
            if report is not None:
                show_notifications(report, to_stdout=fmt == "text")
        if exit_code and any(
            severity_rank(f.severity) >= severity_rank(fail_on) for f in result.open_findings()
        ):
            raise typer.Exit(2)
