"""Plan and drift for people (text, Terraform-like) and for machines (JSON).

Text is built as rich ``Text`` lines so values are never parsed as markup and
``--no-color`` / non-terminals get the same words without styles. Secret
fields hold references (``${env:X}``), which is what is shown; nothing here
resolves them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.plan.diff import FieldChange, flatten
from finopsmetrics_cli.plan.model import OutsideChange, Plan, PlannedChange

if TYPE_CHECKING:
    from rich.text import Text

    from finopsmetrics_cli.drift import DriftReport

SYMBOLS: dict[str, tuple[str, str]] = {
    "create": ("  +", "green"),
    "update": ("  ~", "yellow"),
    "delete": ("  -", "red"),
    "replace": ("-/+", "magenta"),
    "import": (" <=", "cyan"),
    "adopt": ("  ~", "yellow"),
    "refresh": ("  ~", "yellow"),
}

HEADLINES: dict[str, str] = {
    "create": "will be created",
    "update": "will be updated in-place",
    "delete": "will be destroyed",
    "replace": "must be replaced",
    "import": "will be imported",
    "adopt": "will be adopted",
    "refresh": "will have its outside changes accepted",
}


def value_text(value: Any) -> str:
    """A value as JSON (strings quoted), so ``"80"`` and ``80`` never look alike."""
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def field_line(change: FieldChange, forces: Iterable[str] = ()) -> tuple[str, str, str]:
    """``(symbol, style, text)`` for one changed field."""
    from finopsmetrics_cli.plan.diff import path_matches

    suffix = "  # forces replacement" if path_matches(change.path, forces) else ""
    if change.action == "add":
        return "+", "green", f"{change.path}: {value_text(change.new)}{suffix}"
    if change.action == "remove":
        return "-", "red", f"{change.path}: {value_text(change.old)}{suffix}"
    text = f"{change.path}: {value_text(change.old)} -> {value_text(change.new)}{suffix}"
    return "~", "yellow", text


def change_lines(change: PlannedChange) -> list[tuple[str, str]]:
    """One planned change as ``(style, line)`` pairs (shared by text and markdown)."""
    symbol, style = SYMBOLS[change.action]
    headline = HEADLINES[change.action]
    if change.action == "adopt":
        headline += f" (now managed by {change.previous_manager})"
    if change.action == "replace" and change.forces_replacement:
        headline += " (" + ", ".join(change.forces_replacement) + " cannot change in place)"
    elif change.action == "replace" and change.reason:
        headline += f" ({change.reason})"
    lines = [("dim", f"  # {change.address} {headline}"), (style, f"{symbol} {change.address}")]
    if change.action == "create":
        for path, value in flatten(change.after):
            lines.append(("green", f"      + {path}: {value_text(value)}"))
    else:
        for fc in change.fields:
            sym, fstyle, text = field_line(fc, change.forces_replacement)
            lines.append((fstyle, f"      {sym} {text}"))
    return lines


def outside_lines(item: OutsideChange) -> list[tuple[str, str]]:
    """One outside change: who/when, then its fields."""
    who = item.describe_who()
    if item.change == "delete":
        return [("red", f"  - {item.address} was deleted outside of code {who}")]
    if item.change == "manager":
        head = f"  ! {item.address} is now managed by {item.manager}, changed {who}"
        lines = [("magenta", head)]
    else:
        lines = [("yellow", f"  ~ {item.address} was changed outside of code {who}")]
    for fc in item.fields:
        sym, style, text = field_line(fc)
        lines.append((style, f"      {sym} {text}"))
    return lines


def plan_lines(plan: Plan) -> list[tuple[str, str]]:
    """The whole text plan as ``(style, line)`` pairs."""
    lines: list[tuple[str, str]] = []
    if plan.outside_changes:
        lines.append(("bold", "Objects changed outside of code since the last apply:"))
        lines.append(("", ""))
        for item in plan.outside_changes:
            lines += outside_lines(item)
        lines.append(("", ""))
        if plan.options.refresh_only:
            lines.append(("", "This is a refresh-only plan: applying it accepts these changes "
                              "as the new applied state and undoes none of them."))
        else:
            lines.append(("", "Unless you accept them (plan --refresh-only), the plan below "
                              "undoes these changes."))
        lines.append(("", ""))
    if plan.changes:
        lines.append(("bold", "finopsmetrics will perform the following actions:"))
        lines.append(("", ""))
        for change in plan.changes:
            lines += change_lines(change)
            lines.append(("", ""))
    lines.append(("bold", plan.summary.line()))
    return lines


def to_rich(lines: Iterable[tuple[str, str]]) -> list[Text]:
    from rich.text import Text

    return [Text(line, style=style or "") for style, line in lines]


def plain(lines: Iterable[tuple[str, str]]) -> str:
    return "\n".join(line for _, line in lines) + "\n"


def plan_json(plan: Plan) -> str:
    """The stable JSON document (``schemas/plan.schema.json``)."""
    data = plan.to_dict()
    data["summary_line"] = plan.summary.line()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- drift ---------------------------------------------------------------


def drift_lines(report: DriftReport) -> list[tuple[str, str]]:
    if not report.items:
        return [("bold", f"No drift: {report.checked} managed objects match what was applied.")]
    lines: list[tuple[str, str]] = [("bold", "Objects changed outside of code:"), ("", "")]
    for item in report.items:
        lines += outside_lines(item)
    lines += [("", ""), ("bold", f"Drift: {len(report.items)} of {report.checked} managed "
                                 "objects changed outside of code.")]
    return lines


def drift_json(report: DriftReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def drift_github(report: DriftReport, locations: dict[str, Any]) -> str:
    """GitHub workflow annotations, one ``::warning`` per drifted object."""
    out: list[str] = []
    for item in report.items:
        fields = ", ".join(f.path for f in item.fields) or item.change
        message = f"{item.address} {_drift_verb(item)} {item.describe_who()}: {fields}"
        loc = locations.get(item.address)
        where = f" file={loc.file},line={loc.line},col={loc.column}," if loc else " "
        out.append(f"::warning{where}title=drift {item.address}::{_escape(message)}")
    if not out:
        out.append("::notice title=drift::No drift")
    return "\n".join(out) + "\n"


def _drift_verb(item: OutsideChange) -> str:
    if item.change == "delete":
        return "was deleted outside of code"
    if item.change == "manager":
        return f"is now managed by {item.manager}"
    return "was changed outside of code"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
