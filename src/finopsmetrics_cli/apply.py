"""Apply: turn a plan into state writes, committed in one transaction.

The store guards the serial (``expected_serial``), so a plan made against an
older state — saved to a file or raced by another apply — is refused as
"saved plan is stale" and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable

from finopsmetrics_cli.plan.model import ApplyResult, Plan, PlannedChange
from finopsmetrics_cli.state.api import StateWriter, Write

CONFIG = "config"

Progress = Callable[[int, int], None]


def writes_for(plan: Plan) -> list[Write]:
    """One state write per planned change, in plan order (referenced objects first)."""
    return [_write(change) for change in plan.changes]


def _write(change: PlannedChange) -> Write:
    if change.action == "delete":
        return Write("delete", change.kind, change.name, None, CONFIG)
    action = "update" if change.action == "refresh" else change.action
    return Write(action, change.kind, change.name, change.after, CONFIG, change.prevent_destroy)


def apply_plan(
    writer: StateWriter,
    plan: Plan,
    *,
    actor: str,
    source: str,
    git_commit: str | None = None,
    progress: Progress | None = None,
) -> ApplyResult:
    """Commit ``plan`` through ``writer`` (which holds the lock); all or nothing."""
    summary = plan.summary
    serial = writer.commit(
        writes_for(plan),
        actor=actor,
        source=source,
        git_commit=git_commit,
        expected_serial=plan.serial,
        expected_lineage=plan.lineage or None,
        progress=progress,
    )
    return ApplyResult(summary.add, summary.change, summary.destroy, serial, summary.import_)
