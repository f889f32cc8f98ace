"""Reading the cost store: ``costs show`` (sums by dimension), ``costs query`` and
``costs sources``. Everything here is read-only and returns plain data that the
CLI renders; one SQL query per command, built from ``focus.DIMENSIONS`` so that
``--by`` and ``--filter`` mean what budget and detector ``filters`` mean.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.costs.focus import METRICS, TIME_GRAINS, dimension_columns
from finopsmetrics_cli.costs.mapping import literal, quote
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import CostDataError

if TYPE_CHECKING:
    from finopsmetrics_cli.evaluate.enrich import Enrichment
    from finopsmetrics_cli.evaluate.model import Control

BY_HINT = (
    "dimensions: provider, service, service_category, account, billing_account, region, "
    "resource, resource_type, charge_category, sku, pricing_category, source, a store "
    "column, tag:KEY, vtag:KEY, business:ENTITY_TYPE, day, week, month"
)
UNALLOCATED = "(unallocated)"


@dataclass(frozen=True, slots=True)
class ShowOptions:
    """``costs show``: grouping, time range, filters, metric, top N."""

    by: tuple[str, ...] = ()
    period: str | None = None
    start: date | None = None
    end: date | None = None  # inclusive
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    metric: str = "effective"
    top: int | None = None


@dataclass(frozen=True, slots=True)
class CostTable:
    """Sums by the requested dimensions (plus the billing currency), largest first or in
    time order when a time dimension is asked for."""

    dimensions: tuple[str, ...]
    metric: str
    rows: list[tuple[Any, ...]]  # dimension values..., currency, amount
    start: date | None
    end: date | None  # inclusive
    time_dimension: str | None = None
    #: what the query cost where that is billed (BigQuery's bytes processed)
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.dimensions, "currency", self.metric)

    def totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for row in self.rows:
            out[row[-2]] = out.get(row[-2], Decimal(0)) + (row[-1] or Decimal(0))
        return out


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source as ``costs sources`` shows it (declared, or only still in the store)."""

    name: str
    type: str | None
    location: str | None
    declared: bool
    enabled: bool
    synced_at: datetime | None = None
    periods: list[date] = field(default_factory=list)
    rows: int = 0
    billed: Decimal | None = None
    currency: str | None = None


def group_expression(key: str) -> str:
    """SQL for one ``--by`` dimension (``vtag:`` and ``business:`` read ``costs_enriched``)."""
    if key in TIME_GRAINS:
        grain = "day" if key == "day" else key
        return f'CAST(date_trunc({literal(grain)}, "ChargePeriodStart") AS DATE)'
    if key.startswith("tag:") and len(key) > 4:
        return f'"Tags"[{literal(key[4:])}]'
    if key.startswith("vtag:") and len(key) > 5:
        return _virtual(key[5:])
    if key.startswith("business:") and len(key) > 9:
        return f'coalesce({quote("x_Business." + key[9:])}, {literal(UNALLOCATED)})'
    columns = dimension_columns(key)
    if columns is None or key == "Tags":
        raise CostDataError(f"unknown dimension {key!r} for --by", hint=BY_HINT)
    return quote(columns[0])


def filter_condition(key: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """SQL (with parameters) matching any of ``values`` (``*`` globs) on ``key``.

    A dimension alias or store column compares its columns (``account`` either
    of two); ``tag:KEY`` or any other key is a tag key, as in budget filters."""
    tag = key[4:] if key.startswith("tag:") else None
    columns = None if tag is not None else dimension_columns(key)
    if key.startswith("vtag:"):
        targets = [_virtual(key[5:])]
    elif key.startswith("business:"):
        targets = [group_expression(key)]
    elif columns is None:
        targets = [f'"Tags"[{literal(tag if tag is not None else key)}]']
    else:
        targets = [quote(c) for c in columns]
    parts: list[str] = []
    params: list[Any] = []
    for target in targets:
        for value in values:
            if "*" in value:
                escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                parts.append(f"CAST({target} AS VARCHAR) LIKE ? ESCAPE '\\'")
                params.append(escaped.replace("*", "%"))
            else:
                parts.append(f"CAST({target} AS VARCHAR) = ?")
                params.append(value)
    return "(" + " OR ".join(parts) + ")", params


def _virtual(key: str) -> str:
    """A tag as the evaluation reads it: the row's own, else its virtual value (one column
    of costs_enriched per virtual key; an unknown key is refused before the query runs)."""
    return f'coalesce("Tags"[{literal(key)}], {quote("x_VirtualTags." + key)})'


def _check_enriched(keys: Sequence[str], enrichment: Enrichment | None) -> None:
    """``vtag:``/``business:`` name something the declared objects produce."""
    for key in keys:
        kind, _, name = key.partition(":")
        if kind == "vtag":
            known, what = (enrichment.virtual_keys if enrichment else set()), "virtual tag key"
            declare = "virtual_tag, tag_rule or ownership_rule objects"
        elif kind == "business":
            known, what = (enrichment.entity_types if enrichment else set()), "entity type"
            declare = "business_mapping objects"
        else:
            continue
        if name not in known:
            raise CostDataError(
                f"{key}: no {what} {name!r} in live state",
                hint=(f"known: {', '.join(sorted(known))}" if known else
                      f"declare {declare} and apply them"),
            )  # fmt: skip


def period_range(period: str) -> tuple[date, date]:
    """``2024-03`` -> March; ``2024`` -> the year; ``2024-03-05`` -> that day (inclusive end)."""
    try:
        if re.fullmatch(r"\d{4}", period):
            return date(int(period), 1, 1), date(int(period), 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", period):
            first = date.fromisoformat(period + "-01")
            after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            return first, after - timedelta(days=1)
        day = date.fromisoformat(period)
        return day, day
    except ValueError as exc:
        raise CostDataError(
            f"--period {period!r} is not a year, month or day",
            hint="e.g. --period 2024-03 (a month), 2024 or 2024-03-05",
        ) from exc


def show(store: CostStore, options: ShowOptions, context: Sequence[Control] = ()) -> CostTable:
    """Sums of the metric grouped by ``options.by`` over the time range and filters, over
    ``costs_enriched`` as the objects in ``context`` build it."""
    if options.metric not in METRICS:
        raise CostDataError(
            f"unknown metric {options.metric!r}", hint="metrics: " + ", ".join(METRICS)
        )
    metric = quote(METRICS[options.metric])
    start, end = options.start, options.end
    if options.period:
        if start or end:
            raise CostDataError("--period cannot be combined with --from/--to")
        start, end = period_range(options.period)
    if start and end and end < start:
        raise CostDataError(f"--to {end} is before --from {start}")
    groups = [group_expression(key) for key in options.by]
    where: list[str] = []
    params: list[Any] = []
    if start:
        where.append('"ChargePeriodStart" >= ?')
        params.append(datetime.combine(start, datetime.min.time()))
    if end:
        where.append('"ChargePeriodStart" < ?')
        params.append(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    for key, values in options.filters:
        condition, values_params = filter_condition(key, values)
        where.append(condition)
        params.extend(values_params)
    keys = [f"{g} AS g{i}" for i, g in enumerate(groups)] + ['"BillingCurrency" AS currency']
    names = [f"g{i}" for i in range(len(groups))] + ["currency"]
    time_dim = next((k for k in options.by if k in TIME_GRAINS), None)
    where_sql = f" WHERE {' AND '.join(where)}" if where else ""
    inner = (
        f"SELECT {', '.join(keys)}, sum({metric}) AS amount FROM costs_enriched{where_sql} "
        "GROUP BY ALL"
    )
    others = [f"g{i}" for i, k in enumerate(options.by) if k not in TIME_GRAINS]
    if time_dim is not None:
        order = ", ".join(f"{n} NULLS LAST" for n in names)
    else:
        order = "amount DESC NULLS LAST, " + ", ".join(names)
    sql = f"SELECT * FROM ({inner})"
    if options.top is not None and others:
        # the N largest groups of the non-time dimensions, over the whole range
        keyset = ", ".join(others)
        sql = (
            f"WITH t AS ({inner}), top AS (SELECT {keyset} FROM t GROUP BY ALL "
            f"ORDER BY sum(amount) DESC NULLS LAST LIMIT {int(options.top)}) "
            f"SELECT t.* FROM t SEMI JOIN top ON "
            + " AND ".join(f"t.{k} IS NOT DISTINCT FROM top.{k}" for k in others)
        )  # rows without a value (no tag) are a group too
    elif options.top is not None:
        sql += f" ORDER BY amount DESC NULLS LAST LIMIT {int(options.top)}"
        sql = f"SELECT * FROM ({sql})"
    sql += f" ORDER BY {order}"
    from finopsmetrics_cli.evaluate.engines import configured_engine

    keys = [*options.by, *(k for k, _ in options.filters)]
    notes: tuple[str, ...] = ()
    if configured_engine(None) != "duckdb":
        rows, notes = _on_engine(sql, params, context, keys)
    else:
        with store.connect() as conn:
            enrichment = _enrich(conn, context)
            _check_enriched(keys, enrichment)
            rows = conn.execute(sql, params).fetchall()
    return CostTable(tuple(options.by), options.metric, rows, start, end, time_dim, notes)


def _on_engine(
    sql: str, params: Sequence[Any], context: Sequence[Control], keys: Sequence[str]
) -> tuple[list[tuple[Any, ...]], tuple[str, ...]]:
    """The same query on the engine ``$FINOPSMETRICS_COSTS_ENGINE`` names (Spark, BigQuery):
    the evaluation's adapters translate it, so there is one query for every engine."""
    from finopsmetrics_cli.conditions.sql import SqlFragment
    from finopsmetrics_cli.evaluate.engines import open_engine
    from finopsmetrics_cli.evaluate.enrich import install
    from finopsmetrics_cli.evaluate.sqltext import inline

    with open_engine(None) as adapter:
        enrichment = install(adapter, context) if context else None
        _check_enriched(keys, enrichment)
        rows = adapter.fetch_sql(inline(SqlFragment(sql, list(params))))
        return rows, tuple(adapter.run_notes())


def _enrich(conn: Any, context: Sequence[Control]) -> Enrichment | None:
    """Install ``costs_enriched`` for this session from the declared objects."""
    if not context:
        return None
    from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
    from finopsmetrics_cli.evaluate.enrich import install

    return install(DuckDBAdapter(conn), context)


def query(store: CostStore, sql: str, context: Sequence[Control] = ()) -> QueryResult:
    """Run read-only SQL over the store's views; a write or file access is refused.
    ``costs_enriched`` is built from ``context`` (the enrichment objects of live state)."""
    with store.connect() as conn:
        _enrich(conn, context)
        conn.execute("SET enable_external_access = false")
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            types = [str(d[1]) for d in cursor.description or []]
            rows = cursor.fetchall() if columns else []
        except Exception as exc:  # duckdb.Error: the user's SQL
            text = str(exc)
            first = text.splitlines()[0] if text else type(exc).__name__
            if "read-only" in text or "Permission Error" in text:
                raise CostDataError(
                    f"costs query is read-only: {first}",
                    hint="the cost store changes only through `finopsmetrics costs sync`; "
                    "query the views costs and costs_enriched",
                ) from exc
            raise CostDataError(f"query failed: {first}", hint=_query_hint(text)) from exc
    return QueryResult(columns, types, rows)


def _query_hint(text: str) -> str:
    if "does not exist" in text and "Table" in text:
        return "the views are costs and costs_enriched"
    return "see `finopsmetrics costs query --help`; the views are costs and costs_enriched"


def sources_status(
    store: CostStore, declared: Sequence[tuple[str, str, str | None, bool]]
) -> list[SourceStatus]:
    """Each declared source (name, type, location, enabled) with what the store holds
    for it, then the sources the store still holds that are no longer declared."""
    synced: dict[str, tuple[Any, ...]] = {}
    periods: dict[str, list[date]] = {}
    stats: dict[str, tuple[int, Decimal | None, str | None]] = {}
    if store.exists():
        with store.connect() as conn:
            for row in conn.execute(
                "SELECT source, type, location, synced_at FROM synced_sources"
            ).fetchall():
                synced[row[0]] = row
            for name, period in conn.execute(
                "SELECT source, billing_period FROM synced_periods ORDER BY 1, 2"
            ).fetchall():
                periods.setdefault(name, []).append(period)
            for name, rows, billed, currency in conn.execute(
                "SELECT source, sum(rows), sum(billed_cost), string_agg(DISTINCT currency, ',') "
                "FROM synced_periods GROUP BY 1"
            ).fetchall():
                stats[name] = (int(rows or 0), billed, currency)
    out: list[SourceStatus] = []
    names = set()
    for name, kind, location, enabled in declared:
        names.add(name)
        rows, billed, currency = stats.get(name, (0, None, None))
        out.append(SourceStatus(
            name, kind, location, True, enabled,
            synced[name][3] if name in synced else None,
            periods.get(name, []), rows, billed, currency,
        ))  # fmt: skip
    for name in sorted(set(synced) - names):
        rows, billed, currency = stats.get(name, (0, None, None))
        out.append(SourceStatus(
            name, synced[name][1], synced[name][2], False, False, synced[name][3],
            periods.get(name, []), rows, billed, currency,
        ))  # fmt: skip
    return out
