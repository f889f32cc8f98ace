"""Apply: turn a plan into state writes, committed in one transaction.

The store guards the serial (``expected_serial``), so a plan made against an
older state — saved to a file or raced by another apply — is refused as
"saved plan is stale" and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable

from finopsmetrics_cli.errors import PlanError
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
    return Write(action, change.kind, change.name, change.after, CONFIG)


def check_lineage(plan: Plan, lineage: str, serial: int) -> None:
    """Refuse a plan made against another state or an older serial, before writing."""
    if plan.lineage and lineage and plan.lineage != lineage:
        raise PlanError(
            f"saved plan is stale: it was made for state lineage {plan.lineage}, "
            f"but this state has lineage {lineage}",
            hint="run plan again against this state",
        )
    if plan.serial != serial:
        raise PlanError(
            f"saved plan is stale: it was made at state serial {plan.serial}, "
            f"but the state is now at serial {serial}",
            hint="run plan again and apply the new plan",
        )


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
    info = writer.info()
    check_lineage(plan, info.lineage, info.serial)
    summary = plan.summary
    if not plan.changes:
        return ApplyResult(0, 0, 0, info.serial)
    serial = writer.commit(
        writes_for(plan),
        actor=actor,
        source=source,
        git_commit=git_commit,
        expected_serial=plan.serial,
        progress=progress,
    )
    return ApplyResult(summary.add, summary.change, summary.destroy, serial)
