"""The engine: the one facade every front end calls.

The CLI, the Terraform provider, the Pulumi SDK and the GitOps reconciler hold
no logic of their own; they call these methods and render what comes back.
Building a plan has no side effects (a ``Plan`` is pure, serialisable data);
applying it is a separate step.

CONTRACT (front ends code against exactly this; keep it in sync with the code
and with ``docs/reference/engine-api.md``)::

    class Engine:
        def __init__(self, state: str | Path | None = None, *, actor: str | None = None,
                     source: str = "cli", lock_timeout: float = 0.0,
                     git_commit: str | None = None) -> None
            # state None -> $FINOPSMETRICS_STATE -> ./.finopsmetrics/state.duckdb
            # (a path, or s3://bucket/key.duckdb); actor None -> $FINOPSMETRICS_ACTOR
            # or user@host. source names the front end: cli|terraform|pulumi|reconcile|api.

        # configuration
        def load_config(self, paths: Sequence[str | Path]) -> Config          # raises ValidationFailed
        def validate_object(self, kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]
            # one object (Terraform/Pulumi): schema + conditions + secrets + references
            # (checked against live state); returns the canonical spec; raises
            # ValidationFailed whose Diagnostic.path is the field path inside spec.

        # plan / apply / drift / import (whole configuration, manager "config")
        def plan(self, config: Config | None, options: PlanOptions | None = None) -> Plan
        def apply(self, plan: Plan, *, progress: Callable[[int, int], None] | None = None) -> ApplyResult
        def drift(self, config: Config | None = None) -> DriftReport
        def import_yaml(self, addresses: Sequence[str] | None = None) -> str   # None = all unmanaged
        def import_into_file(self, file: Path, addresses: Sequence[str] | None = None) -> list[str]

        # single objects (Terraform, Pulumi, tests): same validation, history, locking
        def read(self, address: str) -> LiveObject | None
        def list_objects(self, kind: str | None = None, manager: str | None = None) -> list[LiveObject]
        def create(self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str,
                   adopt: bool = False) -> LiveObject
        def update(self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str,
                   adopt: bool = False) -> LiveObject
        def delete(self, kind: str, name: str, *, manager: str) -> None
        def edit_live(self, address: str, spec: Mapping[str, Any]) -> LiveObject
            # an out-of-band change: live spec changes, manager and applied_spec do not.
            # This is what drift is; tests use it to simulate a console edit.
        def requires_replace(self, kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]
            # the immutable fields (declared per kind) that differ

        # state
        def info(self) -> StateInfo
        def history(self, address: str | None = None, limit: int | None = None) -> list[HistoryEntry]
        def forget(self, address: str) -> None        # state rm: forget, do not delete live
        def force_unlock(self, lock_id: str) -> None

A create/update/delete for an object whose manager is another tool raises
ConflictError naming the manager, unless adopt=True. Errors are only
FinopsError subclasses (ValidationFailed, ConflictError, LockError,
StateError, PlanError).
"""

from __future__ import annotations
