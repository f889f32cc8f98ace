"""Plan and drift as a pull-request comment.

The first line is a stable HTML marker so CI can find and update its own
comment; the summary comes first and the details sit in a collapsible block,
objects by address and values as written, as in the text plan.
GitHub refuses comments over 65,536 characters, so long plans are truncated
with a count of what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from finopsmetrics_cli.plan.model import Plan
from finopsmetrics_cli.plan.render import by_address, change_lines, outside_lines

if TYPE_CHECKING:
    from finopsmetrics_cli.drift import DriftReport

PLAN_MARKER = "<!-- finopsmetrics:plan -->"
DRIFT_MARKER = "<!-- finopsmetrics:drift -->"
MAX_DETAIL_CHARS = 60_000


def _blocks_to_diff(blocks: Sequence[list[str]], limit: int) -> tuple[str, int]:
    """Join blocks until ``limit`` characters; return the text and how many were left out."""
    shown: list[str] = []
    size = 0
    for index, block in enumerate(blocks):
        text = "\n".join(block)
        if size + len(text) > limit and shown:
            return "\n".join(shown), len(blocks) - index
        shown.append(text)
        size += len(text) + 1
    return "\n".join(shown), 0


_COLUMN0 = {"+": "+", "-": "-", "~": "!", "!": "!"}


def _diff_line(line: str) -> str:
    """Put a marker GitHub's ``diff`` highlighting colours in column 0 (``!`` for
    changes), keeping the Terraform-style symbol where it was."""
    stripped = line.lstrip()
    if stripped.startswith("-/+"):
        return "!" + line
    if stripped and stripped[0] in _COLUMN0 and line.startswith(" "):
        return _COLUMN0[stripped[0]] + line[1:]
    return line


def plan_markdown(plan: Plan, *, limit: int = MAX_DETAIL_CHARS) -> str:
    summary = plan.summary
    counts = summary.to_dict()
    parts = [PLAN_MARKER, "### finopsmetrics plan", "", f"**{summary.line()}**", ""]
    if summary.has_changes:
        parts += [
            "| add | change | destroy | import |",
            "|---:|---:|---:|---:|",
            f"| {counts['add']} | {counts['change']} | {counts['destroy']} | {counts['import']} |",
            "",
        ]
    if plan.outside_changes:
        blocks = [[_diff_line(ln) for _, ln in outside_lines(i)]
                  for i in by_address(plan.outside_changes)]
        text, left = _blocks_to_diff(blocks, limit // 3)
        parts += _details(
            f"{len(plan.outside_changes)} object(s) changed outside of code", text, left
        )
    if plan.changes:
        blocks = [[_diff_line(ln) for _, ln in change_lines(c)] for c in by_address(plan.changes)]
        text, left = _blocks_to_diff(blocks, limit)
        parts += _details(f"Show {len(plan.changes)} change(s)", text, left)
    return "\n".join(parts).rstrip() + "\n"


def _details(summary: str, body: str, left_out: int) -> list[str]:
    lines = ["<details>", f"<summary>{summary}</summary>", "", "```diff", body, "```"]
    if left_out:
        lines += ["", f"... and {left_out} more not shown (plan too long for a comment)."]
    return [*lines, "</details>", ""]


def drift_markdown(report: DriftReport, *, limit: int = MAX_DETAIL_CHARS) -> str:
    parts = [DRIFT_MARKER, "### finopsmetrics drift", ""]
    if not report.items:
        parts.append(f"**No drift** ({report.checked} managed objects checked).")
        return "\n".join(parts) + "\n"
    parts += [f"**Drift: {len(report.items)} of {report.checked} managed objects changed "
              "outside of code.**", ""]
    blocks = [[_diff_line(ln) for _, ln in outside_lines(i)] for i in by_address(report.items)]
    text, left = _blocks_to_diff(blocks, limit)
    parts += _details(f"Show {len(report.items)} drifted object(s)", text, left)
    return "\n".join(parts).rstrip() + "\n"
