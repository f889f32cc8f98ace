"""The result's further sections (tag coverage, policies, compliance, allocations) in every
output.

Evaluators return them as JSON-ready rows (``Outcome.sections``); JSON carries
them as top-level keys, text and markdown as one table each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from finopsmetrics_cli.evaluate.model import EvaluationResult

Row = Mapping[str, Any]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _amounts(values: Mapping[str, float]) -> str:
    return ", ".join(f"{v:,.2f} {c}" for c, v in values.items()) or "0.00"


def _coverage(row: Row) -> list[str]:
    worst = next((a for a in row["by_account"] if a["missing"] > 0), None)
    top = ", ".join(t["resource"] for t in row["top_untagged"][:3])
    return [
        f"{row['kind']}.{row['rule']}",
        row["key"],
        _amounts(row["spend"]),
        # no spend selected: nothing is missing, and nothing is covered either
        _pct(row["missing_share"] if row["spend"] else None),
        _pct(row["missing_share_own_tags"] if row["spend"] else None),
        f"{worst['account']} ({_pct(worst['missing_share'])})" if worst else "",
        top,
    ]


def _policy(row: Row) -> list[str]:
    status = (
        row["status"]
        if row["status"] == "evaluated"
        else ("not evaluable: " + (", ".join(row["missing_attributes"]) or row["reason"] or ""))
    )
    return [
        f"{row['kind']}.{row['name']}",
        status,
        str(row["matched"]),
        _amounts(row["cost_monthly"]),
        row["action"],
    ]


def _compliance(row: Row) -> list[str]:
    return [
        row["name"],
        row["framework"],
        row["status"].replace("_", " "),
        _pct(row["score"]),
        str(row["passed"]),
        str(row["failed"]),
        str(row["not_evaluable"]),
    ]


def _allocation(row: Row) -> list[str]:
    targets = ", ".join(f"{t['target']} {t['amount']:,.2f}" for t in row["targets"])
    return [row["name"], row["resource_id"], _amounts(row["total"]), targets,
            _amounts(row["remainder"])]  # fmt: skip


SECTIONS: dict[str, tuple[str, tuple[str, ...], Callable[[Row], list[str]]]] = {
    "coverage": (
        "Tag coverage (30 days)",
        ("rule", "key", "spend", "missing", "missing (own tags)", "worst account", "top untagged"),
        _coverage,
    ),
    "policies": ("Policies", ("policy", "status", "resources", "cost/month", "action"), _policy),
    "allocations": (
        "Cost allocations (month to date)",
        ("allocation", "resource", "total", "targets", "remainder"),
        _allocation,
    ),
    "compliance": (
        "Compliance",
        ("name", "framework", "status", "score", "passed", "failed", "not evaluable"),
        _compliance,
    ),
}


def to_json(result: EvaluationResult) -> dict[str, Any]:
    return {
        name: list(result.sections.get(name, [])) for name in SECTIONS if name in result.sections
    }


def to_text(console: Console, result: EvaluationResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    for name, (title, columns, cells) in SECTIONS.items():
        rows = result.sections.get(name)
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(escape(c) for c in cells(row)))
        console.print(table)


def to_markdown(result: EvaluationResult) -> list[str]:
    lines: list[str] = []
    for name, (title, columns, cells) in SECTIONS.items():
        rows = result.sections.get(name)
        if not rows:
            continue
        lines += [
            f"<details open><summary>{title}</summary>",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        for row in rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |")
        lines += ["", "</details>", ""]
    return lines
