"""Evaluation inside BigQuery: the evaluation's queries run where the FOCUS table is.

Only aggregates come back (the daily sums per combination of filter values,
the series the controls asked for, coverage per resource, one row per
resource for the inventory); scoring runs in Python on them, as for DuckDB.
BigQuery has no temporary tables outside scripts, so the scan and the
``costs_enriched`` view (virtual tags, allocations, business mappings) are
inlined as subqueries, and uploaded lists travel as ``UNNEST`` literals. Tags
are BigQuery's repeated ``key``/``value`` records (``bigquery_sql``).

The resource inventory is an aggregate too: its one row per resource comes
back and is kept in an in-memory DuckDB beside the inventory file (which is
on this machine, not in BigQuery); the policies' conditions run there, in the
SQL they run in everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from finopsmetrics_cli.errors import EvaluationError, FinopsError
from finopsmetrics_cli.evaluate.engine import DryRun, EngineAdapter
from finopsmetrics_cli.evaluate.engines import bigquery_sql, dialect
from finopsmetrics_cli.evaluate.engines.spark import REQUIRED_COLUMNS

if TYPE_CHECKING:
    import duckdb  # noqa: TID251 - types only

RELATIONS = ("costs", "costs_enriched")


class BigQueryAdapter(EngineAdapter):
    """Runs the evaluation's queries as BigQuery jobs on one FOCUS table or view."""

    DIALECT: ClassVar[str] = "bigquery"
    SUPPORTS_TEMP_TABLES: ClassVar[bool] = False

    def __init__(
        self, client: Any, table: str, columns: Sequence[str], tags: str = "records"
    ) -> None:
        """``tags``: how the table holds them — ``records`` (repeated key/value), ``wide``
        (records with more fields, as Google's FOCUS view has) or ``absent``."""
        self.client = client
        self.table = table
        self.physical_columns = list(columns)
        self.table_columns = list(columns) + (["Tags"] if tags == "absent" else [])
        self.source = _source(table, columns, tags)
        self.bytes_processed = 0
        self.jobs = 0
        self.views: dict[str, exp.Expression] = {}  # name -> its DuckDB query, inlined
        self.view_columns: dict[str, list[str]] = {}
        self.local: duckdb.DuckDBPyConnection | None = None  # the inventory's side
        self.local_tables: set[str] = set()

    def _target(self, node: exp.Expression) -> exp.Expression:
        """``costs`` (and ``costs_enriched`` where no view shadows it) is the table."""
        if isinstance(node, exp.Table) and not node.db and node.name.lower() in RELATIONS:
            alias = node.args.get("alias")
            if self.source is not None:  # tags made key/value records on the way in
                return exp.Subquery(this=self.source.copy(), alias=alias and alias.copy())
            out = exp.Table(this=exp.to_identifier(self.table, quoted=True))
            if alias is not None:
                out.set("alias", alias.copy())
            return out
        return node

    def _inline_views(self, node: exp.Expression) -> exp.Expression:
        """A view of this session (``costs_enriched``) read as its query, inlined."""
        if isinstance(node, exp.Table) and not node.db and node.name.lower() in self.views:
            alias = exp.TableAlias(this=exp.to_identifier(node.alias_or_name))
            return exp.Subquery(this=self.views[node.name.lower()].copy(), alias=alias)
        return node

    def sql(self, query: exp.Expr) -> str:
        tree: exp.Expr = query.copy().transform(dialect.unqualify_main)
        tree = bigquery_sql.rewrite(tree.transform(self._inline_views).transform(self._target))
        relations = {self.table.lower(): self.physical_columns}
        return dialect.render(tree, self.DIALECT, relations)

    def fetch(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        return self._run(self.sql(query))

    def fetch_sql(self, sql: str) -> list[tuple[Any, ...]]:
        tree = _parse(sql)
        if self._is_local(tree):
            return self._local_db().execute(sql).fetchall()
        return self._run(self.sql(tree))

    def execute(self, query: exp.Expression) -> None:
        self._run(self.sql(query))

    def _run(self, text: str) -> list[tuple[Any, ...]]:
        if self.estimating:
            return self._dry_run(text)
        try:
            rows = self.client.query_and_wait(text)
            out = [tuple(row.values()) for row in rows]
        except Exception as exc:
            raise _error(exc, self.table) from exc
        self.jobs += 1
        self.bytes_processed += int(getattr(rows, "total_bytes_processed", None) or 0)
        return out

    def _run_arrow(self, text: str) -> Any:
        """A query's rows as an Arrow table (nested records kept as such); while
        estimating, no rows, in the shape the dry run says the result has."""
        if self.estimating:
            return _empty_arrow(self._dry_job(text).schema)
        try:
            rows = self.client.query_and_wait(text)
            table = rows.to_arrow(create_bqstorage_client=False)
        except Exception as exc:
            raise _error(exc, self.table) from exc
        self.jobs += 1
        self.bytes_processed += int(getattr(rows, "total_bytes_processed", None) or 0)
        return table

    def columns(self, relation: str) -> list[str]:
        name = relation.lower()
        if name in self.local_tables:
            rows = self._local_db().execute(f"DESCRIBE {exp.to_table(name).sql('duckdb')}")
            return [str(r[0]) for r in rows.fetchall()]
        return list(self.view_columns.get(name, self.table_columns))

    def run_notes(self) -> list[str]:
        """Bytes processed is what on-demand BigQuery bills."""
        return [
            f"BigQuery processed {_size(self.bytes_processed)} in {self.jobs} "
            f"quer{'y' if self.jobs == 1 else 'ies'} on {self.table}"
        ]

    def tag_value(self, key: str) -> exp.Expression:
        """A read of ``Tags`` (repeated key/value records: see ``bigquery_sql``)."""
        tags = exp.column("Tags", quoted=True)
        read = bigquery_sql.rewrite(exp.Bracket(this=tags, expressions=[exp.Literal.string(key)]))
        assert isinstance(read, exp.Expression)
        return read

    def upload(
        self, name: str, columns: Sequence[tuple[str, str]], data: Sequence[Sequence[Any]]
    ) -> exp.Subquery:
        """Rows as ``UNNEST([STRUCT(...), ...])`` in the query text (no tables to upload to;
        the series pairs are a few thousand at most)."""
        structs = [
            exp.Struct(
                expressions=[
                    exp.cast(_value(v), type_).as_(col)
                    for (col, type_), v in zip(columns, row, strict=True)
                ]
            )
            for row in zip(*data, strict=True)
        ]
        if not structs:
            raise dialect.TranspileError(f"no rows to upload for {name}")
        unnest = exp.Unnest(expressions=[exp.Array(expressions=structs)])
        return exp.select("*").from_(unnest).subquery(name)

    def create_temp_view(self, name: str, select: str) -> None:
        """Kept as a query and inlined where ``name`` is read (rendered once now, so a
        query BigQuery cannot express fails before anything runs)."""
        tree = _parse(select).transform(dialect.unqualify_main)
        relations = {"costs": self.table_columns}
        self.view_columns[name.lower()] = dialect.output_columns(tree, relations)
        self.views[name.lower()] = tree
        self.sql(exp.select("*").from_(name))

    def create_temp_table(self, name: str, select: str) -> None:
        """In the local DuckDB: from BigQuery's answer when ``select`` reads the cost
        rows (the inventory's one row per resource), else run there (the inventory file)."""
        tree = _parse(select)
        local = self._local_db()
        table = exp.to_table(name).sql("duckdb")
        if self._is_local(tree):
            local.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
        else:
            arrow = self._run_arrow(self.sql(tree))
            local.register("fm_bigquery_result", arrow)
            try:
                local.execute(
                    f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
                    f"{_as_maps(arrow.schema)} FROM fm_bigquery_result"
                )
            finally:
                local.unregister("fm_bigquery_result")
        self.local_tables.add(name.lower())

    def _is_local(self, tree: exp.Expression) -> bool:
        """Whether ``tree`` reads this process's tables (or files), not BigQuery's."""
        names = {t.name.lower() for t in tree.find_all(exp.Table) if t.name}
        remote = names & {*RELATIONS, *self.views}
        local = names & self.local_tables or any(
            isinstance(t.this, exp.Func) for t in tree.find_all(exp.Table)
        )
        if remote and local:
            raise dialect.TranspileError(
                "a query reads both BigQuery's cost rows and local tables: "
                f"{', '.join(sorted(names))}"
            )
        return bool(local)

    def _local_db(self) -> duckdb.DuckDBPyConnection:
        if self.local is None:
            import duckdb  # noqa: TID251 - the local side of the inventory

            self.local = duckdb.connect()
        return self.local

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
            self.local = None

    # evaluate --estimate: every query a dry run (free, nothing runs, no rows come back)
    DRY_RUNS: ClassVar[bool] = True

    def estimate_queries(self) -> list[DryRun]:
        """Price, never run: past this call the client can send dry runs only."""
        self.estimating = True
        self.client = _DryRunsOnly(self.client)
        self.dry_runs: list[DryRun] = []
        return self.dry_runs

    def _dry_run(self, text: str) -> list[tuple[Any, ...]]:
        self._dry_job(text)
        return []

    def _dry_job(self, text: str) -> Any:
        from google.cloud import bigquery

        from finopsmetrics_cli.evaluate.query import purpose_of

        config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
        try:
            job = self.client.query(text, job_config=config)
        except Exception as exc:
            raise _error(exc, self.table) from exc
        self.dry_runs.append(DryRun(purpose_of(text), int(job.total_bytes_processed or 0)))
        return job


def _source(table: str, columns: Sequence[str], tags: str) -> exp.Select | None:
    """What ``costs`` reads when the table's tags are not bare key/value records: the
    table with ``Tags`` rebuilt (the other columns as they are; nothing more is scanned)."""
    if tags == "records":
        return None
    if tags == "wide":
        rebuilt = "ARRAY(SELECT AS STRUCT fm_t.key, fm_t.value FROM UNNEST(`Tags`) AS fm_t)"
    else:
        rebuilt = f"CAST([] AS {bigquery_sql.MAP_TYPE})"
    import sqlglot

    keep = [exp.column(c, quoted=True) for c in columns if c != "Tags"]
    value = sqlglot.parse_one(rebuilt, read=bigquery_sql.DIALECT)
    return exp.select(*keep, exp.alias_(value, "Tags", quoted=True)).from_(
        exp.Table(this=exp.to_identifier(table, quoted=True))
    )


def tags_shape(table: str, schema: Sequence[Any]) -> str:
    """How ``schema`` holds tags (see :class:`BigQueryAdapter`); other shapes refused."""
    found = next((f for f in schema if f.name == "Tags"), None)
    if found is None:
        return "absent"
    fields = {f.name for f in found.fields or ()}
    if found.field_type in ("RECORD", "STRUCT") and found.mode == "REPEATED" and (
        {"key", "value"} <= fields
    ):
        return "records" if fields == {"key", "value"} else "wide"
    kind = f"{'repeated ' if found.mode == 'REPEATED' else ''}{found.field_type}"
    raise EvaluationError(
        f"the FOCUS table {table} holds Tags as {kind}; finopsmetrics reads tags as "
        "repeated key/value records",
        hint="point settings.costs.table at a view exposing Tags as "
        "ARRAY<STRUCT<key STRING, value STRING>>",
    )


def _parse(sql: str) -> exp.Expression:
    import sqlglot

    try:
        tree = sqlglot.parse_one(sql, read=dialect.SOURCE_DIALECT)
    except sqlglot.errors.ParseError as exc:
        raise dialect.TranspileError(f"cannot read the query: {exc}") from exc
    assert isinstance(tree, exp.Expression)
    return tree


def _value(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


#: BigQuery's column types as Arrow's (what an empty result needs to be a table)
_ARROW_TYPES = {
    "STRING": "string", "INTEGER": "int64", "INT64": "int64", "FLOAT": "float64",
    "FLOAT64": "float64", "BOOLEAN": "bool", "BOOL": "bool", "DATE": "date32",
}  # fmt: skip


def _empty_arrow(fields: Any) -> Any:
    """An Arrow table with no rows and ``fields`` (a BigQuery schema) as columns."""
    import pyarrow as pa  # type: ignore[import-untyped]

    def arrow(field: Any) -> Any:
        if field.field_type in ("RECORD", "STRUCT"):
            kind = pa.struct([pa.field(f.name, arrow(f)) for f in field.fields])
        elif field.field_type == "NUMERIC":
            kind = pa.decimal128(38, 9)
        elif field.field_type == "BIGNUMERIC":
            kind = pa.decimal256(76, 38)
        elif field.field_type == "TIMESTAMP":
            kind = pa.timestamp("us", tz="UTC")
        else:
            kind = getattr(pa, _ARROW_TYPES.get(field.field_type, "string"))()
        return pa.list_(kind) if field.mode == "REPEATED" else kind

    return pa.schema([pa.field(f.name, arrow(f)) for f in fields or ()]).empty_table()


def _as_maps(schema: Any) -> str:
    """The columns of an Arrow result, key/value record lists turned into DuckDB maps."""
    import pyarrow as pa

    out = []
    for field in schema:
        name = exp.to_identifier(field.name, quoted=True).sql("duckdb")
        kind = field.type
        is_map = (
            pa.types.is_list(kind)
            and pa.types.is_struct(kind.value_type)
            and sorted(kind.value_type.field(i).name for i in range(kind.value_type.num_fields))
            == ["key", "value"]
        )
        out.append(f"map_from_entries({name}) AS {name}" if is_map else name)
    return ", ".join(out)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _error(exc: Exception, table: str) -> FinopsError:
    from finopsmetrics_cli.costs.connectors.gcp_bigquery import bigquery_error

    return bigquery_error(
        exc,
        table,
        error=EvaluationError,
        table_hint="check settings.costs.table (PROJECT.DATASET.TABLE of a FOCUS table or view)",
    )


@contextmanager
def open_table(table: str, metric_column: str) -> Iterator[BigQueryAdapter]:
    """An adapter on ``table``, its FOCUS columns checked first."""
    from finopsmetrics_cli.costs.connectors.gcp_bigquery import BillingTable, _client

    where = BillingTable.parse(table)
    client, _ = _client(where)
    try:
        schema = client.get_table(str(where)).schema
    except Exception as exc:
        raise _error(exc, str(where)) from exc
    names = [field.name for field in schema]
    missing = [c for c in (*REQUIRED_COLUMNS, metric_column) if c not in names]
    if missing:
        raise EvaluationError(
            f"the FOCUS table {where} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            hint="point settings.costs.table at a table or view with FOCUS 1.2 columns",
        )
    adapter = BigQueryAdapter(client, str(where), names, tags_shape(str(where), schema))
    try:
        yield adapter
    finally:
        adapter.close()


class _DryRunsOnly:
    """The client while estimating: a query that would run (not a dry run) is refused
    before it is sent, whichever path asks for it."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def query(self, text: str, *, job_config: Any) -> Any:
        assert job_config.dry_run, "only dry runs while estimating"
        return self.client.query(text, job_config=job_config)

    def query_and_wait(self, text: str, **_: Any) -> Any:
        raise AssertionError("a query would run while estimating: every path dry-runs")
