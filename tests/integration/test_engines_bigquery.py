"""BigQuery: the evaluation's SQL in the BigQuery dialect gives DuckDB's results.

The queries go through google-cloud-bigquery to a local endpoint speaking
the REST shapes, which transpiles them back to DuckDB over the same FOCUS
rows (tags as BigQuery's repeated key/value records).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb  # noqa: TID251 - the stand-in for BigQuery's table
import pytest
import sqlglot
from engine_matrix import CONTROLS, SINCE, TODAY, rows
from tests.unit.evaluate.costdata import write_rows

from finopsmetrics_cli.conditions import AttributeSchema
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.engines.bigquery import open_table
from finopsmetrics_cli.evaluate.runner import run
from local_bigquery import LocalBigQuery, local_bigquery

TABLE = "acme-finops.focus.costs"
#: what BigQuery runs: budgets and detectors (the enrichment needs map values)
KINDS = [c for c in CONTROLS if c.kind in ("budget", "anomaly_detector")]
KINDS = [c for c in KINDS if c.name not in ("storage", "split-a")]


@pytest.fixture()
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    store = write_rows(tmp_path / "costs.duckdb", rows())
    with CostStore(store).connect() as conn:
        conn.execute(
            "COPY (SELECT * REPLACE (map_entries(\"Tags\") AS \"Tags\") FROM costs) "
            f"TO '{tmp_path / 'focus.parquet'}' (FORMAT PARQUET)"
        )
    db = duckdb.connect()
    db.execute(f"CREATE TABLE focus AS SELECT * FROM '{tmp_path / 'focus.parquet'}'")
    names = [r[0] for r in db.execute("DESCRIBE focus").fetchall()]
    schema = [{"name": n, "type": "STRING", "mode": "NULLABLE"} for n in names]
    bigquery = LocalBigQuery(db, {TABLE: ("focus", schema)}, bytes_per_query=10 * 1024 * 1024)
    with local_bigquery(bigquery) as server:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", server.endpoint)
        yield store, server
    db.close()


def test_budgets_and_detectors_inside_bigquery_equal_duckdb(warehouse: tuple[Path, Any]) -> None:
    store, server = warehouse
    schema = AttributeSchema.default()
    with CostStore(store).connect() as conn:
        expected, _ = run(DuckDBAdapter(conn), KINDS, store="costs", today=TODAY, since=SINCE,
                          schema=schema)  # fmt: skip
    with open_table(TABLE, "EffectiveCost") as adapter:
        got, _ = run(adapter, KINDS, store=TABLE, today=TODAY, since=SINCE, schema=schema)
        assert adapter.jobs == 4  # data range, last day, combinations, series: aggregates only
        assert adapter.run_notes() == [f"BigQuery processed 40.0 MiB in 4 queries on {TABLE}"]
    assert expected.anomalies != [] and expected.budgets != []
    assert (got.budgets, got.anomalies, got.findings) == (
        expected.budgets, expected.anomalies, expected.findings,
    )  # fmt: skip
    sent = [r["body"]["query"] for r in server.requests if r["body"] and "query" in r["body"]]
    assert len(sent) == 4
    for sql in sent:  # BigQuery SQL: parses in its dialect, reads the table by name
        tree = sqlglot.parse_one(sql, read="bigquery")
        assert f"`{TABLE}`" in tree.sql("bigquery")
    assert "UNNEST(`Tags`) AS t WHERE t.key = 'team'" in sent[2]


def test_missing_table_is_one_message(warehouse: tuple[Path, Any]) -> None:
    with pytest.raises(EvaluationError) as caught:
        with open_table("acme-finops.focus.nothing", "EffectiveCost"):
            pass
    assert str(caught.value) == (
        "BigQuery table 'acme-finops.focus.nothing' does not exist "
        "(or is not visible to these credentials)"
    )


def test_table_lacking_columns_is_refused(warehouse: tuple[Path, Any]) -> None:
    with pytest.raises(EvaluationError) as caught:
        with open_table(TABLE, "ContractedCostX"):
            pass
    assert str(caught.value) == f"the FOCUS table {TABLE} lacks the column ContractedCostX"


def test_enrichment_is_refused_not_skipped(warehouse: tuple[Path, Any]) -> None:
    with open_table(TABLE, "EffectiveCost") as adapter:
        with pytest.raises(EvaluationError) as caught:
            run(adapter, CONTROLS, store=TABLE, today=TODAY, schema=AttributeSchema.default())
    assert str(caught.value) == (
        "virtual tags, cost allocations and business mappings cannot be evaluated inside "
        "BigQuery yet (it needs map values, which BigQuery lacks)"
    )
    assert caught.value.hint == "evaluate these kinds with settings.costs.engine duckdb or spark"


def test_cli_evaluates_inside_bigquery_and_prints_bytes(
    warehouse: tuple[Path, Any], tmp_path: Path
) -> None:
    from tests.e2e.engine_cli import Workspace

    (tmp_path / "ws").mkdir()
    ws = Workspace(tmp_path / "ws", CLI_CONFIG)
    result = ws.run("evaluate", str(ws.config), "--format", "json", "--since", "2025-11-01")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(b["name"], b["actual"]) for b in doc["budgets"]] == [("web", 377.0)]  # Nov 1-29
    assert [(a["detector"], a["date"]) for a in doc["anomalies"]] == [("s3", "2025-11-20")]
    assert result.stderr == f"note: BigQuery processed 40.0 MiB in 4 queries on {TABLE}\n"


CLI_CONFIG = f"""\
version: 1
settings:
  costs: {{engine: bigquery, table: {TABLE}}}
budgets:
  - name: web
    amount: 500
    filters: {{team: web}}
anomaly_detectors:
  - name: s3
    filters: {{service: Amazon S3}}
    model: {{type: zscore, window: 14d}}
"""


def test_live_state_reads_the_engine_from_the_environment(
    warehouse: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.e2e.engine_cli import Workspace

    (tmp_path / "ws").mkdir()
    ws = Workspace(tmp_path / "ws", CLI_CONFIG.replace(
        f"  costs: {{engine: bigquery, table: {TABLE}}}\n", "  max_destroy: 5\n"))  # fmt: skip
    assert ws.run("apply", str(ws.config), "--auto-approve", "-q").exit_code == 0
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "bigquery")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_TABLE", TABLE)
    result = ws.run("evaluate", "--format", "json", "--since", "2025-11-01")
    assert result.exit_code == 0, result.stderr
    assert [a["detector"] for a in json.loads(result.stdout)["anomalies"]] == ["s3"]
    again = ws.run("evaluate", "--format", "json", "--since", "2025-11-01")
    statuses = {f["name"]: f["status"] for f in json.loads(again.stdout)["findings"]}
    assert statuses == {"s3": "open"}  # recorded by the first run: not new any more


def test_costs_show_runs_the_same_query_inside_bigquery(
    warehouse: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from finopsmetrics_cli.cli.app import app

    store, server = warehouse
    monkeypatch.chdir(tmp_path)
    args = ["costs", "show", "--by", "service,month", "--filter", "team=web,db",
            "--from", "2025-10-15", "--format", "json"]  # fmt: skip
    local = CliRunner().invoke(app, [*args, "--costs", str(store)])
    assert local.exit_code == 0, local.stderr
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "bigquery")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_TABLE", TABLE)
    inside = CliRunner().invoke(app, args)
    assert inside.exit_code == 0, inside.stderr
    assert json.loads(inside.stdout) == json.loads(local.stdout)
    assert len(json.loads(local.stdout)["rows"]) == 4
    assert "UNNEST(`Tags`) AS t WHERE t.key = 'team'" in server.requests[-1]["body"]["query"]
