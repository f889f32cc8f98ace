"""A local HTTP endpoint speaking the BigQuery REST shapes google-cloud-bigquery calls.

There is no BigQuery emulator to be had here, so this one answers what
``query_and_wait`` and ``to_arrow`` call: ``tables.get``, ``jobs.query``,
``jobs.get`` and ``jobs.getQueryResults`` (this client version reads further
pages with the latter, not ``tabledata.list``). It runs the SQL it receives,
transpiled with sqlglot, in DuckDB over tables that have the billing export's
schema, and records every request for the tests.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb  # noqa: TID251 - the stand-in warehouse
import sqlglot
from sqlglot import exp


def to_duckdb(sql: str, tables: dict[str, str]) -> str:
    """BigQuery SQL as DuckDB SQL; ``tables`` maps BigQuery table names to DuckDB ones.

    BigQuery's NUMERIC is DECIMAL(38, 9); sqlglot leaves it bare (DuckDB would
    read DECIMAL(18, 3)), so the precision is written out. BIGNUMERIC (76 digits,
    38 decimals) has no DuckDB equal: DECIMAL(38, 18) keeps what the tests' amounts need.
    """
    for bigquery_name, duckdb_name in tables.items():
        sql = sql.replace(f"`{bigquery_name}`", duckdb_name)
    tree = sqlglot.parse_one(sql, read="bigquery")

    def numeric(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.DECIMAL:
            if not node.expressions:
                return exp.DataType.build("DECIMAL(38, 9)")
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.BIGDECIMAL:
            return exp.DataType.build("DECIMAL(38, 18)")  # BIGNUMERIC's 38 decimals, in 38 digits
        return node

    def like(node: exp.Expression) -> exp.Expression:
        """BigQuery's LIKE escapes with a backslash; DuckDB's only when told to."""
        if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Escape):
            return exp.Escape(this=node.copy(), expression=exp.Literal.string("\\"))
        return node

    return tree.transform(numeric).transform(like).sql(dialect="duckdb")


def _bigquery_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        scale = int(duckdb_type.rstrip(")").split(",")[1]) if "," in duckdb_type else 0
        return "BIGNUMERIC" if scale > 9 else "NUMERIC"
    if duckdb_type.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if duckdb_type in ("BIGINT", "INTEGER", '"NULL"', "NULL"):
        return "INTEGER"
    if duckdb_type in ("DOUBLE", "FLOAT"):
        return "FLOAT"
    if duckdb_type == "BOOLEAN":
        return "BOOLEAN"
    if duckdb_type == "DATE":
        return "DATE"
    return "STRING"


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # useInt64Timestamp: microseconds since the epoch
        return str(int(value.timestamp() * 1_000_000))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _field(name: str, kind: Any) -> dict[str, Any]:
    """A BigQuery schema field for a DuckDB type (lists are REPEATED, structs RECORDs)."""
    if kind.id == "list":
        return {**_field(name, kind.children[0][1]), "mode": "REPEATED"}
    if kind.id == "struct":
        fields = [_field(child, child_kind) for child, child_kind in kind.children]
        return {"name": name, "type": "RECORD", "mode": "NULLABLE", "fields": fields}
    return {"name": name, "type": _bigquery_type(str(kind)), "mode": "NULLABLE"}


def schema_of(db: Any, table: str) -> list[dict[str, Any]]:
    """The BigQuery schema (``tables.get``'s fields) of a DuckDB table."""
    relation = db.table(table)
    return [_field(n, t) for n, t in zip(relation.columns, relation.types, strict=True)]


def _value(value: Any, field: dict[str, Any]) -> Any:
    """A value as the REST API writes it: ``{"f": [{"v": ...}]}`` records, ``[{"v": ...}]``
    repeated fields (an absent list is an empty one, as BigQuery answers)."""
    if field["mode"] == "REPEATED":
        item = {**field, "mode": "NULLABLE"}
        return [{"v": _value(v, item)} for v in value or ()]
    if value is None:
        return None
    if field["type"] == "RECORD":
        return {"f": [{"v": _value(value[f["name"]], f)} for f in field["fields"]]}
    return _cell(value)


@dataclass
class Result:
    schema: list[dict[str, str]]
    rows: list[dict[str, Any]]
    query: str


@dataclass
class LocalBigQuery:
    """The endpoint's data and what it was asked; ``page_size`` rows per response page."""

    db: Any
    tables: dict[str, tuple[str, list[dict[str, Any]]]]  # bigquery name -> (duckdb, schema)
    page_size: int = 1000
    bytes_per_query: int = 0  # reported as totalBytesProcessed by every query
    endpoint: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)

    def run(self, sql: str, parameters: list[dict[str, Any]]) -> Result:
        values: dict[str, Any] = {}
        for parameter in parameters:
            raw = parameter.get("parameterValue", {}).get("value")
            values[parameter["name"]] = datetime.fromisoformat(raw) if raw is not None else None
        names = {name: table for name, (table, _) in self.tables.items()}
        cursor = self.db.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        relation = cursor.sql(to_duckdb(sql, names), params=values or None)
        schema = [_field(n, t) for n, t in zip(relation.columns, relation.types, strict=True)]
        rows = [
            {"f": [{"v": _value(v, f)} for v, f in zip(row, schema, strict=True)]}
            for row in relation.fetchall()
        ]
        return Result(schema, rows, sql)

    def page(self, job_id: str, token: str | None, kind: str) -> dict[str, Any]:
        result = self.results[job_id]
        start = int(token or 0)
        end = start + self.page_size
        body: dict[str, Any] = {
            "kind": kind,
            "totalRows": str(len(result.rows)),
            "rows": result.rows[start:end],
        }
        if end < len(result.rows):
            body["pageToken"] = str(end)
        return body

    #: a dry run's bytes: this many for each column of a served table the query names
    DRY_RUN_BYTES_PER_COLUMN = 3 * 1024 * 1024

    def dry_run(self, sql: str) -> tuple[int, list[dict[str, Any]]]:
        """What a dry run answers: the query checked (DuckDB binds it, never runs it), the
        schema of its result, and its bytes, which depend on the columns it reads."""
        names = {name: table for name, (table, _) in self.tables.items()}
        relation = self.db.cursor().sql(to_duckdb(sql, names))  # bound, not fetched
        schema = [_field(n, t) for n, t in zip(relation.columns, relation.types, strict=True)]
        tree = sqlglot.parse_one(sql, read="bigquery")
        named = {column.name.lower() for column in tree.find_all(exp.Column)}
        served = {
            f["name"].lower()
            for name, (_, schema) in self.tables.items()
            if f"`{name}`" in sql
            for f in schema
        }
        return self.DRY_RUN_BYTES_PER_COLUMN * len(named & served), schema

    def dry_runs(self) -> list[str]:
        """The SQL of every dry run asked for (jobs.insert with ``dryRun``)."""
        return [
            r["body"]["configuration"]["query"]["query"]
            for r in self.requests
            if r["method"] == "POST" and r["path"].endswith("/jobs")
            and r["body"].get("configuration", {}).get("dryRun")
        ]

    def job_reference(self, project: str, job_id: str) -> dict[str, str]:
        return {"projectId": project, "jobId": job_id, "location": "US"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, what: str) -> None:
        self._reply(
            404,
            {
                "error": {
                    "code": 404,
                    "message": f"Not found: {what}",
                    "errors": [{"reason": "notFound", "message": f"Not found: {what}"}],
                    "status": "NOT_FOUND",
                }
            },
        )

    def do_GET(self) -> None:
        self._handle("GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle("POST", json.loads(self.rfile.read(length) or b"{}"))

    def _handle(self, method: str, body: dict[str, Any] | None) -> None:
        bq = self.server.bigquery
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path.removeprefix("/bigquery/v2")
        bq.requests.append({"method": method, "path": path, "params": query, "body": body})
        if m := re.fullmatch(r"/projects/([^/]+)/queries", path):
            self._query(m.group(1), body or {})
        elif m := re.fullmatch(r"/projects/([^/]+)/queries/([^/]+)", path):
            page = bq.page(m.group(2), query.get("pageToken"), "bigquery#getQueryResultsResponse")
            result = bq.results[m.group(2)]
            self._reply(
                200,
                {
                    **page,
                    "jobReference": bq.job_reference(m.group(1), m.group(2)),
                    "schema": {"fields": result.schema},
                    "jobComplete": True,
                },
            )
        elif method == "POST" and (m := re.fullmatch(r"/projects/([^/]+)/jobs", path)):
            self._insert_job(m.group(1), body or {})
        elif m := re.fullmatch(r"/projects/([^/]+)/jobs/([^/]+)", path):
            self._job(m.group(1), m.group(2))
        elif m := re.fullmatch(r"/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)", path):
            self._table(*m.groups())
        else:
            self._not_found(path)

    def _query(self, project: str, body: dict[str, Any]) -> None:
        bq = self.server.bigquery
        try:
            result = bq.run(body["query"], body.get("queryParameters", []))
        except duckdb.Error as exc:
            self._reply(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": str(exc),
                        "status": "INVALID_ARGUMENT",
                        "errors": [{"reason": "invalidQuery", "message": str(exc)}],
                    }
                },
            )
            return
        job_id = f"job_{uuid.uuid4().hex[:12]}"
        bq.results[job_id] = result
        first = bq.page(job_id, None, "bigquery#queryResponse")
        self._reply(
            200,
            {
                **first,
                "totalBytesProcessed": str(bq.bytes_per_query),
                "jobReference": bq.job_reference(project, job_id),
                "schema": {"fields": result.schema},
                "jobComplete": True,
            },
        )

    def _insert_job(self, project: str, body: dict[str, Any]) -> None:
        """jobs.insert, as ``client.query`` sends it: dry runs only (a job that would run
        is refused here, so a test sees it fail)."""
        configuration = body.get("configuration", {})
        if not configuration.get("dryRun"):
            self._reply(501, {"error": {"code": 501, "status": "UNIMPLEMENTED",
                                        "message": "only dry runs are served by jobs.insert"}})
            return
        try:
            processed, schema = self.server.bigquery.dry_run(configuration["query"]["query"])
        except (duckdb.Error, sqlglot.errors.SqlglotError) as exc:
            reason = {"reason": "invalidQuery", "message": str(exc)}
            self._reply(400, {"error": {"code": 400, "message": str(exc),
                                        "status": "INVALID_ARGUMENT", "errors": [reason]}})
            return
        self._reply(
            200,
            {
                "kind": "bigquery#job",
                "jobReference": {"projectId": project, "location": "US"},  # a dry run: no id
                "configuration": {**configuration, "jobType": "QUERY"},
                "status": {"state": "DONE"},
                "statistics": {
                    "totalBytesProcessed": str(processed),
                    "query": {
                        "totalBytesProcessed": str(processed),
                        "totalBytesBilled": "0",
                        "totalBytesProcessedAccuracy": "PRECISE",
                        "cacheHit": False,
                        "statementType": "SELECT",
                        "schema": {"fields": schema},
                    },
                },
            },
        )

    def _job(self, project: str, job_id: str) -> None:
        bq = self.server.bigquery
        if job_id not in bq.results:
            self._not_found(f"Job {project}:{job_id}")
            return
        self._reply(
            200,
            {
                "kind": "bigquery#job",
                "id": f"{project}:US.{job_id}",
                "jobReference": bq.job_reference(project, job_id),
                "configuration": {
                    "query": {
                        "query": bq.results[job_id].query,
                        "destinationTable": {
                            "projectId": project,
                            "datasetId": "_anonymous",
                            "tableId": job_id,
                        },
                    },
                    "jobType": "QUERY",
                },
                "status": {"state": "DONE"},
                "statistics": {"query": {"totalBytesProcessed": "0"}},
            },
        )

    def _table(self, project: str, dataset: str, table: str) -> None:
        bq = self.server.bigquery
        name = f"{project}.{dataset}.{table}"
        if name not in bq.tables:
            self._not_found(f"Table {project}:{dataset}.{table}")
            return
        schema = bq.tables[name][1]
        self._reply(
            200,
            {
                "kind": "bigquery#table",
                "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
                "schema": {"fields": schema},
                "type": "TABLE",
                "numRows": "0",
            },
        )


class _Server(ThreadingHTTPServer):
    bigquery: LocalBigQuery


@contextmanager
def local_bigquery(bigquery: LocalBigQuery) -> Iterator[LocalBigQuery]:
    """Serve ``bigquery`` on a free 127.0.0.1 port until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.bigquery = bigquery
    bigquery.endpoint = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield bigquery
    finally:
        server.shutdown()
        server.server_close()
