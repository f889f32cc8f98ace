"""Every output of ``evaluate`` from the one :class:`EvaluationResult`.

JSON is the documented shape (``format_version`` 1; ``schemas/`` documents
plan and drift the same way); markdown is a PR comment with a stable marker;
SARIF and GitHub annotations point at the YAML line of the control that
fired when the controls came from a config file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli import __version__
from finopsmetrics_cli.evaluate import sections
from finopsmetrics_cli.evaluate.model import BudgetStatus, EvaluationResult, Finding
from finopsmetrics_cli.evaluate.periods import period_label

if TYPE_CHECKING:
    from rich.console import Console

FORMAT_VERSION = 1
MARKER = "<!-- finopsmetrics:evaluate -->"
KIND_TITLES = {"budget": "Budgets", "anomaly_detector": "Anomalies"}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def _cents(value: float) -> float:
    return round(value, 2)


def budget_dict(b: BudgetStatus) -> dict[str, Any]:
    return {
        "name": b.name,
        "period": {"type": b.period, "start": b.start.isoformat(), "end": b.end.isoformat()},
        "amount": _cents(b.amount),
        "currency": b.currency,
        "actual": _cents(b.actual),
        "forecast": _cents(b.forecast),
        "percent_actual": round(b.percent_actual, 4),
        "percent_forecast": round(b.percent_forecast, 4),
        "alerts_fired": [{"threshold": a.threshold, "type": a.type} for a in b.alerts_fired],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "id": f.id,
        "kind": f.kind,
        "name": f.name,
        "type": f.type,
        "severity": f.severity,
        "status": f.status,
        "message": f.message,
        "key": f.key,
        "first_seen": f.first_seen.isoformat(timespec="seconds") if f.first_seen else None,
        "last_seen": f.last_seen.isoformat(timespec="seconds") if f.last_seen else None,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
    }


def to_json(result: EvaluationResult, notifications: dict[str, Any] | None = None) -> str:
    """The SPEC's JSON; ``notifications``: what ``--notify``/``--dry-run`` sent or would."""
    doc = {
        "format_version": FORMAT_VERSION,
        "at": result.at.isoformat(),
        "data_through": result.data_through.isoformat(),
        "anomalies_since": result.anomalies_since.isoformat() if result.anomalies_since else None,
        "kinds": list(result.kinds),
        "budgets": [budget_dict(b) for b in result.budgets],
        "anomalies": [
            {
                "detector": a.detector, "date": a.day.isoformat(), "series": a.series,
                "actual": _cents(a.actual), "expected": _cents(a.expected),
                "impact": _cents(a.impact), "severity": a.severity, "model": a.model,
                "method": a.method, "shape": a.shape,
            }
            for a in result.anomalies
        ],  # fmt: skip
        "findings": [finding_dict(f) for f in result.findings],
        **sections.to_json(result),
        "warnings": result.warnings,
        "recorded": result.recorded,
        **({"notifications": notifications} if notifications is not None else {}),
    }
    return json.dumps(doc, indent=2) + "\n"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _alerts(b: BudgetStatus) -> str:
    return ", ".join(
        f"{_pct(a.threshold)}{'' if a.type == 'actual' else ' (forecast)'}" for a in b.alerts_fired
    )


def summary_line(result: EvaluationResult) -> str:
    counts = {"new": 0, "open": 0, "resolved": 0}
    for f in result.findings:
        counts[f.status] += 1
    return (
        f"Evaluated as of {result.at.isoformat()} (data through "
        f"{result.data_through.isoformat()}): {counts['new']} new, {counts['open']} open, "
        f"{counts['resolved']} resolved findings."
    )


def to_text(console: Console, result: EvaluationResult) -> None:
    """Rich tables: budgets, anomalies, then findings grouped by kind."""
    from rich.markup import escape
    from rich.table import Table

    if not console.is_terminal:  # logs and CI: rich's 80 columns would fold every table
        console.width = max(console.width, 132)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if result.budgets:
        table = Table(title="Budgets", title_justify="left")
        widest = min(max(len(b.name) for b in result.budgets), 40)
        table.add_column("budget", no_wrap=True, min_width=widest, overflow="fold")
        table.add_column("period", no_wrap=True)
        for col in ("amount", "actual", "%", "forecast", "% fcst"):
            table.add_column(col, justify="right", no_wrap=True)
        table.add_column("alerts", overflow="fold")
        for b in result.budgets:
            style = "red" if b.percent_actual >= 1 else ("yellow" if b.alerts_fired else "")
            table.add_row(
                escape(b.name), period_label(b.period, b.start), f"{b.amount:,.2f} {b.currency}",
                f"{b.actual:,.2f}", _pct(b.percent_actual), f"{b.forecast:,.2f}",
                _pct(b.percent_forecast), escape(_alerts(b)), style=style,
            )  # fmt: skip
        console.print(table)
    if result.anomalies:
        table = Table(title="Anomalies", title_justify="left")
        for col in ("detector", "date", "series", "actual", "expected", "impact", "severity"):
            table.add_column(col, overflow="fold", justify="right"
                             if col in ("actual", "expected", "impact") else "left")  # fmt: skip
        for a in result.anomalies:
            series = ", ".join(f"{k}={v}" for k, v in a.series.items()) or "(all)"
            table.add_row(
                escape(a.detector), a.day.isoformat(), escape(series), f"{a.actual:,.2f}",
                f"{a.expected:,.2f}", f"+{a.impact:,.2f}", a.severity,
            )  # fmt: skip
        console.print(table)
    by_kind: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_kind.setdefault(f.kind, []).append(f)
    for kind, items in by_kind.items():
        table = Table(title=f"Findings: {kind}", title_justify="left")
        for col in ("status", "severity", "object", "message"):
            table.add_column(col, overflow="fold")
        for f in items:
            table.add_row(f.status, f.severity, escape(f.address), escape(f.message),
                          style="dim" if f.status == "resolved" else "")  # fmt: skip
        console.print(table)
    sections.to_text(console, result)
    console.print(summary_line(result))


def to_markdown(result: EvaluationResult) -> str:
    """A PR comment: summary first, details collapsible, a stable marker line."""
    lines = [MARKER, "### finopsmetrics evaluate", "", summary_line(result), ""]
    for warning in result.warnings:
        lines.append(f"> **warning:** {warning}")
    if result.warnings:
        lines.append("")
    if result.budgets:
        lines += [
            "<details open><summary>Budgets</summary>", "",
            "| budget | period | amount | actual | % | forecast | % forecast | alerts |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]  # fmt: skip
        for b in result.budgets:
            lines.append(
                f"| `{b.name}` | {b.start.isoformat()}..{b.end.isoformat()} | "
                f"{b.amount:,.2f} {b.currency} | {b.actual:,.2f} | {_pct(b.percent_actual)} | "
                f"{b.forecast:,.2f} | {_pct(b.percent_forecast)} | {_alerts(b)} |"
            )
        lines += ["", "</details>", ""]
    lines += sections.to_markdown(result)
    if result.findings:
        lines += ["<details><summary>Findings</summary>", "",
                  "| status | severity | object | message |", "|---|---|---|---|"]  # fmt: skip
        for f in result.findings:
            message = f.message.replace("|", "\\|")
            lines.append(f"| {f.status} | {f.severity} | `{f.address}` | {message} |")
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def _gh(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def to_github(result: EvaluationResult) -> str:
    """Workflow annotations, one per open finding, at the control's YAML line when known."""
    out = []
    for f in result.open_findings():
        level = "error" if f.severity in ("high", "critical") else "warning"
        props = []
        if f.location:
            props += [f"file={_gh(f.location.file, prop=True)}", f"line={f.location.line}",
                      f"col={f.location.column}"]  # fmt: skip
        props.append(f"title={_gh(f'{f.address} ({f.type})', prop=True)}")
        out.append(f"::{level} {','.join(props)}::{_gh(f.message)}")
    return "".join(line + "\n" for line in out)


def to_sarif(result: EvaluationResult) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in result.open_findings():
        if f.type not in rules:
            rules[f.type] = {"id": f.type, "shortDescription": {"text": f.type.replace("_", " ")}}
        item: dict[str, Any] = {
            "ruleId": f.type,
            "ruleIndex": list(rules).index(f.type),
            "level": SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f"{f.address}: {f.message}"},
            "partialFingerprints": {"finopsmetricsFinding/v1": f.id},
            "properties": {"severity": f.severity, "status": f.status},
        }
        if f.location:
            item["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": f.location.file.replace("\\", "/")},
                "region": {"startLine": max(f.location.line, 1),
                           "startColumn": max(f.location.column, 1)},
            }}]  # fmt: skip
        results.append(item)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "finopsmetrics", "version": __version__,
                "informationUri": "https://github.com/finopsmetrics/finopsmetrics",
                "rules": list(rules.values()),
            }},
            "results": results,
        }],
    }  # fmt: skip
    return json.dumps(log, indent=2) + "\n"
