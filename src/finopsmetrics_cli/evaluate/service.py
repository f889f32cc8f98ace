"""What ``Engine.evaluate`` does: controls from live state or a config, the cost
store, one run, findings reconciled with (and, for live state, recorded in) the state.

Live state is what was applied after review, so its findings are recorded
(under the state's writer lock, without touching the serial: saved plans stay
valid). A config (``evaluate PATH``) is a what-if for a branch: its findings
get their status against the stored ones, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.evaluate import findings as findings_store
from finopsmetrics_cli.evaluate.model import Control, EvaluationResult
from finopsmetrics_cli.evaluate.registry import Outcome

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config, Settings
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.evaluate.engine import EngineAdapter


ENV_INVENTORY = "FINOPSMETRICS_INVENTORY"


@dataclass(frozen=True, slots=True)
class EvaluateOptions:
    at: date | None = None
    since: date | None = None
    kinds: tuple[str, ...] = ()
    costs: str | None = None  # --costs
    inventory: str | None = None  # resource attributes file (else settings / environment)
    #: for live state, which carries no settings: those of the applied configuration (the
    #: reconciler's commit) and its directory (a relative settings.costs.inventory)
    settings: Settings | None = None
    settings_dir: Path | None = None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def costs_setting(settings: Settings | None, key: str) -> Any:
    raw = settings.raw if settings is not None else {}
    costs = raw.get("costs")
    return costs.get(key) if isinstance(costs, dict) else None


@contextmanager
def open_costs(explicit: str | None, settings: Settings | None) -> Iterator[EngineAdapter]:
    """A DuckDB adapter on the cost store, read-only (a missing store names `costs sync`);
    with ``settings.costs.engine`` spark or bigquery, that engine's adapter."""
    from finopsmetrics_cli.costs.store import CostStore, resolve_cost_store_path
    from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
    from finopsmetrics_cli.evaluate.engines import configured_engine, open_engine

    if configured_engine(settings) != "duckdb":
        with open_engine(settings) as adapter:
            yield adapter
        return
    path = resolve_cost_store_path(explicit, settings)
    with CostStore(path).connect(read_only=True) as conn:
        yield DuckDBAdapter(conn)


def controls_of_config(config: Config, kinds: Sequence[str]) -> list[Control]:
    return [
        Control(o.kind, o.name, o.spec, o.location)
        for o in config.objects.values()
        if o.kind in kinds
    ]


def evaluate(
    engine: Engine,
    config: Config | None,
    options: EvaluateOptions,
    then: Callable[[Any, EvaluationResult], None] | None = None,
) -> EvaluationResult:
    """``then(writer, result)`` runs after the findings are recorded, still under the
    state's lock (notifications: what one runner sent, the next one sees)."""
    from finopsmetrics_cli.evaluate.runner import check_kinds

    kinds = check_kinds(options.kinds)
    settings = config.settings if config is not None else options.settings
    extra = context_kinds(kinds)
    if config is not None:
        controls = controls_of_config(config, kinds)
        context = controls_of_config(config, extra)
        stored = _stored_read_only(engine.location)
        return _run(options, settings, controls, stored, record=None, context=context,
                    base=Path(config.files[0]).parent if config.files else None)  # fmt: skip
    from finopsmetrics_cli import state as state_pkg

    if not state_pkg.is_remote(engine.location) and not Path(engine.location).exists():
        # no state: nothing applied, nothing to record (and no state file is created)
        return _run(options, settings, [], findings_store.StoredEvaluations({}, None), record=None,
                    base=options.settings_dir)  # fmt: skip
    with engine._writer("evaluate") as writer:  # the facade's own lock and writer
        controls = [Control(o.kind, o.name, o.spec) for k in kinds for o in writer.list(kind=k)]
        context = [Control(o.kind, o.name, o.spec) for k in extra for o in writer.list(kind=k)]
        holder: dict[str, EvaluationResult] = {}

        def work(conn: Any) -> None:
            stored = findings_store.load(conn)
            holder["result"] = _run(
                options, settings, controls, stored,
                record=lambda result: findings_store.save(
                    conn, result, now=utcnow(), actor=engine.actor
                ), context=context, base=options.settings_dir,
            )  # fmt: skip

        write_in_state(writer, work)
        if then is not None:
            then(writer, holder["result"])
        return holder["result"]


def _run(
    options: EvaluateOptions,
    settings: Settings | None,
    controls: list[Control],
    stored: findings_store.StoredEvaluations,
    *,
    record: Callable[[EvaluationResult], None] | None,
    context: Sequence[Control] = (),
    base: Path | None = None,
) -> EvaluationResult:
    from finopsmetrics_cli.evaluate.runner import run

    now = utcnow()
    with open_costs(options.costs, settings) as adapter:
        result, outcome = run(
            adapter, controls, store=str(adapter_store(options.costs, settings)),
            today=now.date(), at=options.at, since=options.since, kinds=options.kinds or None,
            metric=costs_setting(settings, "metric"), previous_at=stored.previous_at,
            context=context, schema=condition_schema(settings),
            inventory=inventory_path(options.inventory, settings, base),
        )  # fmt: skip
        result.notes += adapter.run_notes()
    _reconcile(result, outcome, stored, controls, now)
    if record is not None:
        record(result)
        result.recorded = True
    return result


def context_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """Kinds a run reads besides the chosen ones: the objects that build ``costs_enriched``,
    and the policies and lifecycle rules compliance frameworks roll up."""
    from finopsmetrics_cli.evaluate.enrich import ENRICHMENT_KINDS
    from finopsmetrics_cli.evaluate.policies import POLICY_KINDS

    return tuple(k for k in dict.fromkeys((*ENRICHMENT_KINDS, *POLICY_KINDS)) if k not in kinds)


def condition_schema(settings: Settings | None) -> Any:
    from finopsmetrics_cli.conditions import AttributeSchema

    schema = AttributeSchema.default()
    return schema.extend(settings.attributes) if settings is not None else schema


def inventory_path(
    explicit: str | None, settings: Settings | None, base: Path | None
) -> str | None:
    """The resource attributes file: the option, ``$FINOPSMETRICS_INVENTORY``, then
    ``settings.costs.inventory`` (relative to the configuration's directory)."""
    import os

    if explicit:
        return explicit
    if os.environ.get(ENV_INVENTORY):
        return os.environ[ENV_INVENTORY]
    declared = costs_setting(settings, "inventory")
    if not declared:
        return None
    path = Path(declared)
    return str(path if path.is_absolute() or base is None else base / path)


def adapter_store(explicit: str | None, settings: Settings | None) -> Path:
    from finopsmetrics_cli.costs.store import resolve_cost_store_path

    return resolve_cost_store_path(explicit, settings)


def _reconcile(
    result: EvaluationResult,
    outcome: Outcome,
    stored: findings_store.StoredEvaluations,
    controls: list[Control],
    now: datetime,
) -> None:
    findings_store.reconcile(
        result, stored.findings, now=now, scopes=outcome.scopes,
        addresses={c.address for c in controls},
    )  # fmt: skip


def _stored_read_only(location: str) -> findings_store.StoredEvaluations:
    """Stored findings of a local state, read-only (a remote or missing state: none)."""
    from finopsmetrics_cli import state as state_pkg

    path = Path(location)
    if state_pkg.is_remote(location) or not path.exists():
        return findings_store.StoredEvaluations({}, None)
    from finopsmetrics_cli.state.connection import connect
    from finopsmetrics_cli.state.reader import path_lock

    with path_lock(path):
        conn = connect(path, read_only=True)
        try:
            return findings_store.load(conn)
        finally:
            conn.close()


def write_in_state(writer: Any, work: Callable[[Any], None]) -> None:
    """Run ``work(conn)`` in one transaction on the state file the writer holds locked.

    The serial is not bumped (findings are not configuration). A remote
    state's ``after_commit`` uploads the file as after any commit.
    """
    from finopsmetrics_cli.state.connection import connect
    from finopsmetrics_cli.state.reader import path_lock, suspend_readers

    path = Path(writer.path)
    writer.release_connection()
    with path_lock(path):
        suspend_readers(path)
        conn = connect(path, read_only=False, busy_timeout=writer.busy_timeout)
        try:
            conn.execute("BEGIN TRANSACTION")
            try:
                work(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if writer.after_commit is not None:
                conn.execute("CHECKPOINT")
        finally:
            conn.close()
    if writer.after_commit is not None:
        writer.after_commit(path)
