"""The FOCUS rows every engine evaluates, served as a BigQuery table by the local endpoint.

A DuckDB cost store of the engine matrix's rows (the reference side) and the
same rows as ``TABLE`` behind ``tests/local_bigquery.py`` (tags as BigQuery's
repeated key/value records); ``BIGQUERY_EMULATOR_HOST`` points the client at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb  # noqa: TID251 - the stand-in for BigQuery's table
import pytest
from engine_matrix import rows
from tests.unit.evaluate.costdata import write_rows

from finopsmetrics_cli.costs.store import CostStore
from local_bigquery import LocalBigQuery, local_bigquery, schema_of

TABLE = "acme-finops.focus.costs"
WIDE = "acme-finops.focus.google_view"
UNTAGGED = "acme-finops.focus.untagged"
JSON_TAGS = "acme-finops.focus.json_tags"
#: the enrichment kinds over the matrix's rows (a virtual tag, a tag rule, an allocation)
ENRICHED = """\
virtual_tags:
  team:
    rules:
      - condition: resource.service == "Amazon S3"
        tags: {team: storage}
tag_rules:
  - name: need-environment
    pattern: ".*"
    tags: {environment: required}
cost_allocations:
  - name: shared-db
    resource_id: db-shared
    attribution_method: even
    allocations: [{team: a}, {team: b}]
"""


@contextmanager
def serve_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, LocalBigQuery]]:
    """``(cost store path, endpoint)`` until the block ends."""
    store = write_rows(tmp_path / "costs.duckdb", rows())
    with CostStore(store).connect() as conn:
        conn.execute(
            "COPY (SELECT * REPLACE (map_entries(\"Tags\") AS \"Tags\") FROM costs) "
            f"TO '{tmp_path / 'focus.parquet'}' (FORMAT PARQUET)"
        )
    db = duckdb.connect()
    db.execute(f"CREATE TABLE focus AS SELECT * FROM '{tmp_path / 'focus.parquet'}'")
    # the same rows with tags as Google's FOCUS view holds them (more fields per record),
    # without tags, and with tags as a JSON string
    db.execute(
        "CREATE TABLE focus_wide AS SELECT * REPLACE (list_transform(\"Tags\", lambda t: "
        "{'key': t.key, 'value': t.value, 'x_type': 'label', 'x_inherited': false}) "
        "AS \"Tags\") FROM focus"
    )
    db.execute('CREATE TABLE focus_untagged AS SELECT * EXCLUDE ("Tags") FROM focus')
    db.execute('CREATE TABLE focus_json AS SELECT * REPLACE (CAST(map_from_entries("Tags") '
               'AS JSON)::VARCHAR AS "Tags") FROM focus')  # fmt: skip
    tables = {name: (duckdb_name, schema_of(db, duckdb_name)) for name, duckdb_name in (
        (TABLE, "focus"), (WIDE, "focus_wide"), (UNTAGGED, "focus_untagged"),
        (JSON_TAGS, "focus_json"))}  # fmt: skip
    bigquery = LocalBigQuery(db, tables, bytes_per_query=10 * 1024 * 1024)
    try:
        with local_bigquery(bigquery) as server:
            monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", server.endpoint)
            yield store, server
    finally:
        db.close()
