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
        def load_config(self, paths: Sequence[str | Path]) -> Config  # raises ValidationFailed
        def validate_object(self, kind: str, name: str, spec: Mapping[str, Any], *,
                            references: bool = True,
                            known: Callable[[str], bool] | None = None) -> dict[str, Any]
            # one object (Terraform/Pulumi): schema + conditions + secrets + references
            # (checked against live state; references=False: the object alone, state
            # not opened; known: the caller's own answer to "does this address exist",
            # state not opened); returns the canonical spec; raises ValidationFailed whose
            # Diagnostic.path is the field path inside spec.

        # plan / apply / drift / import (whole configuration, manager "config")
        def plan(self, config: Config | None, options: PlanOptions | None = None) -> Plan
        def apply(self, plan: Plan, *,
                  progress: Callable[[int, int], None] | None = None) -> ApplyResult
            # raises PlanError "saved plan is stale" when lineage/serial moved since the plan
        def plan_and_apply(self, config: Config | None, options: PlanOptions | None = None, *,
                           confirm: Callable[[Plan], bool] | None = None,
                           progress: Callable[[int, int], None] | None = None
                           ) -> tuple[Plan, ApplyResult | None]
            # plan and apply under ONE lock (apply PATH); confirm False -> (plan, None)
        def drift(self, config: Config | None = None) -> DriftReport
        def evaluate(self, config: Config | None = None,
                     options: EvaluateOptions | None = None) -> EvaluationResult
            # budgets, anomalies ... against the cost store (evaluate.service); live state
            # records findings in the state, a config is a what-if and writes nothing
        def evaluate_and_notify(self, config: Config | None, options: EvaluateOptions,
                                notify: NotifyOptions) -> tuple[EvaluationResult, NotifyReport]
            # evaluate, then route and send (notify.send) or preview; live state only sends
        def evaluate_estimate(self, config: Config | None = None,
                              options: EvaluateOptions | None = None) -> Estimate
            # what evaluate would cost inside BigQuery: its queries as dry runs (bytes,
            # on-demand list price); runs nothing, writes nothing (evaluate.estimate)
        def cost(self, filters: Mapping[str, Any] | None = None, *, period: str | None = None,
                 start: date | None = None, end: date | None = None, metric: str | None = None,
                 costs: str | None = None) -> CostSummary
            # the sum for filters over a period (monthly to date by default, 2024-03, dates)
        def budget_status(self, name: str, *, at: date | None = None,
                          costs: str | None = None) -> BudgetStatus | None
        def cost_impact(self, plan: Plan, config: Config | None = None) -> CostImpact | None
            # plan's cost impact: each created/changed budget's actual, forecast and the
            # alerts that would fire now, each policy's matches, each tag rule's coverage
            # (config's virtual tags applied); None without such objects or cost data

        # cost data (costs.service); costs=None: --costs > $FINOPSMETRICS_COSTS >
        # settings.costs.store > ./.finopsmetrics/costs.duckdb
        def costs_sync(self, config: Config | None = None, options: SyncOptions | None = None,
                       *, progress: Callable[[str, int, int], None] | None = None
                       ) -> list[SyncResult]
            # the cost_sources of live state (or of config); a failed source has .error
        def costs_show(self, options: ShowOptions, *, costs: str | None = None) -> CostTable
        def costs_query(self, sql: str, *, costs: str | None = None) -> QueryResult
        def costs_sources(self, config: Config | None = None, *,
                          costs: str | None = None) -> list[SourceStatus]
        @contextmanager
        def prefetching(self, paths: Sequence[str | Path] | None = None, *,
                        state: bool = True) -> Iterator[None]
            # with engine.prefetching(paths): config = engine.load_config(paths); engine.plan(...)
            # a forked child parses the files and reads a local state while this process
            # imports and validates (2 cores: they overlap); load_config(paths) and the next
            # plan/drift in the block use what it read. No-op where forking is unsafe.
        def import_yaml(self, addresses: Sequence[str] | None = None) -> str  # None: all unmanaged
        def import_into_file(self, file: Path, addresses: Sequence[str] | None = None) -> list[str]

        # single objects (Terraform, Pulumi, tests): same validation, history, locking
        def read(self, address: str) -> LiveObject | None
        def list_objects(self, kind: str | None = None,
                         manager: str | None = None) -> list[LiveObject]
        def create(self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str | None,
                   adopt: bool = False) -> LiveObject
            # manager None makes an unmanaged object (as a console would; import's input).
            # Existing and unmanaged: ConflictError "already exists" unless adopt=True
            # (then claimed, history action "import"); existing with the same manager:
            # PlanError "already exists".
        def update(self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str | None,
                   adopt: bool = False, previous_manager: str | None = None) -> LiveObject
            # missing: PlanError "does not exist"; unmanaged: claimed; unchanged: no write.
            # previous_manager: the caller's former manager name (an object still under it
            # is the caller's own and is renamed, not a conflict).
        def delete(self, kind: str, name: str, *, manager: str | None) -> None
            # already gone: no-op; recorded as protected (lifecycle.prevent_destroy):
            # PlanError, as plan's. create/update record the spec's lifecycle.prevent_destroy
            # when it has a lifecycle (no flag: false); without one, state keeps its record.
        def write_objects(self, requests: Sequence[ObjectWrite]
                          ) -> list[LiveObject | FinopsError | None]
            # ObjectWrite(action create|update|delete, kind, name, spec, manager, adopt,
            # previous_manager): many under one lock and one commit (Terraform's concurrent
            # applies), each checked as create/update/delete check it alone; each slot holds
            # the object written, None (deleted, already gone) or the error that refused it
        @contextmanager
        def writing(self, operation: str) -> Iterator[WriteSession]
            # session.write(requests) as write_objects, with the lock held and the file
            # open for the whole block (writes in quick succession; keep it under a second)
        def edit_live(self, address: str, spec: Mapping[str, Any]) -> LiveObject
            # an out-of-band change: live spec changes, manager and applied_spec do not.
            # This is what drift is; tests use it to simulate a console edit.
        def requires_replace(self, kind: str, old: Mapping[str, Any],
                             new: Mapping[str, Any]) -> list[str]
            # the immutable fields (declared per kind) that differ

        # state
        def info(self) -> StateInfo
        def history(self, address: str | None = None,
                    limit: int | None = None) -> list[HistoryEntry]
        def forget(self, address: str) -> None        # state rm: drop from state, history kept
        def force_unlock(self, lock_id: str) -> None

Types: ``Plan``, ``PlanOptions`` (targets, replace, destroy, adopt, refresh_only,
allow_destroy), ``PlannedChange``, ``OutsideChange`` and ``ApplyResult`` live in
``plan.model`` (``Plan.summary.line()`` is "Plan: N to add, ..." / "No changes.", led by
"N to import, " only when the plan imports;
``Plan.has_changes``); ``DriftReport`` (``items``, ``has_drift``) in ``drift``.

A create/update/delete for an object whose manager is another tool raises
ConflictError naming the manager, unless adopt=True. Errors are only
FinopsError subclasses (ValidationFailed, ConflictError, LockError,
StateError, PlanError).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.object_writes import ObjectWrite, ObjectWrites, WriteSession
from finopsmetrics_cli.plan.model import ApplyResult, Plan, PlanOptions
from finopsmetrics_cli.state_access import default_actor

if TYPE_CHECKING:
    from datetime import date

    from finopsmetrics_cli.config.model import Config
    from finopsmetrics_cli.costs.report import CostTable, QueryResult, ShowOptions, SourceStatus
    from finopsmetrics_cli.costs.service import SyncOptions
    from finopsmetrics_cli.costs.sync import SyncResult
    from finopsmetrics_cli.drift import DriftReport
    from finopsmetrics_cli.evaluate.estimate import Estimate
    from finopsmetrics_cli.evaluate.impact import CostImpact
    from finopsmetrics_cli.evaluate.lookup import CostSummary
    from finopsmetrics_cli.evaluate.model import BudgetStatus, EvaluationResult
    from finopsmetrics_cli.evaluate.service import EvaluateOptions
    from finopsmetrics_cli.notify.model import NotifyOptions, NotifyReport
    from finopsmetrics_cli.state.api import HistoryEntry, LiveObject, StateInfo, StateReader

__all__ = [
    "ApplyResult", "Engine", "ObjectWrite", "Plan", "PlanOptions", "WriteSession", "default_actor",
]

CONFIG = "config"
Progress = Callable[[int, int], None]


class Engine(ObjectWrites):
    """The facade; see the module docstring for the contract.

    The constructor, ``prefetching`` and the state plumbing come from
    ``state_access.StateAccess``, the single-object writes from
    ``object_writes.ObjectWrites``: one class, reached from this module.
    """

    # -- configuration ----------------------------------------------------

    def load_config(self, paths: Sequence[str | Path]) -> Config:
        from finopsmetrics_cli.config import load_config

        paths = [Path(p) for p in paths]
        prefetched = self._prefetch
        if prefetched is None:
            return load_config(paths)
        return load_config(paths, parsed=lambda: prefetched.sources(paths))

    def validate_object(
        self, kind: str, name: str, spec: Mapping[str, Any], *, references: bool = True,
        known: Callable[[str], bool] | None = None,
    ) -> dict[str, Any]:
        """``known``: whether an address exists, answered by a caller that already
        holds the live objects (the Terraform provider's view), so no state is opened."""
        if not references:  # the object alone: what it names may not exist yet (a preview)
            return self._validate(None, kind, name, spec)
        if known is not None:
            return self._validate(None, kind, name, spec, known=known)
        with self._reader(short=True) as reader:
            return self._validate(reader, kind, name, spec)

    # -- plan / apply / drift / import -----------------------------------

    def plan(self, config: Config | None, options: PlanOptions | None = None) -> Plan:
        with self._snapshot_or_reader() as reader:
            return self._plan_with(reader, config, options or PlanOptions())

    def _plan_with(self, reader: StateReader, config: Config | None, options: PlanOptions) -> Plan:
        from finopsmetrics_cli.config.model import Config as ConfigModel
        from finopsmetrics_cli.plan.planner import build_plan

        info = reader.info()
        config = config if config is not None else ConfigModel(objects={})
        # unchanged stored specs are not parsed: the desired dicts stand in for them
        live = reader.list(known={a: o.spec for a, o in config.objects.items()})
        return build_plan(
            config,
            live,
            options,
            lineage=info.lineage,
            serial=info.serial,
            last_change=_history_lookup(reader, config.objects, live),
            state=self.location,
        )

    def apply(self, plan: Plan, *, progress: Progress | None = None) -> ApplyResult:
        from finopsmetrics_cli.apply import apply_plan

        with self._writer("apply") as writer:
            return apply_plan(
                writer, plan, actor=self.actor, source=self.source,
                git_commit=self.git_commit, progress=progress,
            )

    def plan_and_apply(
        self,
        config: Config | None,
        options: PlanOptions | None = None,
        *,
        confirm: Callable[[Plan], bool] | None = None,
        progress: Progress | None = None,
    ) -> tuple[Plan, ApplyResult | None]:
        """Plan and apply under one lock (``apply PATH``), so no other apply can interleave.

        ``confirm`` sees the plan before anything is written; False cancels
        (the result is then None). A plan without changes writes nothing.
        """
        from finopsmetrics_cli.apply import apply_plan

        with self._writer("apply") as writer:
            plan = self._plan_with(writer, config, options or PlanOptions())
            if not plan.has_changes:
                return plan, ApplyResult(0, 0, 0, plan.serial)
            if confirm is not None and not confirm(plan):
                return plan, None
            result = apply_plan(
                writer, plan, actor=self.actor, source=self.source,
                git_commit=self.git_commit, progress=progress,
            )
            return plan, result

    def drift(self, config: Config | None = None) -> DriftReport:
        from finopsmetrics_cli.drift import drift_report

        with self._snapshot_or_reader() as reader:
            info = reader.info()
            desired = config.objects if config is not None else None
            # stored specs identical to the desired ones are not parsed (see plan)
            live = reader.list(known={a: o.spec for a, o in desired.items()} if desired else None)
            return drift_report(
                desired, live, _history_lookup(reader, desired or {}, live),
                lineage=info.lineage, serial=info.serial,
            )

    def evaluate(
        self, config: Config | None = None, options: EvaluateOptions | None = None
    ) -> EvaluationResult:
        """The controls against the cost store (see ``evaluate.service``): live state
        (findings recorded) or, with ``config``, the what-if for a branch (nothing written)."""
        from finopsmetrics_cli.evaluate.service import EvaluateOptions, evaluate

        return evaluate(self, config, options or EvaluateOptions())

    def evaluate_and_notify(
        self, config: Config | None, options: EvaluateOptions, notify: NotifyOptions
    ) -> tuple[EvaluationResult, NotifyReport]:
        """Evaluate, then deliver findings through notification rules and channels
        (``notify.service``): at most once, recorded in the state's delivery log."""
        from finopsmetrics_cli.notify.service import evaluate_and_notify

        return evaluate_and_notify(self, config, options, notify)

    def evaluate_estimate(
        self, config: Config | None = None, options: EvaluateOptions | None = None
    ) -> Estimate:
        """What ``evaluate`` would cost inside BigQuery (dry runs; nothing runs or is
        written); for engines that bill no query, an estimate without bytes."""
        from finopsmetrics_cli.evaluate.estimate import estimate
        from finopsmetrics_cli.evaluate.service import EvaluateOptions

        return estimate(self, config, options or EvaluateOptions())

    def costs_sync(
        self,
        config: Config | None = None,
        options: SyncOptions | None = None,
        *,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[SyncResult]:
        """Sync the declared cost sources (live state's, or ``config``'s) into
        the cost store; each source is one transaction (see ``costs.sync``)."""
        from finopsmetrics_cli.costs.service import SyncOptions, sync

        return sync(self, config, options or SyncOptions(), progress)

    def costs_show(self, options: ShowOptions, *, costs: str | None = None) -> CostTable:
        from finopsmetrics_cli.costs.service import show_costs

        return show_costs(options, costs, engine=self)

    def costs_query(self, sql: str, *, costs: str | None = None) -> QueryResult:
        from finopsmetrics_cli.costs.service import query_costs

        return query_costs(sql, costs, engine=self)

    def costs_sources(
        self, config: Config | None = None, *, costs: str | None = None
    ) -> list[SourceStatus]:
        from finopsmetrics_cli.costs.service import source_statuses

        return source_statuses(self, config, costs)

    def cost(
        self, filters: Mapping[str, Any] | None = None, *, period: str | None = None,
        start: date | None = None, end: date | None = None, metric: str | None = None,
        costs: str | None = None,
    ) -> CostSummary:  # fmt: skip
        """The cost of ``filters`` over a period (Terraform's ``finopsmetrics_cost``,
        Pulumi's ``get_cost``): filters as budgets read them, virtual tags included."""
        from finopsmetrics_cli.evaluate.lookup import cost

        return cost(self, filters, period=period, start=start, end=end, metric=metric,
                    costs=costs)  # fmt: skip

    def budget_status(
        self, name: str, *, at: date | None = None, costs: str | None = None
    ) -> BudgetStatus | None:
        """Live budget ``name`` as ``evaluate`` sees it now (None: disabled or outside its
        dates); nothing is recorded (``finopsmetrics_budget_status``, ``get_budget_status``)."""
        from finopsmetrics_cli.evaluate.lookup import budget_status

        return budget_status(self, name, at=at, costs=costs)

    def cost_impact(self, plan: Plan, config: Config | None = None) -> CostImpact | None:
        """What the plan's created or changed budgets would say now (``plan``'s cost
        impact section); None without such budgets or without cost data."""
        from datetime import UTC, datetime

        from finopsmetrics_cli.evaluate.impact import cost_impact

        settings = config.settings if config is not None else None
        return cost_impact(plan, settings, today=datetime.now(UTC).date(), config=config)

    def import_yaml(self, addresses: Sequence[str] | None = None) -> str:
        from finopsmetrics_cli.importer import importable, render_yaml

        with self._reader() as reader:
            return render_yaml(importable(reader.list(), addresses))

    def import_into_file(self, file: Path, addresses: Sequence[str] | None = None) -> list[str]:
        from finopsmetrics_cli.importer import importable, insert_into_file

        with self._reader() as reader:
            objects = importable(reader.list(), addresses)
        return insert_into_file(Path(file), objects)

    # -- single objects (the writes: ``object_writes``) ---------------

    def read(self, address: str) -> LiveObject | None:
        with self._reader(short=True) as reader:
            return reader.get(address)

    def list_objects(self, kind: str | None = None, manager: str | None = None) -> list[LiveObject]:
        with self._reader() as reader:
            return reader.list(kind=kind, manager=manager)

    # -- state -------------------------------------------------------------

    def info(self) -> StateInfo:
        with self._reader() as reader:
            return reader.info()

    def history(self, address: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        with self._reader() as reader:
            return reader.history(address, limit)

    def forget(self, address: str) -> None:
        from finopsmetrics_cli.state.api import Write

        with self._writer(f"forget {address}", short=True) as writer:
            current = writer.get(address)
            if current is None:
                raise PlanError(f"{address} is not in state", hint="see: finopsmetrics state list")
            self._commit(writer, [Write("forget", current.kind, current.name, None, None)])

    def force_unlock(self, lock_id: str) -> None:
        from finopsmetrics_cli import state as state_pkg

        state_pkg.force_unlock(self.location, lock_id)


def _history_lookup(
    reader: StateReader, desired: Mapping[str, Any], live: Sequence[LiveObject]
) -> Callable[[str], HistoryEntry | None]:
    """``last_change`` for plan and drift, fetched in one query for every address they may ask
    about (drifted, taken over, or declared but gone), not one query per object."""
    bulk = getattr(reader, "last_changes", None)
    if bulk is None:
        return reader.last_change
    live_addresses = {o.address for o in live}
    wanted = [o.address for o in live if o.manager is not None
              and o.spec is not o.applied_spec and o.spec != o.applied_spec]
    wanted += [o.address for o in live if o.address in desired and o.manager not in (None, CONFIG)]
    wanted += [a for a in desired if a not in live_addresses]
    found: dict[str, HistoryEntry] = bulk(wanted) if wanted else {}
    asked = set(wanted)

    def last_change(address: str) -> HistoryEntry | None:
        if address in asked:
            return found.get(address)
        return reader.last_change(address)

    return last_change
