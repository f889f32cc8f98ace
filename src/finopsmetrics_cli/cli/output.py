"""Shared CLI output: one console factory and one way to show diagnostics.

Every command that reports problems in user input goes through
:func:`render_diagnostics`, so `validate`, `plan` and `drift` print the same
``FILE:LINE:COL: error[CODE]: message`` lines, the same JSON envelope and the
same GitHub / SARIF annotations. :func:`handle_errors` turns a
:class:`~finopsmetrics_cli.errors.FinopsError` into output and an exit code, so
no command ever shows a traceback for a user error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from finopsmetrics_cli import __version__
from finopsmetrics_cli.errors import Diagnostic, FinopsError, ValidationFailed

if TYPE_CHECKING:
    from rich.console import Console

DiagnosticFormat = Literal["text", "json", "github", "sarif"]
JSON_FORMAT_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_ERRORS_URI = (
    "https://github.com/finopsmetrics/finopsmetrics/blob/main/docs/reference/errors.md"
)


def make_console(*, no_color: bool = False, stderr: bool = False) -> Console:
    """A rich console honouring ``--no-color`` (and ``NO_COLOR``, which rich reads itself).

    ``-q`` is the command's business: it skips summaries and progress, never
    errors, so it is not a console setting.
    """
    from rich.console import Console

    return Console(
        no_color=no_color or None,  # None: rich reads NO_COLOR
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


#: The styles text plans and drift reports use (``plan.render``).
STYLES = ("bold", "dim", "green", "yellow", "red", "magenta", "cyan")
_MARK = "\ue000"


def style_codes(console: Console) -> dict[str, tuple[str, str]] | None:
    """Each style's ``(start, end)`` terminal codes as ``console`` writes them, or None
    when it writes plain text (not a terminal, ``--no-color``, ``NO_COLOR``, a dumb
    terminal). rich renders one marker per style; the lines are then styled in bulk."""
    if console.no_color or console.color_system is None or console.legacy_windows:
        return None
    from rich.text import Text

    codes: dict[str, tuple[str, str]] = {}
    for style in STYLES:
        with console.capture() as captured:
            console.print(Text(_MARK, style=style), end="")
        start, _, end = captured.get().partition(_MARK)
        codes[style] = (start, end)
    return codes


def _may_colour(stream: Any) -> bool:
    """Whether a console on ``stream`` could colour (rich's own test is then asked):
    rich is imported only when it could."""
    env = os.environ
    if env.get("NO_COLOR") or env.get("TTY_COMPATIBLE") == "0":
        return False
    if env.get("FORCE_COLOR") or env.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def write_lines(
    lines: Sequence[tuple[str, str]],
    *,
    console: Console | None = None,
    no_color: bool = False,
    stderr: bool = False,
) -> None:
    """Write ``(style, line)`` pairs as one string: styled on a terminal, plain when piped
    or with ``--no-color``. ``console`` (if given) decides the stream and the colours."""
    from finopsmetrics_cli.plan.render import plain, styled

    if console is None:
        stream = sys.stderr if stderr else sys.stdout
        if not no_color and _may_colour(stream):
            console = make_console(stderr=stderr)
    codes = style_codes(console) if console is not None else None
    if console is not None:
        stream = console.file
    stream.write(styled(lines, codes) if codes else plain(lines))
    stream.flush()


def _summary(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return errors, len(diagnostics) - errors


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """``2 errors, 1 warning in 3 files`` — the last line of text output."""
    errors, warnings = _summary(diagnostics)
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {_plural(files, 'file')}"


def diagnostic_to_dict(d: Diagnostic) -> dict[str, Any]:
    """The stable JSON shape of one diagnostic (documented in docs/commands/validate.md)."""
    loc = d.location
    return {
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "path": list(d.path),
    }


def render_text(console: Console, diagnostics: Sequence[Diagnostic]) -> None:
    """Diagnostics grouped by file (files in first-seen order), then by position."""
    from rich.markup import escape

    groups: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        groups.setdefault(d.location.file if d.location else "", []).append(d)
    for file, items in groups.items():
        if file:
            console.print(f"[bold]{escape(file)}[/bold]")
        items.sort(key=lambda x: (x.location.line, x.location.column) if x.location else (0, 0))
        for d in items:
            style = "red" if d.severity == "error" else "yellow"
            where = f"{d.location}: " if d.location else ""
            console.print(
                f"{escape(where)}[{style}]{d.severity}\\[{d.code}][/{style}]: {escape(d.message)}"
            )
            if d.hint:
                console.print(f"  [dim]hint:[/dim] {escape(d.hint)}")


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: ``::error file=..,line=..,col=..,title=CODE::msg``."""
    lines = []
    for d in diagnostics:
        props = []
        if d.location:
            props += [
                f"file={_gh_escape(d.location.file, prop=True)}",
                f"line={d.location.line}",
                f"col={d.location.column}",
            ]
        props.append(f"title={_gh_escape(d.code, prop=True)}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{d.severity} {','.join(props)}::{_gh_escape(message)}")
    return "\n".join(lines)


def render_sarif(
    diagnostics: Sequence[Diagnostic], *, tool: str = "finopsmetrics"
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules are the distinct codes seen."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for d in diagnostics:
        if d.code not in rules:
            rules[d.code] = {
                "id": d.code,
                "helpUri": f"{DOCS_ERRORS_URI}#{d.code.lower()}",
                "shortDescription": {"text": d.code},
            }
        text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": list(rules).index(d.code),
            "level": "error" if d.severity == "error" else "warning",
            "message": {"text": text},
        }
        if d.location:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.location.file.replace("\\", "/")},
                        "region": {
                            "startLine": max(d.location.line, 1),
                            "startColumn": max(d.location.column, 1),
                        },
                    }
                }
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": "https://github.com/finopsmetrics/finopsmetrics",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }


def render_diagnostics(
    diagnostics: Sequence[Diagnostic],
    fmt: DiagnosticFormat = "text",
    *,
    console: Console | None = None,
    files: int = 0,
    extra: dict[str, Any] | None = None,
) -> None:
    """Print diagnostics in ``fmt``; text goes to ``console``, machine formats to stdout.

    ``extra`` adds keys to the JSON envelope (e.g. ``objects``).
    """
    if fmt == "json":
        errors, warnings = _summary(diagnostics)
        doc: dict[str, Any] = {
            "format_version": JSON_FORMAT_VERSION,
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": warnings,
            "diagnostics": [diagnostic_to_dict(d) for d in diagnostics],
        }
        doc.update(extra or {})
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif fmt == "github":
        out = render_github(diagnostics)
        if out:
            sys.stdout.write(out + "\n")
    elif fmt == "sarif":
        sys.stdout.write(json.dumps(render_sarif(diagnostics), indent=2) + "\n")
    else:
        render_text(console or make_console(), diagnostics)


@contextmanager
def handle_errors(
    console: Console | None = None, fmt: DiagnosticFormat = "text", *, no_color: bool = False
) -> Iterator[None]:
    """Turn a FinopsError raised inside the block into output and ``typer.Exit``.

    Without ``console`` a stderr console (honouring ``no_color``) is made only if
    there is an error to show: rich costs ~50 ms to import."""
    import typer

    try:
        yield
    except ValidationFailed as exc:
        render_diagnostics(
            exc.diagnostics,
            fmt,
            console=console or make_console(no_color=no_color, stderr=True),
        )
        raise typer.Exit(exc.exit_code) from None
    except FinopsError as exc:
        con = console or make_console(no_color=no_color, stderr=True)
        from rich.markup import escape

        con.print(f"[red]error:[/red] {escape(exc.message)}")
        if exc.hint:
            con.print(f"  [dim]hint:[/dim] {escape(exc.hint)}")
        raise typer.Exit(exc.exit_code) from None
