"""What ``Engine.evaluate_estimate`` does: the price of an evaluation inside BigQuery,
from dry runs of the queries it would send (free; nothing runs, nothing is written).

The run's flow is walked with the adapter in estimate mode (see
``EngineAdapter.estimating``): the answers later queries are built from are
stand-ins derived from ``--at`` (or today), which is exact enough because
BigQuery bills the columns and partitions a query reads, not its literal
values. Engines on this machine or a cluster bill no query, so for them there
is nothing to estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from finopsmetrics_cli.errors import EvaluationError

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.evaluate.model import Control
    from finopsmetrics_cli.evaluate.service import EvaluateOptions

#: BigQuery on-demand compute, US multi-region list price
PRICE_PER_TIB_USD = 6.25
TIB = 1024**4
MIB = 1024**2
#: on-demand bills each query at least 10 MB, rounded up to the MB
MINIMUM_BILLED = 10 * MIB
NOT_BILLED = {
    "duckdb": "DuckDB runs the evaluation's queries on this machine",
    "spark": "Spark runs the evaluation's queries on its cluster",
}


@dataclass(frozen=True, slots=True)
class QueryEstimate:
    position: int
    purpose: str | None  # None: the query does not say
    bytes: int

    @property
    def bytes_billed(self) -> int:
        if not self.bytes:
            return 0
        return max(MINIMUM_BILLED, -(-self.bytes // MIB) * MIB)


@dataclass(frozen=True, slots=True)
class Estimate:
    """``bytes`` None: the engine bills no query (DuckDB, Spark)."""

    engine: str
    table: str | None = None
    at: date | None = None
    queries: list[QueryEstimate] = field(default_factory=list)

    @property
    def bytes(self) -> int | None:
        return sum(q.bytes for q in self.queries) if self.table is not None else None

    @property
    def bytes_billed(self) -> int | None:
        return sum(q.bytes_billed for q in self.queries) if self.table is not None else None

    @property
    def cost_usd(self) -> float | None:
        billed = self.bytes_billed
        return None if billed is None else billed / TIB * PRICE_PER_TIB_USD


def estimate(engine: Engine, config: Config | None, options: EvaluateOptions) -> Estimate:
    """Dry runs of every query ``evaluate`` would send for ``config`` (or live state)."""
    from finopsmetrics_cli.evaluate.engines import configured_engine
    from finopsmetrics_cli.evaluate.runner import check_kinds, run
    from finopsmetrics_cli.evaluate.service import _stored_read_only as stored
    from finopsmetrics_cli.evaluate.service import (  # fmt: skip
        adapter_store,
        condition_schema,
        context_kinds,
        controls_of_config,
        costs_setting,
        inventory_path,
        open_costs,
        utcnow,
    )

    kinds = check_kinds(options.kinds)
    settings = config.settings if config is not None else None
    name = configured_engine(settings)
    if name in NOT_BILLED:
        return Estimate(name)
    if config is not None:
        controls = controls_of_config(config, kinds)
        context = controls_of_config(config, context_kinds(kinds))
        base = Path(config.files[0]).parent if config.files else None
    else:
        controls, context = _live(engine, kinds), _live(engine, context_kinds(kinds))
        base = None
    today = utcnow().date()
    at = options.at or today
    with open_costs(options.costs, settings) as adapter:
        if not adapter.DRY_RUNS:  # an engine added without saying how it bills
            raise EvaluationError(f"the {name} engine cannot estimate what a run costs")
        priced = adapter.estimate_queries()
        run(
            adapter, controls, store=str(adapter_store(options.costs, settings)), today=today,
            at=at, since=options.since, kinds=options.kinds or None,
            metric=costs_setting(settings, "metric"),
            previous_at=stored(engine.location).previous_at, context=context,
            schema=condition_schema(settings),
            inventory=inventory_path(options.inventory, settings, base),
        )  # fmt: skip
        table = str(getattr(adapter, "table", name))
    queries = [QueryEstimate(i + 1, p.purpose, p.bytes) for i, p in enumerate(priced)]
    return Estimate(name, table, at, queries)


def _live(engine: Engine, kinds: tuple[str, ...]) -> list[Control]:
    """Live objects of ``kinds``, read-only (no state yet: none)."""
    from finopsmetrics_cli import state as state_pkg
    from finopsmetrics_cli.evaluate.model import Control

    if not state_pkg.is_remote(engine.location) and not Path(engine.location).exists():
        return []
    return [Control(o.kind, o.name, o.spec) for k in kinds for o in engine.list_objects(kind=k)]


def to_json(found: Estimate) -> str:
    """``schemas/evaluate-estimate.schema.json``."""
    doc = {
        "format_version": 1,
        "engine": found.engine,
        "table": found.table,
        "at": found.at.isoformat() if found.at else None,
        "queries": [
            {
                "position": q.position,
                "purpose": q.purpose,
                "bytes": q.bytes,
                "bytes_billed": q.bytes_billed,
            }
            for q in found.queries
        ],
        "bytes": found.bytes,
        "bytes_billed": found.bytes_billed,
        "price_per_tib_usd": PRICE_PER_TIB_USD if found.table is not None else None,
        "estimated_cost_usd": None if found.cost_usd is None else round(found.cost_usd, 6),
    }
    return json.dumps(doc, indent=2) + "\n"


def to_text(found: Estimate, *, quiet: bool = False) -> str:
    """The estimate; ``quiet``: its cost line alone (or the not-billed line)."""
    from finopsmetrics_cli.evaluate.engines.bigquery import _size

    if found.table is None or found.at is None:
        return (
            f"{NOT_BILLED[found.engine]}: nothing is billed per query, so there is "
            "nothing to estimate.\n"
        )
    if quiet:
        count = len(found.queries)
        return (
            f"{_usd(found.cost_usd or 0.0)} for {_size(found.bytes_billed or 0)} billed in "
            f"{count} quer{'y' if count == 1 else 'ies'} on {found.table} as of "
            f"{found.at.isoformat()} (on-demand list price; no query ran)\n"
        )
    lines = [
        f"Estimate for evaluate inside BigQuery on {found.table} as of "
        f"{found.at.isoformat()} (dry runs: no query ran)",
    ]
    width = max((len(q.purpose or "query") for q in found.queries), default=5)
    for q in found.queries:
        lines.append(f"  {q.position:>2}  {(q.purpose or 'query'):<{width}}  {_size(q.bytes):>12}")
    count = len(found.queries)
    lines += [
        f"Total: {_size(found.bytes or 0)} processed in {count} "
        f"quer{'y' if count == 1 else 'ies'}; {_size(found.bytes_billed or 0)} billed "
        "(each query at least 10 MB)",
        f"Cost: {_usd(found.cost_usd or 0.0)} at the on-demand list price, "
        f"${PRICE_PER_TIB_USD:.2f} per TiB (US multi-region)",
        "Capacity (editions) pricing bills slots, not bytes; the monthly free TiB is not "
        "deducted.",
    ]
    return "\n".join(lines) + "\n"


def _usd(amount: float) -> str:
    if amount and amount < 0.01:
        return "less than $0.01"
    return f"${amount:,.2f}"
