"""``finopsmetrics plan``: desired vs live, Terraform-style; and the options
``apply``/``drift``/``import`` share with it (state, format, colour, quiet)."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from finopsmetrics_cli.errors import FinopsError

if TYPE_CHECKING:
    from rich.console import Console

    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.plan.model import Plan

DEFAULT_CONFIG = ("finopsmetrics.yaml", "finopsmetrics.yml")

STATE_HELP = (
    "State database: a path or s3://bucket/key "
    "(default $FINOPSMETRICS_STATE, then ./.finopsmetrics/state.duckdb)."
)
StateOpt = typer.Option(None, "--state", help=STATE_HELP, show_default=False)
NoColorOpt = typer.Option(False, "--no-color", help="Plain output, no colours.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="Only errors and the essential result.")


def parse_duration(text: str) -> float:
    """``30s``, ``2m``, ``1h``, ``0`` or plain seconds -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text or "")
    if not match:
        raise FinopsError(
            f"invalid duration {text!r}", hint="use a number of seconds or 500ms, 30s, 2m, 1h"
        )
    value = float(match.group(1))
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def config_paths(paths: Sequence[Path] | None) -> list[Path]:
    """The paths given, or ``./finopsmetrics.yaml`` when none were."""
    if paths:
        return list(paths)
    for name in DEFAULT_CONFIG:
        if Path(name).exists():
            return [Path(name)]
    raise FinopsError(
        "no configuration given and no finopsmetrics.yaml in the current directory",
        hint="pass a file or directory, or run: finopsmetrics init",
    )


def make_engine(state: str | None, lock_timeout: str = "0s") -> Engine:
    from finopsmetrics_cli.engine import Engine

    return Engine(state, source="cli", lock_timeout=parse_duration(lock_timeout))


def parse_day(option: str, text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option value (None when not given); anything else is one message."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FinopsError(
            f"{option} {text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-03-15"
        ) from None


def check_format(fmt: str, allowed: Sequence[str]) -> str:
    if fmt not in allowed:
        raise FinopsError(
            f"unknown format {fmt!r}", hint="choose one of: " + ", ".join(allowed)
        )
    return fmt


def print_plan(
    console: Console | None,
    plan: Plan,
    fmt: str,
    config_diff: Any = None,
    *,
    no_color: bool = False,
    impact: Any = None,
) -> None:
    """The plan in ``fmt``; machine formats go to stdout unstyled (``console`` unused).

    Text goes to ``console`` when given, else to stdout (styled on a terminal unless
    ``no_color``), as one string. ``config_diff`` (``plan --base-ref``, a
    ``gitops.base_ref.ConfigDiff``) is shown after the live plan, or as
    ``config_changes`` in JSON.
    """
    from finopsmetrics_cli.plan.render import plan_json, plan_lines

    if fmt == "json":
        if config_diff is None and impact is None:
            sys.stdout.write(plan_json(plan))
        else:
            import json

            data = json.loads(plan_json(plan))
            if config_diff is not None:
                data["config_changes"] = config_diff.to_json()
            if impact is not None:
                data["cost_impact"] = impact.to_dict()
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif fmt == "markdown":
        from finopsmetrics_cli.plan.markdown import plan_markdown

        sys.stdout.write(plan_markdown(plan))
        if impact is not None:
            sys.stdout.write("\n" + impact.markdown())
        if config_diff is not None:
            from finopsmetrics_cli.gitops.base_ref import render_markdown

            sys.stdout.write("\n" + render_markdown(config_diff) + "\n")
    else:
        from finopsmetrics_cli.cli.output import write_lines

        lines = plan_lines(plan)
        if impact is not None:
            lines += [("", "")] + [("bold" if i == 0 else "", text)
                                   for i, text in enumerate(impact.lines())]  # fmt: skip
        write_lines(lines, console=console, no_color=no_color)
        if config_diff is not None:
            from finopsmetrics_cli.gitops.base_ref import render_text

            text = "\n" + render_text(config_diff)
            if console is not None:
                console.print(text, markup=False)
            else:
                sys.stdout.write(text + "\n")


def plan_options(**kwargs: Any) -> Any:
    from finopsmetrics_cli.plan.model import PlanOptions

    return PlanOptions(
        targets=tuple(kwargs.get("target") or ()),
        replace=tuple(kwargs.get("replace") or ()),
        destroy=bool(kwargs.get("destroy")),
        adopt=bool(kwargs.get("adopt")),
        refresh_only=bool(kwargs.get("refresh_only")),
        allow_destroy=bool(kwargs.get("allow_destroy")),
    )


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_command(
        paths: list[Path] = typer.Argument(None, help="Config file(s) or directory.",
                                           show_default=False),
        out: Path = typer.Option(None, "--out", help="Save the plan to FILE for apply.",
                                 show_default=False),
        detailed_exitcode: bool = typer.Option(
            False, "--detailed-exitcode", help="Exit 0 no changes, 1 error, 2 changes."
        ),
        target: list[str] = typer.Option(None, "--target", help="Only ADDR (and what it needs).",
                                         show_default=False),
        replace: list[str] = typer.Option(None, "--replace", help="Force replacing ADDR.",
                                          show_default=False),
        destroy: bool = typer.Option(False, "--destroy", help="Plan to destroy every object."),
        adopt: bool = typer.Option(False, "--adopt", help="Take over objects other tools manage."),
        refresh_only: bool = typer.Option(
            False, "--refresh-only", help="Accept changes made outside of code; undo nothing."
        ),
        allow_destroy: bool = typer.Option(
            False, "--allow-destroy", help="Pass the mass-deletion guard."
        ),
        base_ref: str = typer.Option(
            None, "--base-ref", show_default=False,
            help="Also show what the config changes against git REF (the PR review view).",
        ),
        state: str = StateOpt,
        fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Show what apply would change: desired (YAML) vs live state."""
        from finopsmetrics_cli.cli.output import handle_errors

        with handle_errors(no_color=no_color):
            check_format(fmt, ("text", "json", "markdown"))
            engine = make_engine(state)
            chosen = config_paths(paths)
            with engine.prefetching(chosen):  # files and state are read while we import
                config = engine.load_config(chosen)
                options = plan_options(target=target, replace=replace, destroy=destroy,
                                       adopt=adopt, refresh_only=refresh_only,
                                       allow_destroy=allow_destroy)
                plan = engine.plan(config, options)
            impact = engine.cost_impact(plan, config)  # None without budget changes or costs
            config_diff = None
            if base_ref:
                from finopsmetrics_cli.gitops.base_ref import base_ref_diff

                config_diff = base_ref_diff(config_paths(paths), base_ref, head=config)
            if fmt != "text" or not quiet:  # rich is imported only for a styled terminal
                print_plan(None, plan, fmt, config_diff, no_color=no_color, impact=impact)
            else:
                lines = [plan.summary.line()]
                if config_diff is not None:
                    lines.append(config_diff.summary)
                sys.stdout.write("".join(f"{line}\n" for line in lines))
            if out is not None:
                from finopsmetrics_cli.plan.planfile import write_plan_file

                write_plan_file(plan, out)
                if fmt == "text" and not quiet:
                    sys.stdout.write(f"\nSaved the plan to {out}. To apply exactly this plan, "
                                     f"run: finopsmetrics apply {out}\n")
        if detailed_exitcode and plan.has_changes:
            raise typer.Exit(2)
