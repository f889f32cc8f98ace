"""Evaluation inside BigQuery: the evaluation's queries run where the FOCUS table is.

Only aggregates come back (the daily sums per combination of filter values,
the series the controls asked for); scoring runs in Python on them, as for
DuckDB. BigQuery has no temporary tables outside scripts, so the scan is
inlined as a subquery and uploaded lists travel as ``UNNEST`` literals. Tags
are BigQuery's repeated ``key``/``value`` records.

What cannot run here yet is refused with a message, never skipped: the
``costs_enriched`` view (virtual tags, allocations, business mappings) and the
resource inventory are written with map values, which BigQuery lacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, ClassVar

from sqlglot import exp

from finopsmetrics_cli.errors import EvaluationError, FinopsError
from finopsmetrics_cli.evaluate.engine import EngineAdapter
from finopsmetrics_cli.evaluate.engines import dialect
from finopsmetrics_cli.evaluate.engines.spark import REQUIRED_COLUMNS

RELATIONS = ("costs", "costs_enriched")
NOT_HERE = (
    "{what} cannot be evaluated inside BigQuery yet (it needs map values, which BigQuery lacks)"
)
NOT_HERE_HINT = "evaluate these kinds with settings.costs.engine duckdb or spark"


class BigQueryAdapter(EngineAdapter):
    """Runs the evaluation's queries as BigQuery jobs on one FOCUS table or view."""

    DIALECT: ClassVar[str] = "bigquery"
    SUPPORTS_TEMP_TABLES: ClassVar[bool] = False

    def __init__(self, client: Any, table: str, columns: Sequence[str]) -> None:
        self.client = client
        self.table = table
        self.table_columns = list(columns)
        self.bytes_processed = 0
        self.jobs = 0

    def _target(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.db and node.name.lower() in RELATIONS:
            out = exp.Table(this=exp.to_identifier(self.table, quoted=True))
            alias = node.args.get("alias")
            if alias is not None:
                out.set("alias", alias.copy())
            return out
        return node

    def _tags(self, node: exp.Expression) -> exp.Expression:
        """``Tags['k']`` (a map read, as DuckDB text writes it) as :meth:`tag_value`."""
        if (
            isinstance(node, exp.Bracket)
            and isinstance(node.this, exp.Column)
            and node.this.name == "Tags"
            and len(node.expressions) == 1
            and isinstance(node.expressions[0], exp.Literal)
            and node.expressions[0].is_string
        ):
            return self.tag_value(node.expressions[0].this)
        return node

    def sql(self, query: exp.Expr) -> str:
        relations = {name: self.table_columns for name in RELATIONS}
        tree = query.transform(self._target).transform(self._tags)
        tree = tree.transform(_group_by_position).transform(_utc)
        return dialect.render(tree, self.DIALECT, relations)

    def fetch(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        return self._run(self.sql(query))

    def fetch_sql(self, sql: str) -> list[tuple[Any, ...]]:
        import sqlglot

        from finopsmetrics_cli.evaluate.engines.dialect import SOURCE_DIALECT

        return self._run(self.sql(sqlglot.parse_one(sql, read=SOURCE_DIALECT)))

    def execute(self, query: exp.Expression) -> None:
        self._run(self.sql(query))

    def _run(self, text: str) -> list[tuple[Any, ...]]:
        try:
            rows = self.client.query_and_wait(text)
            out = [tuple(row.values()) for row in rows]
        except Exception as exc:
            raise _error(exc, self.table) from exc
        self.jobs += 1
        self.bytes_processed += int(getattr(rows, "total_bytes_processed", None) or 0)
        return out

    def columns(self, relation: str) -> list[str]:
        return list(self.table_columns)

    def run_notes(self) -> list[str]:
        """Bytes processed is what on-demand BigQuery bills."""
        return [
            f"BigQuery processed {_size(self.bytes_processed)} in {self.jobs} "
            f"quer{'y' if self.jobs == 1 else 'ies'} on {self.table}"
        ]

    def tag_value(self, key: str) -> exp.Expression:
        """``(SELECT t.value FROM UNNEST(Tags) AS t WHERE t.key = KEY LIMIT 1)``."""
        import sqlglot

        key_sql = exp.Literal.string(key).sql(self.DIALECT)
        found = sqlglot.parse_one(
            f"(SELECT t.value FROM UNNEST(`Tags`) AS t WHERE t.key = {key_sql} LIMIT 1)",
            read=self.DIALECT,
        )
        assert isinstance(found, exp.Expression)
        return found

    def upload(
        self, name: str, columns: Sequence[tuple[str, str]], data: Sequence[Sequence[Any]]
    ) -> exp.Table:
        raise EvaluationError(NOT_HERE.format(what=f"the scratch table {name}"), hint=NOT_HERE_HINT)

    def upload_pairs(  # type: ignore[override]  # a subquery: no tables to upload to
        self, name: str, series: Sequence[int], combos: Sequence[int], since: Sequence[date]
    ) -> exp.Subquery:
        """The pairs as ``UNNEST([STRUCT(series, combo, since), ...])`` in the query text."""
        structs = [
            exp.Struct(
                expressions=[
                    exp.Literal.number(s).as_("series"),
                    exp.Literal.number(c).as_("combo"),
                    exp.cast(exp.Literal.string(since[s].isoformat()), "DATE").as_("since"),
                ]
            )
            for s, c in zip(series, combos, strict=True)
        ]
        unnest = exp.Unnest(expressions=[exp.Array(expressions=structs)])
        return exp.select("*").from_(unnest).subquery(name)

    def create_temp_view(self, name: str, select: str) -> None:
        raise EvaluationError(
            NOT_HERE.format(what="virtual tags, cost allocations and business mappings"),
            hint=NOT_HERE_HINT,
        )

    def create_temp_table(self, name: str, select: str) -> None:
        raise EvaluationError(
            NOT_HERE.format(what="policies and coverage over the resource inventory"),
            hint=NOT_HERE_HINT,
        )


def _group_by_position(node: exp.Expression) -> exp.Expression:
    """GROUP BY keys that are projections become their positions (BigQuery cannot group
    by an expression holding a subquery, as a tag read is)."""
    group = node.args.get("group") if isinstance(node, exp.Select) else None
    if group is None:
        return node
    positions = {_bare(e).sql(): i + 1 for i, e in enumerate(node.expressions)}
    keys = [
        exp.Literal.number(positions[k.sql()]) if k.sql() in positions else k
        for k in group.expressions
    ]
    group.set("expressions", keys)
    return node


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _utc(node: exp.Expression) -> exp.Expression:
    """Timestamps are UTC instants in FOCUS tables: BigQuery ``TIMESTAMP``, not ``DATETIME``."""
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMP:
        return exp.DataType.build("TIMESTAMPTZ")
    return node


def _bare(projection: exp.Expression) -> exp.Expression:
    if isinstance(projection, exp.Subquery) and projection.args.get("alias"):
        bare = projection.copy()  # ``subquery.as_(name)`` aliases the subquery itself
        bare.set("alias", None)
        return bare
    inner = projection.unalias()
    assert isinstance(inner, exp.Expression)
    return inner


def _error(exc: Exception, table: str) -> FinopsError:
    from google.api_core import exceptions as api

    if isinstance(exc, FinopsError):
        return exc
    if isinstance(exc, api.NotFound):
        return EvaluationError(
            f"BigQuery table {table!r} does not exist (or is not visible to these credentials)",
            hint="check settings.costs.table (PROJECT.DATASET.TABLE of a FOCUS table or view)",
        )
    if isinstance(exc, api.Forbidden):
        return EvaluationError(
            f"access denied querying {table}: {exc.message}",
            hint="the identity needs BigQuery Data Viewer on the dataset and BigQuery Job User "
            "on the project",
        )
    if isinstance(exc, api.GoogleAPICallError):
        return EvaluationError(f"BigQuery refused the query on {table}: {exc.message}")
    return EvaluationError(f"cannot query {table}: {exc}")


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
    yield BigQueryAdapter(client, str(where), names)
