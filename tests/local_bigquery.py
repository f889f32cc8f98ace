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
    read DECIMAL(18, 3)), so the precision is written out.
    """
    for bigquery_name, duckdb_name in tables.items():
        sql = sql.replace(f"`{bigquery_name}`", duckdb_name)
    tree = sqlglot.parse_one(sql, read="bigquery")

    def numeric(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.DECIMAL:
            if not node.expressions:
                return exp.DataType.build("DECIMAL(38, 9)")
        return node

    return tree.transform(numeric).sql(dialect="duckdb")


def _bigquery_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return "NUMERIC"
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
        relation = cursor.execute(to_duckdb(sql, names), values)
        description = relation.description
        fetched = relation.fetchall()
        schema = [
            {"name": column[0], "type": _bigquery_type(str(column[1])), "mode": "NULLABLE"}
            for column in description
        ]
        rows = [{"f": [{"v": _cell(value)} for value in row]} for row in fetched]
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
