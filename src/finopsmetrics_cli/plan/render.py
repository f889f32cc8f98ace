"""Plan and drift for people (text, Terraform-like) and for machines (JSON).

A plan is rendered as ``(style, line)`` pairs, then joined into one string
(plain, or with each style's terminal codes) and written in one go: a
10,000-object plan is ~130,000 lines, and printing them one by one through
rich took seconds. Values are shown as written (``50000``, ``80%``; see
``plan.values``), objects by address; JSON keeps canonical values. Secret
fields hold references (``${env:X}``), which is what is shown; nothing here
resolves them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from finopsmetrics_cli.plan.diff import FieldChange
from finopsmetrics_cli.plan.model import OutsideChange, Plan, PlannedChange
from finopsmetrics_cli.plan.values import Node, child, node_at, percent_fields, quote, value_text

if TYPE_CHECKING:
    from finopsmetrics_cli.drift import DriftReport

_Addressed = TypeVar("_Addressed", PlannedChange, OutsideChange)

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


def by_address(items: Iterable[_Addressed]) -> list[_Addressed]:
    """Changes in display order: by address, as Terraform lists them (``budget.a``,
    ``budget.b``, ``policy.x``). Apply order (dependencies first) is the plan's own."""
    return sorted(items, key=_address_key)


def _address_key(item: PlannedChange | OutsideChange) -> tuple[str, str]:
    return item.kind, item.name


def _dict_address_key(item: dict[str, Any]) -> tuple[str, str]:
    return item["kind"], item["name"]


def field_line(
    change: FieldChange, forces: Iterable[str] = (), kind: str = ""
) -> tuple[str, str, str]:
    """``(symbol, style, text)`` for one changed field, its values as written."""
    from finopsmetrics_cli.plan.diff import parse_path, path_matches

    suffix = "  # forces replacement" if forces and path_matches(change.path, forces) else ""
    node = node_at(kind, parse_path(change.path)) if kind and percent_fields(kind) else None
    if change.action == "add":
        return "+", "green", f"{change.path}: {value_text(change.new, node)}{suffix}"
    if change.action == "remove":
        return "-", "red", f"{change.path}: {value_text(change.old, node)}{suffix}"
    old, new = value_text(change.old, node), value_text(change.new, node)
    return "~", "yellow", f"{change.path}: {old} -> {new}{suffix}"


def _created_lines(spec: dict[str, Any] | None, tree: Node | None) -> list[tuple[str, str]]:
    """Every leaf of a new object (the walk of ``diff.flatten``), values as written.

    The hot loop of a large first plan: plain ``type`` tests, no percent lookups
    below fields that hold none."""
    out: list[tuple[str, str]] = []
    add = out.append

    def walk(value: Any, path: str, node: Node | None) -> None:
        kind = type(value)
        if kind is dict and value:
            for key, sub in value.items():
                walk(sub, f"{path}.{key}", child(node, key) if node else None)
            return
        if kind is list and value:
            for item in value:
                if type(item) is dict or type(item) is list:
                    below = child(node, "*") if node else None
                    for index, sub in enumerate(value):
                        walk(sub, f"{path}[{index}]", below)
                    return
        text = quote(value) if kind is str else value_text(value, node)
        add(("green", f"      + {path}: {text}"))

    for key, value in (spec or {}).items():
        walk(value, key, child(tree, key) if tree else None)
    return out


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
        lines += _created_lines(change.after, percent_fields(change.kind))
    else:
        for fc in change.fields:
            sym, fstyle, text = field_line(fc, change.forces_replacement, change.kind)
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
        sym, style, text = field_line(fc, (), item.kind)
        lines.append((style, f"      {sym} {text}"))
    return lines


def plan_lines(plan: Plan) -> list[tuple[str, str]]:
    """The whole text plan as ``(style, line)`` pairs, objects by address."""
    lines: list[tuple[str, str]] = []
    if plan.outside_changes:
        lines.append(("bold", "Objects changed outside of code since the last apply:"))
        lines.append(("", ""))
        for item in by_address(plan.outside_changes):
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
        for change in by_address(plan.changes):
            lines += change_lines(change)
            lines.append(("", ""))
    lines.append(("bold", plan.summary.line()))
    return lines


# Terminal controls in names or actors must not reach the terminal (a value's own
# are escaped by its JSON quoting); tab and newline are kept.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(lines: Sequence[tuple[str, str]]) -> str:
    """The text of ``lines``, built in one go (printing line by line through rich
    cost ~75 us a line: seconds for a large plan)."""
    text = "\n".join([line for _, line in lines]) + "\n"
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def styled(lines: Sequence[tuple[str, str]], codes: Mapping[str, tuple[str, str]]) -> str:
    """The text of ``lines`` with each line wrapped in its style's ``(start, end)``
    terminal codes (see ``cli.output.style_codes``); unstyled lines stay bare."""
    if _CONTROLS.search("\n".join([line for _, line in lines])):
        lines = [(style, _CONTROLS.sub("", line)) for style, line in lines]
    bare = ("", "")
    out = []
    for style, line in lines:
        start, end = codes.get(style, bare) if style and line else bare
        out.append(f"{start}{line}{end}\n")
    return "".join(out)


def plan_json(plan: Plan) -> str:
    """The stable JSON document (``schemas/plan.schema.json``), changes by address.

    A saved plan file keeps the apply order instead (``planfile``)."""
    data = plan.to_dict()
    for key in ("changes", "outside_changes"):
        data[key].sort(key=_dict_address_key)
    data["summary_line"] = plan.summary.line()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- drift ---------------------------------------------------------------


def drift_lines(report: DriftReport) -> list[tuple[str, str]]:
    """The text drift report as ``(style, line)`` pairs, objects by address."""
    if not report.items:
        return [("bold", f"No drift: {report.checked} managed objects match what was applied.")]
    lines: list[tuple[str, str]] = [("bold", "Objects changed outside of code:"), ("", "")]
    for item in by_address(report.items):
        lines += outside_lines(item)
    lines += [("", ""), ("bold", f"Drift: {len(report.items)} of {report.checked} managed "
                                 "objects changed outside of code.")]
    return lines


def drift_json(report: DriftReport) -> str:
    """The stable JSON document (``schemas/drift.schema.json``), items by address."""
    data = report.to_dict()
    data["items"].sort(key=_dict_address_key)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def drift_github(report: DriftReport, locations: dict[str, Any]) -> str:
    """GitHub workflow annotations, one ``::warning`` per drifted object."""
    out: list[str] = []
    for item in by_address(report.items):
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
