"""The resource inventory policies run over: one row per resource, derived from the
cost rows (one scan), joined with an optional file of resource attributes.

Derived from ``costs_enriched`` up to ``--at``, for every resource billed in
the 30 days before it: ``id``, ``name``, ``type``, ``provider``, ``account``,
``region``, ``service`` (their latest values), ``tags`` (own tags over virtual
values), ``cost_monthly`` (the 30 days to ``--at``), ``cost_daily`` (``--at``
itself), ``age`` (seconds since first seen). The file (CSV, JSON or Parquet,
``settings.costs.inventory``) adds attributes such as ``cpu_avg_7d`` or
``encryption_enabled``, keyed by an ``id`` (or ``resource_id``) column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.query import labelled
from finopsmetrics_cli.evaluate.sqltext import (
    EMPTY_MAP,
    TAG_ATTRIBUTES,
    literal,
    provider_sql,
    quote,
    timestamp,
)

if TYPE_CHECKING:
    from finopsmetrics_cli.conditions import AttributeSchema
    from finopsmetrics_cli.evaluate.engine import EngineAdapter

WINDOW_DAYS = 30
TABLE = "fm_inventory"
FILE_TABLE = "fm_inventory_file"
DERIVED = (
    "id",
    "name",
    "type",
    "provider",
    "account",
    "region",
    "service",
    "tags",
    "cost_monthly",
    "cost_daily",
    "age",
)
ID_COLUMNS = ("id", "resource_id", "resourceid")
READERS = {
    ".csv": "read_csv",
    ".json": "read_json",
    ".jsonl": "read_json",
    ".ndjson": "read_json",
    ".parquet": "read_parquet",
}
CASTS = {"number": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR", "duration": "DOUBLE"}


@dataclass(slots=True)
class Inventory:
    """What the inventory offers conditions: attribute name -> SQL over ``inv`` / ``f``."""

    columns: dict[str, str] = field(default_factory=dict)
    file_attributes: list[str] = field(default_factory=list)
    resources: int = 0

    def column(self, path: str) -> str | None:
        context, _, name = path.partition(".")
        return self.columns.get(name) if context == "resource" else None


def build(
    adapter: EngineAdapter,
    *,
    at: object,
    metric: str,
    path: str | None,
    schema: AttributeSchema,
) -> Inventory:
    """Materialise the derived inventory (one scan) and load the file, if any."""
    from datetime import date

    assert isinstance(at, date)
    prefix = "x_VirtualTags."
    keys = [c[len(prefix) :] for c in adapter.columns("costs_enriched") if c.startswith(prefix)]
    # virtual values travel as one field per key and become a map once per resource
    fields = "".join(f', "v{i}": {quote(prefix + k)}' for i, k in enumerate(keys))
    entries = ", ".join(f"{{'key': {literal(k)}, 'value': l.v{i}}}" for i, k in enumerate(keys))
    virtual = (f"map_from_entries(list_filter([{entries}], lambda e: e.value IS NOT NULL))"
               if keys else EMPTY_MAP)  # fmt: skip
    start, end = at - timedelta(days=WINDOW_DAYS - 1), at + timedelta(days=1)
    cost = quote(metric)
    ts = '"ChargePeriodStart"'
    # the latest row's attributes as one struct (one arg_max, not one per column; maps are
    # merged once per resource afterwards: merging them per row costs 10x the scan)
    latest = (
        '{"name": "ResourceName", "type": "ResourceType", "provider": "ProviderName", '
        '"account_id": "SubAccountId", "account_name": "SubAccountName", "region": "RegionId", '
        f'"service": "ServiceName", "tags": "Tags"{fields}, '
        '"currency": "BillingCurrency"}'
    )
    grouped = (
        f'SELECT "ResourceId" AS id, arg_max({latest}, {ts}) AS l, '
        f"sum({cost}) FILTER (WHERE {ts} >= {timestamp(start)}) AS monthly, "
        f"sum({cost}) FILTER (WHERE {ts} >= {timestamp(at)}) AS daily, "
        f"min({ts}) AS first_seen "
        f'FROM costs_enriched WHERE "ResourceId" IS NOT NULL AND {ts} < {timestamp(end)} '
        f'GROUP BY "ResourceId" HAVING max({ts}) >= {timestamp(start)}'
    )
    sql = (
        "SELECT id, coalesce(l.name, id) AS name, l.type AS type, "
        f"{provider_sql('l.provider')} AS provider, "
        "coalesce(l.account_id, l.account_name) AS account, l.region AS region, "
        f"l.service AS service, map_concat({virtual}, "
        f"coalesce(l.tags, {EMPTY_MAP})) AS tags, "
        "CAST(coalesce(monthly, 0) AS DOUBLE) AS cost_monthly, "
        "CAST(coalesce(daily, 0) AS DOUBLE) AS cost_daily, "
        f"epoch({timestamp(end)} - first_seen) AS age, l.currency AS currency "
        f"FROM ({grouped})"
    )
    adapter.create_temp_table(TABLE, labelled("resource inventory", sql))
    inventory = Inventory({name: f"inv.{name}" for name in DERIVED})
    for name in TAG_ATTRIBUTES:
        inventory.columns[name] = f"inv.tags[{literal(name)}]"
    if path:
        _load_file(adapter, Path(path), schema, inventory)
    return inventory



def _load_file(
    adapter: EngineAdapter, path: Path, schema: AttributeSchema, inventory: Inventory
) -> None:
    reader = READERS.get(path.suffix.lower())
    hint = "settings.costs.inventory names a CSV, JSON or Parquet file of resource attributes"
    if reader is None:
        raise EvaluationError(f"inventory {path}: not a .csv, .json or .parquet file", hint=hint)
    if not path.is_file():
        raise EvaluationError(f"inventory {path} does not exist", hint=hint)
    raw = f"{FILE_TABLE}_raw"
    try:
        adapter.create_temp_table(
            raw, f"SELECT row_number() OVER () AS fm_row, * FROM {reader}({literal(str(path))})"
        )
    except Exception as exc:  # duckdb.Error: the file's content
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EvaluationError(f"inventory {path} cannot be read: {first}", hint=hint) from exc
    columns = [c for c in adapter.columns(raw) if c != "fm_row"]
    ids = [c for c in columns if c.lower() in ID_COLUMNS]
    if not ids:
        raise EvaluationError(
            f"inventory {path}: no id column (columns: {', '.join(columns) or 'none'})",
            hint="name the resource id column id or resource_id; it is matched with ResourceId",
        )
    id_col = quote(ids[0])
    where = _row(path)
    dup = adapter.fetch_sql(
        f"SELECT CAST({id_col} AS VARCHAR), list(fm_row ORDER BY fm_row) FROM {raw} "
        # ORDER BY the (sorted) rows, i.e. by the first: Spark cannot sort a HAVING query
        # by an aggregate it does not select
        f"GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 LIMIT 1"
    )
    if dup:
        rows = dup[0][1]
        raise EvaluationError(
            f"{where(rows[1])}: resource {dup[0][0]} appears again (first at {where(rows[0])})",
            hint="one row per resource",
        )
    selects = [f"CAST({id_col} AS VARCHAR) AS fm_id"]
    for name in columns:
        attr = schema.lookup("resource", name)
        if attr is None or name in ("id", "tags") or name in ids:
            continue
        expr = _typed(quote(name), attr.type)
        bad = adapter.fetch_sql(
            f"SELECT fm_row, CAST({quote(name)} AS VARCHAR) FROM {raw} "
            f"WHERE {quote(name)} IS NOT NULL AND ({expr}) IS NULL ORDER BY fm_row LIMIT 1"
        )
        if bad:
            raise EvaluationError(
                f"{where(bad[0][0])}: {name} {bad[0][1]!r} is not a {attr.type}",
                hint=f"resource.{name} is a {attr.type} attribute"
                + (" (0.05 or 5%)" if attr.type == "percent" else ""),
            )
        selects.append(f"{expr} AS {quote(name)}")
        inventory.file_attributes.append(name)
        derived = inventory.columns.get(name)
        own = f"f.{quote(name)}"
        inventory.columns[name] = f"coalesce({own}, {derived})" if derived else own
    adapter.create_temp_table(FILE_TABLE, f"SELECT {', '.join(selects)} FROM {raw}")


def _row(path: Path) -> Callable[[int], str]:
    """``FILE:LINE`` of a CSV row (the header is line 1), else ``FILE: row N``."""
    csv = path.suffix.lower() == ".csv"

    def where(row: int) -> str:
        return f"{path}:{row + 1}" if csv else f"{path}: row {row}"

    return where


def _typed(column: str, type_name: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    if type_name == "percent":
        return (
            f"(CASE WHEN trim({text}) LIKE '%\\%' ESCAPE '\\' THEN "
            f"TRY_CAST(rtrim(trim({text}), '%') AS DOUBLE) / 100 "
            f"ELSE TRY_CAST({column} AS DOUBLE) END)"
        )
    if type_name == "bool":
        return f"TRY_CAST({text} AS BOOLEAN)"
    sql_type = CASTS.get(type_name)
    return f"TRY_CAST({column} AS {sql_type})" if sql_type else text


def relation(inventory: Inventory) -> str:
    """The FROM clause conditions run over."""
    if inventory.file_attributes:
        return f"{TABLE} inv LEFT JOIN {FILE_TABLE} f ON f.fm_id = inv.id"
    return f"{TABLE} inv"
