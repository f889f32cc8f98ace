"""BigQuery: the evaluation's SQL in the BigQuery dialect gives DuckDB's results.

The queries go through google-cloud-bigquery to a local endpoint speaking
the REST shapes, which transpiles them back to DuckDB over the same FOCUS
rows (tags as BigQuery's repeated key/value records). Every kind is compared:
budgets, detectors, the enrichment (virtual tags, allocations, business
mappings), coverage and policies over the inventory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from bigquery_warehouse import ENRICHED, JSON_TAGS, TABLE, UNTAGGED, WIDE, serve_warehouse
from engine_matrix import ALLOCATED, CONTROLS, INVENTORY_CSV, SINCE, TODAY

from finopsmetrics_cli.conditions import AttributeSchema
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.engines.bigquery import open_table
from finopsmetrics_cli.evaluate.runner import run

#: the budgets and detectors that read no enrichment (four queries, no view)
KINDS = [c for c in CONTROLS if c.kind in ("budget", "anomaly_detector")]
KINDS = [c for c in KINDS if c.name not in ("storage", "split-a")]


@pytest.fixture()
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    with serve_warehouse(tmp_path, monkeypatch) as found:
        yield found


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
    assert "UNNEST(`Tags`) AS fm_e WHERE fm_e.key = 'team'" in sent[2]


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


def _outcome(adapter: Any, inventory: Path) -> dict[str, Any]:
    result, _ = run(adapter, CONTROLS, store="costs", today=TODAY, since=SINCE,
                    schema=AttributeSchema.default(), inventory=str(inventory))  # fmt: skip
    return {
        "budgets": result.budgets,
        "anomalies": result.anomalies,
        "findings": result.findings,
        "sections": result.sections,
        "warnings": result.warnings,
        "allocated": [tuple(r) for r in adapter.fetch_sql(ALLOCATED)],
    }


@pytest.mark.parametrize("table", [TABLE, WIDE])
def test_every_kind_inside_bigquery_equals_duckdb(
    warehouse: tuple[Path, Any], tmp_path: Path, table: str
) -> None:
    """Virtual tags, allocations, business mappings, coverage and policies too: the
    enrichment inlined in BigQuery SQL (tags as key/value records), the inventory's one
    row per resource back beside the inventory file. ``WIDE`` holds its tags as Google's
    FOCUS view does (more fields per record): they are made key/value on the way in."""
    store, server = warehouse
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY_CSV)
    with CostStore(store).connect() as conn:
        expected = _outcome(DuckDBAdapter(conn), inventory)
    server.requests.clear()
    with open_table(table, "EffectiveCost") as adapter:
        got = _outcome(adapter, inventory)
        # date range, last day, filter values, series; coverage; allocations (2); the
        # inventory's row per resource; ALLOCATED above: nothing else went to BigQuery
        assert adapter.jobs == 9
    assert expected["warnings"] == []
    assert {b.name for b in expected["budgets"]} == {"web", "storage", "split-a", "all"}
    assert {"anomaly_detector", "policy"} <= {f.kind for f in expected["findings"]}
    assert "idle" in {f.name for f in expected["findings"]}  # read from the inventory file
    assert [r[0] for r in expected["allocated"]] == ["-", "a", "b", "c"]
    assert set(expected["sections"]) >= {"coverage", "allocations"}
    for key, value in expected.items():
        assert got[key] == value, key
    sent = [r["body"]["query"] for r in server.requests if r["body"] and "query" in r["body"]]
    for sql in sent:  # every query BigQuery got parses in its dialect and reads the table
        assert f"`{table}`" in sqlglot.parse_one(sql, read="bigquery").sql("bigquery")
    joined = "\n".join(sent)
    assert "MAP" not in joined.upper().replace("MAP_", "")  # no map syntax reached BigQuery
    assert "`x_VirtualTags__7465616d`" in joined  # x_VirtualTags.team under a BigQuery name


def test_a_table_without_tags_reads_as_untagged(warehouse: tuple[Path, Any]) -> None:
    store, _ = warehouse
    with CostStore(store).connect() as conn:
        expected, _ = run(DuckDBAdapter(conn), KINDS, store="costs", today=TODAY, since=SINCE,
                          schema=AttributeSchema.default())  # fmt: skip
    with open_table(UNTAGGED, "EffectiveCost") as adapter:
        rows = adapter.fetch_sql('SELECT count(*), count("Tags"[\'team\']) FROM costs')
        assert rows == [(180, 0)]
        got, _ = run(adapter, KINDS, store=UNTAGGED, today=TODAY, since=SINCE,
                     schema=AttributeSchema.default())  # fmt: skip
    actual = {b.name: b.actual for b in expected.budgets}
    assert actual["web"] > 0  # over the tagged rows, team=web has spend
    assert {b.name: b.actual for b in got.budgets} == {"web": 0.0, "all": actual["all"]}


def test_tags_held_as_json_text_are_refused(warehouse: tuple[Path, Any]) -> None:
    with pytest.raises(EvaluationError) as caught:
        with open_table(JSON_TAGS, "EffectiveCost"):
            pass
    assert str(caught.value) == (
        f"the FOCUS table {JSON_TAGS} holds Tags as STRING; finopsmetrics reads tags as "
        "repeated key/value records"
    )
    assert caught.value.hint == (
        "point settings.costs.table at a view exposing Tags as "
        "ARRAY<STRUCT<key STRING, value STRING>>"
    )


#: DuckDB spellings whose BigQuery equivalents differ in meaning or shape, and DuckDB's answer
PIECES = [
    # contains is case-sensitive (BigQuery's CONTAINS_SUBSTR, sqlglot's pick, is not)
    ("""SELECT count(*) FROM costs WHERE contains("ServiceName", 'S3')""", [(60,)]),
    ("""SELECT count(*) FROM costs WHERE contains("ServiceName", 's3')""", [(0,)]),
    # a glob's LIKE characters taken literally, and as wildcards
    ("""SELECT count(*) FROM costs WHERE "ResourceId" LIKE 'db\\_shared' ESCAPE '\\'""", [(0,)]),
    ("""SELECT count(*) FROM costs WHERE "ResourceId" LIKE 'db_shared' ESCAPE '\\'""", [(60,)]),
    # map reads: a column, a literal map, a concatenation (the later map wins)
    (
        """SELECT "ResourceId", "Tags"['team'] FROM costs GROUP BY ALL ORDER BY 1""",
        [("bucket-a", None), ("db-shared", "db"), ("i-web-1", "web")],
    ),
    (
        """SELECT DISTINCT MAP {'i-web-1': 'web', 'db-shared': 'db'}["ResourceId"] AS m
           FROM costs ORDER BY 1 NULLS FIRST""",
        [(None,), ("db",), ("web",)],
    ),
    (
        """SELECT "ResourceId", map_concat(coalesce("Tags", MAP {}::MAP(VARCHAR, VARCHAR)),
           MAP {'team': 'x'})['team'], map_concat(MAP {'team': 'x'}, "Tags")['team']
           FROM costs GROUP BY ALL ORDER BY 1""",
        [("bucket-a", "x", "x"), ("db-shared", "x", "db"), ("i-web-1", "x", "web")],
    ),
    # the first group only (ownership_rule namespaces), epoch of a difference
    (
        """SELECT DISTINCT regexp_extract("ResourceId", '^(.*)-(?:.*)$', 1) FROM costs
           ORDER BY 1""",
        [("bucket",), ("db",), ("i-web",)],
    ),
    (
        """SELECT max(epoch(TIMESTAMP '2026-01-01 00:00:00' - "ChargePeriodStart")) FROM costs""",
        [(7948800.0,)],
    ),
]


@pytest.mark.parametrize(("sql", "answer"), PIECES)
def test_sql_pieces_mean_the_same_inside_bigquery(
    warehouse: tuple[Path, Any], sql: str, answer: list[tuple[Any, ...]]
) -> None:
    store, server = warehouse
    with CostStore(store).connect() as conn:
        assert DuckDBAdapter(conn).fetch_sql(sql) == answer
    with open_table(TABLE, "EffectiveCost") as adapter:
        assert adapter.fetch_sql(sql) == answer
    sent = server.requests[-1]["body"]["query"]
    assert sqlglot.parse_one(sent, read="bigquery").sql("bigquery") == sent


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
    assert (local.stderr, inside.stderr) == (
        "", f"note: BigQuery processed 10.0 MiB in 1 query on {TABLE}\n",
    )  # fmt: skip
    assert "UNNEST(`Tags`) AS fm_e WHERE fm_e.key = 'team'" in server.requests[-1]["body"]["query"]


EVERY_KIND = (
    """\
version: 1
settings:
  costs: {inventory: inventory.csv}
budgets:
  - name: web
    amount: 500
    filters: {team: web}
  - name: storage
    amount: 100
    filters: {team: storage}
"""
    + ENRICHED
    + """\
business_mapping:
  products:
    shop: {services: ["Amazon EC*"]}
policies:
  - name: idle
    condition: resource.cpu_avg_7d < 5%
    action: alert
    severity: low
  - name: unencrypted
    condition: resource.encryption_enabled == false and resource.cost_monthly > 100
    action: alert
    severity: high
"""
)


def test_cli_every_kind_inside_bigquery_prints_what_duckdb_prints(
    warehouse: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same file, evaluated over the local store and inside BigQuery: the same JSON."""
    from tests.e2e.engine_cli import Workspace

    store, server = warehouse
    (tmp_path / "inventory.csv").write_text(INVENTORY_CSV)
    ws = Workspace(tmp_path, EVERY_KIND)
    args = ("evaluate", str(ws.config), "--format", "json", "--costs", str(store),
            "--since", "2025-11-01")  # fmt: skip
    out = []
    for engine in ("duckdb", "bigquery"):
        monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", engine)
        monkeypatch.setenv("FINOPSMETRICS_COSTS_TABLE", TABLE)
        result = ws.run(*args)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        for finding in doc["findings"]:  # a what-if: seen now, by each run
            del finding["first_seen"], finding["last_seen"]
        out.append(doc)
    local, inside = out
    assert local == inside
    assert [c["missing_share_own_tags"] for c in local["coverage"]] == [0.5998]
    assert [a["total"] for a in local["allocations"]] == [{"USD": 225.33}]
    assert [(f["name"], f["key"]) for f in local["findings"]] == [
        ("unencrypted", "bucket-a"), ("idle", "i-web-1"),
    ]  # fmt: skip
    assert [b["actual"] for b in local["budgets"]] == [377.0, 345.0]  # storage: S3 by virtual tag


def test_costs_show_by_virtual_tag_inside_bigquery(
    warehouse: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``costs show --by vtag:...`` reads the applied virtual tags' view, inlined."""
    from tests.e2e.engine_cli import Workspace
    from typer.testing import CliRunner

    from finopsmetrics_cli.cli.app import app

    store, server = warehouse
    ws = Workspace(tmp_path, EVERY_KIND)
    assert ws.run("apply", str(ws.config), "--auto-approve", "-q").exit_code == 0
    monkeypatch.setenv("FINOPSMETRICS_STATE", str(ws.state))
    args = ["costs", "show", "--by", "vtag:team,business:product", "--format", "json",
            "--costs", str(store)]  # fmt: skip
    local = CliRunner().invoke(app, args)
    assert local.exit_code == 0, local.output
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "bigquery")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_TABLE", TABLE)
    inside = CliRunner().invoke(app, args)
    assert inside.exit_code == 0, inside.output
    assert json.loads(inside.stdout) == json.loads(local.stdout)
    rows = [(r["vtag:team"], r["business:product"], r["amount"])
            for r in json.loads(local.stdout)["rows"]]  # fmt: skip
    assert rows == [("web", "shop", 774.0), ("storage", "(unallocated)", 500.0),
                    ("a", "(unallocated)", 233.1), ("b", "(unallocated)", 233.1)]  # fmt: skip
    assert "`x_Business__70726f64756374`" in server.requests[-1]["body"]["query"]
