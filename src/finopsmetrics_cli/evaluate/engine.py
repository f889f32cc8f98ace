"""Engine adapters: where the evaluation's queries run.

Queries are built once as sqlglot expressions (``query``) and rendered in the
adapter's dialect; what differs between engines is declared as capability
flags on the adapter class (as SQLMesh's engine adapters do), never tested
with ``if engine == ...`` in the evaluators. DuckDB is the one adapter today;
a Spark or BigQuery adapter overrides the dialect, ``fetch`` and ``upload``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from sqlglot import exp

if TYPE_CHECKING:
    import duckdb  # noqa: TID251 - types only


class DryRun(NamedTuple):
    """One query priced, not run: what it is for (when the query says) and its bytes."""

    purpose: str | None
    bytes: int


class EngineAdapter:
    """Runs sqlglot expressions on one engine and holds the run's scratch tables."""

    DIALECT: ClassVar[str] = "duckdb"
    #: temporary tables live for the session; without them the scan is inlined as a
    #: subquery wherever it is read (the engine then runs it once per query)
    SUPPORTS_TEMP_TABLES: ClassVar[bool] = True
    #: the engine can price a query without running it (BigQuery's dry runs): see
    #: :meth:`estimate_queries`
    DRY_RUNS: ClassVar[bool] = False
    #: pricing, not running: every query returns no rows, so the flow puts stand-ins
    #: where it needs an answer (``runner.resolve_dates``, ``scan.scan_costs``)
    estimating: bool = False

    def estimate_queries(self) -> list[DryRun]:
        """From now on price each query instead of running it; the list fills as they go."""
        raise NotImplementedError

    def sql(self, query: exp.Expression) -> str:
        return query.sql(dialect=self.DIALECT)

    def fetch(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def execute(self, query: exp.Expression) -> None:
        raise NotImplementedError

    def columns(self, relation: str) -> list[str]:
        """The column names of a table or view."""
        raise NotImplementedError

    def upload(
        self, name: str, columns: Sequence[tuple[str, str]], data: Sequence[Sequence[Any]]
    ) -> exp.Table | exp.Subquery:
        """A scratch table from column lists (``columns``: name, SQL type); its reference
        (or, without temporary tables, the rows inlined as a named subquery)."""
        raise NotImplementedError

    def upload_pairs(
        self, name: str, series: Sequence[int], combos: Sequence[int], since: Sequence[date]
    ) -> exp.Table | exp.Subquery:
        """The (series, combo, since) table the ``series`` query joins: pair ``i`` is
        ``(series[i], combos[i])``; ``since[s]`` is the first day series ``s`` needs."""
        by_series = [since[s] for s in series]
        return self.upload(
            name, [("series", "INTEGER"), ("combo", "INTEGER"), ("since", "DATE")],
            [series, combos, by_series],
        )  # fmt: skip

    def materialize(self, name: str, query: exp.Select) -> exp.Table | exp.Subquery:
        """Keep a query's result as a scratch table for the following queries (or,
        without temporary tables, hand back the query itself as a named subquery)."""
        if not self.SUPPORTS_TEMP_TABLES:
            return query.subquery(name)
        self.execute(
            exp.Create(
                this=exp.to_table(name),
                kind="TABLE",
                expression=query,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                replace=True,
            )
        )
        return exp.to_table(name)

    def create_temp_view(self, name: str, select: str) -> None:
        """Shadow a relation for this session with a view (``costs_enriched``, compiled
        from the declared objects: see ``enrich``); the store itself is never written."""
        raise NotImplementedError

    def create_temp_table(self, name: str, select: str) -> None:
        """A scratch table from a query in the adapter's dialect (the inventory)."""
        raise NotImplementedError

    def fetch_sql(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a query written in the adapter's dialect."""
        raise NotImplementedError

    def run_notes(self) -> list[str]:
        """What the queries cost on this engine, for the user (none for a local engine)."""
        return []

    def tag_value(self, key: str) -> exp.Expression:
        """The value of tag ``key`` of a row (NULL when the row has no such tag).

        ``Tags`` is a string map here; an engine that stores tags otherwise (BigQuery's
        repeated key/value records) overrides this."""
        return exp.Bracket(this=exp.column("Tags"), expressions=[exp.Literal.string(key)])


class DuckDBAdapter(EngineAdapter):
    """The local engine: a DuckDB connection to the cost store."""

    DIALECT = "duckdb"

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def fetch(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        return self.conn.execute(self.sql(query)).fetchall()

    def execute(self, query: exp.Expression) -> None:
        self.conn.execute(self.sql(query))

    def create_temp_view(self, name: str, select: str) -> None:
        self.conn.execute(f"CREATE OR REPLACE TEMP VIEW {exp.to_table(name).sql(self.DIALECT)} "
                          f"AS {select}")  # fmt: skip

    def create_temp_table(self, name: str, select: str) -> None:
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE {exp.to_table(name).sql(self.DIALECT)} "
                          f"AS {select}")  # fmt: skip

    def fetch_sql(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql).fetchall()

    def columns(self, relation: str) -> list[str]:
        rows = self.conn.execute(f"DESCRIBE {exp.to_table(relation).sql(self.DIALECT)}").fetchall()
        return [str(r[0]) for r in rows]

    def upload(
        self, name: str, columns: Sequence[tuple[str, str]], data: Sequence[Sequence[Any]]
    ) -> exp.Table:
        table = exp.to_table(name).sql(self.DIALECT)
        defs = ", ".join(f"{col} {type_}" for col, type_ in columns)
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({defs})")
        if data and len(data[0]):
            unnests = ", ".join(f"unnest(?::{type_}[])" for _, type_ in columns)
            self.conn.execute(f"INSERT INTO {table} SELECT {unnests}", [list(c) for c in data])
        return exp.to_table(name)

    def upload_pairs(
        self, name: str, series: Sequence[int], combos: Sequence[int], since: Sequence[date]
    ) -> exp.Table:
        """Integer columns travel as one comma-joined string each, split by DuckDB:
        converting 100,000s of Python ints one by one costs ~1 s, the string ~10 ms."""
        table = exp.to_table(name).sql(self.DIALECT)
        days = exp.to_table(f"{name}_since").sql(self.DIALECT)
        self.upload(f"{name}_since", [("series", "INTEGER"), ("since", "DATE")],
                    [list(range(len(since))), list(since)])  # fmt: skip
        self.conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT p.series, p.combo, d.since FROM ("
            f"SELECT unnest(string_split(?, ','))::INTEGER AS series, "
            f"unnest(string_split(?, ','))::INTEGER AS combo) p "
            f"JOIN {days} d ON p.series = d.series",
            [",".join(map(str, series)), ",".join(map(str, combos))],
        )
        return exp.to_table(name)
