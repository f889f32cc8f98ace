"""``finopsmetrics validate``: schema and semantic checks, every error located.

Imports only the loader and the models: no DuckDB, no deepdiff, no jsonschema,
so it stays fast enough for pre-commit hooks.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

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
        from finopsmetrics_cli.cli.output import make_console, render_diagnostics, summary_line
        from finopsmetrics_cli.config import validate_paths

        started = time.perf_counter()
        targets = _default_paths(paths)
        config, diagnostics = validate_paths(targets, max_bytes=max_bytes)
        files = (
            len(config.files)
            if config
            else len({d.location.file for d in diagnostics if d.location}) or len(targets)
        )
        console = make_console(no_color=no_color)
        extra = {
            "objects": len(config.objects) if config else 0,
            "files": list(config.files) if config else [],
        }
        if config is not None:
            extra["digest"] = config.digest
        render_diagnostics(diagnostics, fmt.value, console=console, files=files, extra=extra)
        if fmt is Format.text and not quiet:
            elapsed = time.perf_counter() - started
            if config is not None:
                console.print(
                    f"[green]valid:[/green] {len(config.objects)} objects in {len(config.files)} "
                    f"file{'s' if len(config.files) != 1 else ''} "
                    f"({summary_line(diagnostics, len(config.files)).split(' in ')[0]};"
                    f" {elapsed:.2f}s)"
                )
            else:
                console.print(f"[red]invalid:[/red] {summary_line(diagnostics, files)}")
        if config is None:
            raise typer.Exit(1)
