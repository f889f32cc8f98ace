"""``finopsmetrics apply``: make live state match, in one transaction.

``apply PATH`` plans and applies under one lock after asking (a terminal is
required unless ``--auto-approve``). ``apply PLANFILE`` applies exactly a saved,
already reviewed plan, as Terraform does, and refuses it when it was tampered
with or the state moved on since ("saved plan is stale").
"""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from finopsmetrics_cli.cli.plan_cmd import (
    NoColorOpt,
    QuietOpt,
    StateOpt,
    check_format,
    config_paths,
    make_engine,
    plan_options,
    print_plan,
)
from finopsmetrics_cli.errors import FinopsError, PlanError

if TYPE_CHECKING:
    from rich.console import Console

    from finopsmetrics_cli.plan.model import ApplyResult, Plan

PROGRESS_THRESHOLD = 200


def _confirm(
    console: Console, auto_approve: bool, fmt: str, quiet: bool
) -> Callable[[Plan], bool]:
    from finopsmetrics_cli.cli.output import make_console

    # With --format json, stdout carries only the result document.
    shown = make_console(no_color=console.no_color, stderr=True) if fmt == "json" else console

    def confirm(plan: Plan) -> bool:
        if not quiet or not auto_approve:
            print_plan(shown, plan, "text")
        if auto_approve:
            return True
        if not sys.stdin.isatty():
            raise PlanError(
                "apply needs confirmation, but stdin is not a terminal",
                hint="review the plan and pass --auto-approve, or apply a saved plan file",
            )
        console.print("\nDo you want to perform these actions?\n"
                      "  Only 'yes' will be accepted to approve.\n")
        try:
            answer = console.input("  Enter a value: ").strip()
        except EOFError:  # Ctrl-D: no answer is not a yes
            return False
        return answer == "yes"

    return confirm


@contextmanager
def _progress(enabled: bool, no_color: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for large applies, started on the first report
    (so it never overlaps the confirmation prompt)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from finopsmetrics_cli.cli.output import make_console

    bar = Progress(TextColumn("Applying"), BarColumn(), MofNCompleteColumn(),
                   console=make_console(no_color=no_color, stderr=True), transient=True)
    task = bar.add_task("apply", total=None)
    started = False

    def report(done: int, total: int) -> None:
        nonlocal started
        if total < PROGRESS_THRESHOLD:
            return
        if not started:
            bar.start()
            started = True
        bar.update(task, completed=done, total=total)

    try:
        yield report
    finally:
        if started:
            bar.stop()


def git_commit_of(paths: list[Path]) -> str | None:
    """HEAD of the repository holding ``paths`` when they are committed unchanged (history
    then says which commit was applied); None outside git or with local edits."""
    import subprocess

    where = paths[0] if paths[0].is_dir() else paths[0].parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--",
                                *[str(p.resolve()) for p in paths]],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if dirty.returncode != 0 or dirty.stdout.strip():
        return None
    return head.stdout.strip() or None


def _print_result(console: Console, result: ApplyResult, fmt: str) -> None:
    if fmt == "json":
        doc = {"format_version": 1, "imported": result.imported, "added": result.added,
               "changed": result.changed, "destroyed": result.destroyed, "serial": result.serial,
               "summary_line": result.line()}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        console.print(f"\n{result.line()}", style="bold green", markup=False)


def register(app: typer.Typer) -> None:
    @app.command("apply")
    def apply_command(
        path: Path = typer.Argument(None, help="Config file or directory, or a saved plan file.",
                                    show_default=False),
        auto_approve: bool = typer.Option(False, "--auto-approve", help="Skip the confirmation."),
        lock_timeout: str = typer.Option("0s", "--lock-timeout",
                                         help="Wait this long for the state lock (e.g. 30s)."),
        target: list[str] = typer.Option(None, "--target", help="Only ADDR (and what it needs).",
                                         show_default=False),
        replace: list[str] = typer.Option(None, "--replace", help="Force replacing ADDR.",
                                          show_default=False),
        destroy: bool = typer.Option(False, "--destroy", help="Destroy every object."),
        adopt: bool = typer.Option(False, "--adopt", help="Take over objects other tools manage."),
        refresh_only: bool = typer.Option(False, "--refresh-only",
                                          help="Accept changes made outside of code."),
        allow_destroy: bool = typer.Option(False, "--allow-destroy",
                                           help="Pass the mass-deletion guard."),
        state: str = StateOpt,
        fmt: str = typer.Option("text", "--format", help="text or json (the result)."),
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Apply the configuration (or a saved plan) to live state."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console
        from finopsmetrics_cli.plan.planfile import looks_like_plan_file, read_plan_file

        console = make_console(no_color=no_color)
        show_progress = not quiet and sys.stderr.isatty()
        with handle_errors(make_console(no_color=no_color, stderr=True)):
            check_format(fmt, ("text", "json"))
            engine = make_engine(state, lock_timeout)
            if path is not None and looks_like_plan_file(path):
                saved = read_plan_file(path)
                if saved.state and state is None and saved.state != engine.location:
                    raise FinopsError(
                        f"the plan was made against state {saved.state}, not {engine.location}",
                        hint=f"pass --state {saved.state}",
                    )
                if not quiet and fmt == "text":
                    print_plan(console, saved, "text")
                with _progress(show_progress, no_color) as progress:
                    result = engine.apply(saved, progress=progress)
            else:
                chosen = config_paths([path] if path else None)
                with engine.prefetching(chosen, state=False):  # files parsed while we import
                    config = engine.load_config(chosen)
                engine.git_commit = git_commit_of(chosen)
                options = plan_options(target=target, replace=replace, destroy=destroy,
                                       adopt=adopt, refresh_only=refresh_only,
                                       allow_destroy=allow_destroy)
                confirm = _confirm(console, auto_approve, fmt, quiet)
                with _progress(show_progress, no_color) as progress:
                    plan, applied = engine.plan_and_apply(
                        config, options, confirm=confirm, progress=progress
                    )
                if applied is None:
                    raise PlanError("apply cancelled", hint="nothing was changed")
                if not plan.has_changes and not quiet and fmt == "text":
                    print_plan(console, plan, "text")
                result = applied
            _print_result(console, result, fmt)
