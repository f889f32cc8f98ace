"""The cost commands as the ``Engine`` runs them: which sources, which store.

Sources are the ``cost_source`` objects of live state (what was applied, as
for ``evaluate``), or of a configuration when one is given (then a relative
location is read from the directory of the file that declares it, and
``settings.costs.store`` is honoured).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.costs.report import (
    CostTable,
    QueryResult,
    ShowOptions,
    SourceStatus,
    query,
    show,
    sources_status,
)
from finopsmetrics_cli.costs.store import CostStore, resolve_cost_store_path
from finopsmetrics_cli.costs.sync import Progress, SourceSpec, SyncResult, sync_sources
from finopsmetrics_cli.errors import CostDataError

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.evaluate.model import Control

KIND = "cost_source"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """``costs sync``: only these sources (all when empty), from this month on, rebuild."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    full: bool = False
    costs: str | None = None


def cost_store(costs: str | Path | None, config: Config | None = None) -> CostStore:
    return CostStore(resolve_cost_store_path(costs, config.settings if config else None))


def declared_sources(engine: Engine, config: Config | None) -> list[SourceSpec]:
    """The cost sources of ``config``, or of live state when it is None."""
    found: list[SourceSpec] = []
    if config is not None:
        for obj in config.by_kind(KIND):
            where = obj.location
            base = Path(where.file).parent if where is not None else None
            found.append(_spec(obj.name, obj.spec, base))
    else:
        for live in engine.list_objects(kind=KIND):
            found.append(_spec(live.name, live.spec, None))
    return sorted(found, key=lambda s: s.name)


def _spec(name: str, spec: dict[str, Any], base: Path | None) -> SourceSpec:
    return SourceSpec(
        name=name,
        type=spec["type"],
        location=spec.get("location"),
        format=spec.get("format", "auto"),
        tag_keys=tuple(spec.get("tag_keys") or ()),
        enabled=bool(spec.get("enabled", True)),
        base=base,
    )


def sync(
    engine: Engine, config: Config | None, options: SyncOptions, progress: Progress | None
) -> list[SyncResult]:
    sources = declared_sources(engine, config)
    if options.sources:
        known = {s.name for s in sources}
        unknown = [n for n in options.sources if n not in known]
        if unknown:
            raise CostDataError(
                f"no cost_source named {', '.join(map(repr, unknown))}",
                hint="declared: "
                + (", ".join(sorted(known)) or "none")
                + ("" if config else " (in live state: apply the configuration first)"),
            )
        sources = [s for s in sources if s.name in options.sources]
    if not sources:
        raise CostDataError(
            "no cost sources to sync" + (" in the configuration" if config else " in live state"),
            hint="declare cost_sources: in finopsmetrics.yaml and apply it "
            "(or pass the configuration: finopsmetrics costs sync finopsmetrics.yaml)",
        )
    store = cost_store(options.costs, config)
    results = sync_sources(
        store,
        sources,
        since=options.since,
        full=options.full,
        prune=options.full and not options.sources,
        progress=progress,
    )
    from finopsmetrics_cli.evaluate.engines import dataset_to_publish

    dataset = dataset_to_publish(config.settings if config is not None else None)
    if dataset is not None:
        from finopsmetrics_cli.costs.dataset import publish

        with store.connect(read_only=True) as conn:
            publish(conn, dataset)
    return results


def show_costs(options: ShowOptions, costs: str | None, engine: Engine | None = None) -> CostTable:
    keys = [*options.by, *(key for key, _ in options.filters)]
    enriched = any(k.startswith(("vtag:", "business:")) for k in keys)
    return show(cost_store(costs), options, enrichment_objects(engine) if enriched else ())


def query_costs(sql: str, costs: str | None, engine: Engine | None = None) -> QueryResult:
    enriched = "costs_enriched" in sql.lower()
    return query(cost_store(costs), sql, enrichment_objects(engine) if enriched else ())


def enrichment_objects(engine: Engine | None) -> list[Control]:
    """The objects of live state that build ``costs_enriched`` (virtual tags, rules,
    allocations, business mappings); none without a state."""
    from finopsmetrics_cli import state as state_pkg
    from finopsmetrics_cli.evaluate.enrich import ENRICHMENT_KINDS
    from finopsmetrics_cli.evaluate.model import Control

    if engine is None:
        return []
    if not state_pkg.is_remote(engine.location) and not Path(engine.location).exists():
        return []
    return [
        Control(o.kind, o.name, o.spec)
        for kind in ENRICHMENT_KINDS
        for o in engine.list_objects(kind=kind)
    ]


def source_statuses(engine: Engine, config: Config | None, costs: str | None) -> list[SourceStatus]:
    declared = [(s.name, s.type, s.location, s.enabled) for s in declared_sources(engine, config)]
    return sources_status(cost_store(costs, config), declared)


__all__: Sequence[str] = (
    "SyncOptions",
    "cost_store",
    "declared_sources",
    "query_costs",
    "show_costs",
    "source_statuses",
    "sync",
)
