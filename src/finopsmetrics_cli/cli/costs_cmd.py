"""``finopsmetrics costs sync | show | query | sources``: cost data. Renders only; the
work is ``Engine.costs_*`` (``costs/``)."""

# ruff: noqa: B008  (typer declares options as parameter defaults)
from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from finopsmetrics_cli.cli.plan_cmd import (
    NoColorOpt,
    QuietOpt,
    StateOpt,
    check_format,
    parse_day,
)
from finopsmetrics_cli.errors import FinopsError

if TYPE_CHECKING:
    from rich.console import Console

    from finopsmetrics_cli.costs.report import CostTable, QueryResult, SourceStatus
    from finopsmetrics_cli.costs.sync import SyncResult
    from finopsmetrics_cli.engine import Engine

FORMAT_VERSION = 1
CostsOpt = typer.Option(
    None, "--costs", show_default=False,
    help="Cost store (default $FINOPSMETRICS_COSTS, settings.costs.store, then "
    ".finopsmetrics/costs.duckdb).",
)  # fmt: skip
BAR_WIDTH = 40


def parse_since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise FinopsError(
            f"--since {text!r} is not a date", hint="write it as YYYY-MM-DD or YYYY-MM"
        ) from None


def parse_filters(items: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``DIM=VALUE[,VALUE...]`` (repeatable; the same key twice means any of both)."""
    merged: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value:
            raise FinopsError(
                f"--filter {item!r} is not DIM=VALUE",
                hint="e.g. --filter service='Amazon EC2' --filter region=us-*,eu-*",
            )
        merged.setdefault(key.strip(), []).extend(v.strip() for v in value.split(","))
    return tuple((k, tuple(v)) for k, v in merged.items())


def _engine(state: str | None) -> Engine:
    from finopsmetrics_cli.engine import Engine

    return Engine(state, source="cli")


def register(app: typer.Typer) -> None:
    costs = typer.Typer(
        name="costs", no_args_is_help=True, add_completion=False,
        help="Cost data: sync billing files into the cost store and explore it.",
    )  # fmt: skip
    app.add_typer(costs, name="costs")

    @costs.command("sync")
    def sync_command(
        paths: list[Path] = typer.Argument(
            None,
            show_default=False,
            help="Config file(s) or directory whose cost_sources to sync (default: live state).",
        ),
        source: list[str] = typer.Option(
            None, "--source", show_default=False, help="Only this source (repeatable)."
        ),
        since: str = typer.Option(
            None,
            "--since",
            show_default=False,
            help="Only billing periods from this month (YYYY-MM[-DD]).",
        ),
        full: bool = typer.Option(False, "--full", help="Rebuild: read every file again."),
        costs_path: str = CostsOpt,
        state: str = StateOpt,
        no_color: bool = NoColorOpt,
        quiet: bool = QuietOpt,
    ) -> None:
        """Bring the billing data of the cost sources into the cost store."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console
        from finopsmetrics_cli.costs.service import SyncOptions

        errors = make_console(no_color=no_color, stderr=True)
        with handle_errors(errors):
            options = SyncOptions(
                sources=tuple(source or ()), since=parse_since(since), full=full,
                costs=costs_path,
            )  # fmt: skip
            engine = _engine(state)
            config = engine.load_config(list(paths)) if paths else None
            out = make_console(no_color=no_color)
            results = _run_sync(engine, config, options, out, quiet)
            _report_sync(results, out, errors, quiet)
            failed = [r for r in results if r.error is not None]
        if failed:
            raise typer.Exit(1)

    @costs.command("show")
    def show_command(
        by: list[str] = typer.Option(
            None,
            "--by",
            show_default=False,
            help="Group by DIM[,DIM...]: a dimension, tag:KEY, day, week or month (repeatable).",
        ),
        period: str = typer.Option(
            None, "--period", show_default=False, help="A month (2024-03), a year or a day."
        ),
        start: str = typer.Option(
            None, "--from", show_default=False, help="First day (YYYY-MM-DD)."
        ),
        end: str = typer.Option(
            None, "--to", show_default=False, help="Last day, included (YYYY-MM-DD)."
        ),
        filters: list[str] = typer.Option(
            None, "--filter", show_default=False, help="DIM=VALUE[,VALUE...]; * globs (repeatable)."
        ),
        metric: str = typer.Option(
            "effective", "--metric", help="effective, billed, list or contracted."
        ),
        top: int = typer.Option(
            None, "--top", min=1, show_default=False, help="Only the N largest groups."
        ),
        fmt: str = typer.Option("text", "--format", help="text, json or csv."),
        costs_path: str = CostsOpt,
        no_color: bool = NoColorOpt,
    ) -> None:
        """Sum the cost by dimensions over a period."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console
        from finopsmetrics_cli.costs.report import ShowOptions

        with handle_errors(no_color=no_color):
            check_format(fmt, ("text", "json", "csv"))
            options = ShowOptions(
                by=tuple(d.strip() for item in by or () for d in item.split(",") if d.strip()),
                period=period, start=parse_day("--from", start), end=parse_day("--to", end),
                filters=parse_filters(filters or ()), metric=metric, top=top,
            )  # fmt: skip
            table = _engine(None).costs_show(options, costs=costs_path)
            for note in table.notes:  # stderr: what the engine billed for the query
                sys.stderr.write(f"note: {note}\n")
            if fmt == "json":
                sys.stdout.write(show_json(table))
            elif fmt == "csv":
                sys.stdout.write(show_csv(table))
            elif not sys.stdout.isatty():  # piped: plain text, without loading rich
                sys.stdout.write(show_plain(table))
            else:
                show_text(make_console(no_color=no_color), table)

    @costs.command("query")
    def query_command(
        sql: str = typer.Argument(
            ..., help="Read-only SQL over the views costs and costs_enriched."
        ),
        fmt: str = typer.Option("text", "--format", help="text, json or csv."),
        costs_path: str = CostsOpt,
        no_color: bool = NoColorOpt,
    ) -> None:
        """Run read-only SQL over the cost store (views costs and costs_enriched)."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console

        with handle_errors(no_color=no_color):
            check_format(fmt, ("text", "json", "csv"))
            result = _engine(None).costs_query(sql, costs=costs_path)
            if fmt == "json":
                rows = [dict(zip(result.columns, map(_json_value, r), strict=True))
                        for r in result.rows]  # fmt: skip
                sys.stdout.write(_dump({"columns": result.columns, "rows": rows}))
            elif fmt == "csv":
                sys.stdout.write(_csv(result.columns, result.rows))
            else:
                query_text(make_console(no_color=no_color), result)

    @costs.command("sources")
    def sources_command(
        paths: list[Path] = typer.Argument(
            None,
            show_default=False,
            help="Config file(s) or directory to read the sources from (default: live state).",
        ),
        fmt: str = typer.Option("text", "--format", help="text or json."),
        costs_path: str = CostsOpt,
        state: str = StateOpt,
        no_color: bool = NoColorOpt,
    ) -> None:
        """Each cost source: its last sync, billing periods, rows and total."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console

        with handle_errors(no_color=no_color):
            check_format(fmt, ("text", "json"))
            engine = _engine(state)
            config = engine.load_config(list(paths)) if paths else None
            statuses = engine.costs_sources(config, costs=costs_path)
            if fmt == "json":
                sys.stdout.write(_dump({"sources": [_source_dict(s) for s in statuses]}))
            else:
                sources_text(make_console(no_color=no_color), statuses)


# -- sync ---------------------------------------------------------------------


def _run_sync(engine: Engine, config: Any, options: Any, out: Console, quiet: bool) -> list[Any]:
    """Sync with a progress bar on a terminal (files read per source)."""
    if quiet or not out.is_terminal:
        return engine.costs_sync(config, options)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=out, transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def progress(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=done, total=total)

        return engine.costs_sync(config, options, progress=progress)


def _report_sync(results: list[SyncResult], out: Console, errors: Console, quiet: bool) -> None:
    from rich.markup import escape

    for result in results:
        for note in result.notes:
            errors.print(f"[dim]note:[/dim] {escape(note)}")
        for warning in result.warnings:
            errors.print(f"[yellow]warning:[/yellow] {escape(warning)}")
        if result.error is not None:
            errors.print(f"[red]error:[/red] {escape(result.error.message)}")
            if result.error.hint:
                errors.print(f"  [dim]hint:[/dim] {escape(result.error.hint)}")
        if not quiet or result.error is not None:
            out.print(escape(result.line()))


# -- show ---------------------------------------------------------------------


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}" if abs(value) >= Decimal("0.01") or value == 0 else f"{value:.6f}"


def _cell(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _show_rows(table: CostTable) -> tuple[list[str], list[list[str]], str]:
    """Header, cells (a bar closes each row when a time dimension is shown), total line."""
    header = [*table.dimensions, "currency", table.metric]
    months = [k for k, d in enumerate(table.dimensions) if d == "month"]
    rows = []
    for r in table.rows:
        cells = [*map(_cell, r[:-1]), _amount(r[-1])]
        for k in months:  # a month reads 2024-03, not 2024-03-01
            cells[k] = cells[k][:7] if r[k] is not None else cells[k]
        rows.append(cells)
    if table.time_dimension is not None:  # bars scaled within each currency
        peaks: dict[Any, Decimal] = {}
        for r in table.rows:
            if r[-1] is not None:
                peaks[r[-2]] = max(peaks.get(r[-2], Decimal(0)), abs(r[-1]))
        for row, source in zip(rows, table.rows, strict=True):
            amount, peak = source[-1], peaks.get(source[-2])
            size = 0 if not peak or amount is None else round(BAR_WIDTH * abs(amount) / peak)
            row.append("█" * size)
        header.append("")
    totals = ", ".join(f"{_amount(v)} {c}" for c, v in sorted(table.totals().items(), key=str))
    span = f" {table.start}..{table.end}" if table.start or table.end else ""
    return header, rows, f"Total{span}: {totals}"


def show_text(console: Console, table: CostTable) -> None:
    from rich.text import Text

    from finopsmetrics_cli.cli.state_cmd import print_columns

    if not table.rows:
        console.print("No cost rows match.")
        return
    header, rows, total = _show_rows(table)
    print_columns(console, header, rows)
    console.print(Text(total, style="bold"))


def show_plain(table: CostTable) -> str:
    """The text table as ``show_text`` prints it, for pipes (no styles, no rich)."""
    if not table.rows:
        return "No cost rows match.\n"
    header, rows, total = _show_rows(table)
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for cells in [header, *rows]:
        last = max((k for k, c in enumerate(cells) if c), default=-1)
        lines.append("  ".join(
            c if k == last else c.ljust(widths[k]) for k, c in enumerate(cells[: last + 1])
        ))  # fmt: skip
    return "\n".join(lines) + f"\n{total}\n"


def show_json(table: CostTable) -> str:
    rows = []
    for row in table.rows:
        entry = {d: _json_value(v) for d, v in zip(table.dimensions, row, strict=False)}
        entry["currency"] = row[-2]
        entry["amount"] = _json_value(row[-1])
        rows.append(entry)
    return _dump({
        "metric": table.metric,
        "dimensions": list(table.dimensions),
        "from": table.start.isoformat() if table.start else None,
        "to": table.end.isoformat() if table.end else None,
        "rows": rows,
        "totals": {c: _json_value(v) for c, v in sorted(table.totals().items(), key=str)},
    })  # fmt: skip


def show_csv(table: CostTable) -> str:
    return _csv(list(table.columns), table.rows)


# -- query and sources --------------------------------------------------------------


def query_text(console: Console, result: QueryResult) -> None:
    from finopsmetrics_cli.cli.state_cmd import print_columns

    print_columns(console, result.columns, [[_cell(v) for v in row] for row in result.rows])
    console.print(f"({len(result.rows):,} row{'s' if len(result.rows) != 1 else ''})")


def sources_text(console: Console, statuses: list[SourceStatus]) -> None:
    from finopsmetrics_cli.cli.state_cmd import print_columns
    from finopsmetrics_cli.costs.sync import period_span

    if not statuses:
        console.print("No cost sources declared.")
        return
    rows = []
    for s in statuses:
        state = "" if s.declared else "(not declared)"
        if s.declared and not s.enabled:
            state = "(disabled)"
        rows.append([
            s.name, s.type or "", s.location or "",
            f"{s.synced_at:%Y-%m-%d %H:%M:%S}Z" if s.synced_at else "never",
            period_span(s.periods), f"{s.rows:,}",
            f"{_amount(s.billed)} {s.currency or ''}".strip() if s.billed is not None else "",
            state,
        ])  # fmt: skip
    header = ["source", "type", "location", "last sync", "periods", "rows", "billed", ""]
    print_columns(console, header, rows)


def _source_dict(s: SourceStatus) -> dict[str, Any]:
    return {
        "name": s.name,
        "type": s.type,
        "location": s.location,
        "declared": s.declared,
        "enabled": s.enabled,
        "synced_at": s.synced_at.isoformat() if s.synced_at else None,
        "periods": [f"{p:%Y-%m}" for p in s.periods],
        "rows": s.rows,
        "billed": _json_value(s.billed),
        "currency": s.currency,
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _dump(document: dict[str, Any]) -> str:
    return json.dumps({"format_version": FORMAT_VERSION, **document}, indent=2) + "\n"


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()
