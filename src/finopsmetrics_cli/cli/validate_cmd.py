"""``finopsmetrics validate``: schema and semantic checks, every error located.

Imports only the loader and the models: no DuckDB, no deepdiff, no jsonschema,
so it stays fast enough for pre-commit hooks.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

if TYPE_CHECKING:
    from finopsmetrics_cli.cli.output import DiagnosticFormat
    from finopsmetrics_cli.config.model import Config
    from finopsmetrics_cli.errors import Diagnostic

DEFAULT_CONFIG = ("finopsmetrics.yaml", "finopsmetrics.yml")


class Format(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


def _default_paths(paths: list[Path] | None) -> list[Path]:
    if paths:
        return paths
    for name in DEFAULT_CONFIG:
        if Path(name).exists():
            return [Path(name)]
    return [Path(DEFAULT_CONFIG[0])]


def _summary(
    config: Config | None, diagnostics: list[Diagnostic], files: int, elapsed: float
) -> str:
    from finopsmetrics_cli.cli.output import summary_line

    if config is None:
        return f"[red]invalid:[/red] {summary_line(diagnostics, files)}"
    counts = summary_line(diagnostics, len(config.files)).split(" in ")[0]
    plural = "s" if len(config.files) != 1 else ""
    return (
        f"[green]valid:[/green] {len(config.objects)} objects in {len(config.files)} file{plural}"
        f" ({counts}; {elapsed:.2f}s)"
    )


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        paths: list[Path] | None = typer.Argument(  # noqa: B008
            None,
            help="Files or directories (all *.yaml/*.yml below). Default: ./finopsmetrics.yaml.",
            show_default=False,
        ),
        fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),  # noqa: B008
        no_color: bool = typer.Option(False, "--no-color", help="Plain output, no colours."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only problems, no summary."),
        max_bytes: int = typer.Option(
            50 * 1024 * 1024,
            "--max-bytes",
            help="Refuse files larger than this.",
            show_default=True,
        ),
    ) -> None:
        """Check configuration files: schema, conditions, references. Exit 1 on any error."""
        from finopsmetrics_cli import prefetch
        from finopsmetrics_cli.cli.output import make_console, render_diagnostics
        from finopsmetrics_cli.config import validate_paths

        started = time.perf_counter()
        targets = _default_paths(paths)
        # a forked child parses the files while this process imports the models
        ahead = prefetch.start(None, targets, max_bytes=max_bytes)
        try:
            config, diagnostics = validate_paths(
                targets,
                max_bytes=max_bytes,
                parsed=(lambda: ahead.sources(targets)) if ahead is not None else None,
            )
        finally:
            if ahead is not None:
                ahead.cancel()
        files = (
            len(config.files)
            if config
            else len({d.location.file for d in diagnostics if d.location}) or len(targets)
        )
        extra: dict[str, object] = {
            "objects": len(config.objects) if config else 0,
            "files": list(config.files) if config else [],
        }
        if config is not None:
            extra["digest"] = config.digest
        if fmt is not Format.text:
            render_diagnostics(
                diagnostics, cast("DiagnosticFormat", fmt.value), files=files, extra=extra
            )
        elif diagnostics or not quiet:  # rich is imported only when something is printed
            console = make_console(no_color=no_color)
            render_diagnostics(diagnostics, "text", console=console, files=files)
            if not quiet:
                console.print(_summary(config, diagnostics, files, time.perf_counter() - started))
        if config is None:
            raise typer.Exit(1)
