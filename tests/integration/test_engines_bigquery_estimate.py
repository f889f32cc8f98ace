"""``evaluate --estimate``: what an evaluation inside BigQuery would cost, from dry runs.

The local endpoint answers dry runs as BigQuery does (the query checked, never
run; bytes from the columns it reads) and serves no other job through
jobs.insert, so a query that ran would show in its request log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bigquery_warehouse import ENRICHED, TABLE, serve_warehouse
from engine_matrix import INVENTORY_CSV
from tests.e2e.engine_cli import Result, Workspace

from finopsmetrics_cli.engine import Engine
from local_bigquery import LocalBigQuery

MIB = 1024 * 1024
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas" / "evaluate-estimate.schema.json").read_text()
)
PER_COLUMN = LocalBigQuery.DRY_RUN_BYTES_PER_COLUMN
CONFIG = f"""\
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


@pytest.fixture()
def warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Workspace, LocalBigQuery]]:
    with serve_warehouse(tmp_path, monkeypatch) as (_, server):
        (tmp_path / "ws").mkdir()
        yield Workspace(tmp_path / "ws", CONFIG), server


def ran(server: LocalBigQuery) -> list[dict[str, Any]]:
    """Requests that would run a query (anything but a table read or a dry run)."""
    return [
        r for r in server.requests
        if not (r["method"] == "GET" and "/tables/" in r["path"])
        and not (r["path"].endswith("/jobs") and r["body"]["configuration"].get("dryRun"))
    ]  # fmt: skip


def estimate(ws: Workspace, *args: str) -> Result:
    return ws.run("evaluate", str(ws.config), "--estimate", *args)


def test_text_names_each_query_its_bytes_and_the_list_price(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    result = estimate(ws, "--at", "2025-11-20")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Estimate for evaluate inside BigQuery on {TABLE} as of 2025-11-20 (dry runs: no "
        "query ran)\n"
        "   1  data range                   3.0 MiB\n"
        "   2  last day with data           3.0 MiB\n"
        "   3  distinct filter values      15.0 MiB\n"
        "   4  daily series                15.0 MiB\n"
        "Total: 36.0 MiB processed in 4 queries; 50.0 MiB billed (each query at least 10 MB)\n"
        "Cost: less than $0.01 at the on-demand list price, $6.25 per TiB (US multi-region)\n"
        "Capacity (editions) pricing bills slots, not bytes; the monthly free TiB is not "
        "deducted.\n"
    )
    assert result.stderr == ""
    assert len(server.dry_runs()) == 4 and ran(server) == []
    assert server.results == {}  # nothing was run, so no result was kept


def test_json_and_at_respected(warehouse: tuple[Workspace, LocalBigQuery]) -> None:
    ws, server = warehouse
    result = estimate(ws, "--at", "2025-11-20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # the columns each query reads: ChargePeriodStart; then with the tags, service,
    # currency and cost (the scan is inlined in the last two)
    sizes = [1 * PER_COLUMN, 1 * PER_COLUMN, 5 * PER_COLUMN, 5 * PER_COLUMN]
    assert doc == {
        "format_version": 1,
        "engine": "bigquery",
        "table": TABLE,
        "at": "2025-11-20",
        "queries": [
            {"position": i + 1, "purpose": purpose, "bytes": size,
             "bytes_billed": max(size, 10 * MIB)}
            for i, (purpose, size) in enumerate(zip(
                ["data range", "last day with data", "distinct filter values", "daily series"],
                sizes, strict=True,
            ))
        ],
        "bytes": sum(sizes),
        "bytes_billed": 50 * MIB,
        "price_per_tib_usd": 6.25,
        "estimated_cost_usd": round(50 * MIB / 1024**4 * 6.25, 6),
    }  # fmt: skip
    jsonschema.validate(doc, SCHEMA)
    for sql in server.dry_runs()[1:]:  # the last day, the scan and the series end at --at
        assert "`ChargePeriodStart` < CAST('2025-11-21 00:00:00' AS TIMESTAMP)" in sql
    assert ran(server) == []


def test_without_at_the_estimate_is_as_of_today(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    today = datetime.now(UTC).date()
    result = estimate(ws, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["at"] == today.isoformat()
    assert f"as of {today.isoformat()} " in estimate(ws).stdout
    assert ran(server) == []


def test_one_kind_prices_fewer_columns(warehouse: tuple[Workspace, LocalBigQuery]) -> None:
    ws, _ = warehouse
    result = estimate(ws, "--kind", "budget", "--at", "2025-11-20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # the budget reads the tags only, not the service: a column less in the scan
    assert [q["bytes"] for q in doc["queries"]] == [PER_COLUMN, PER_COLUMN] + [4 * PER_COLUMN] * 2


def test_live_state_is_read_not_written(
    warehouse: tuple[Workspace, LocalBigQuery], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, server = warehouse
    ws.config.write_text(CONFIG.replace(f"  costs: {{engine: bigquery, table: {TABLE}}}\n",
                                        "  max_destroy: 5\n"))  # fmt: skip
    assert ws.run("apply", str(ws.config), "--auto-approve", "-q").exit_code == 0
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "bigquery")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_TABLE", TABLE)
    before = hashlib.sha256(ws.state.read_bytes()).hexdigest()
    serial = Engine(ws.state).info().serial
    result = ws.run("evaluate", "--estimate", "--at", "2025-11-20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["queries"]) == 4  # the applied budget and detector
    assert hashlib.sha256(ws.state.read_bytes()).hexdigest() == before
    assert Engine(ws.state).info().serial == serial
    assert ran(server) == []
    # and the evaluation that runs afterwards finds its anomaly new: nothing was recorded
    real = ws.run("evaluate", "--format", "json", "--since", "2025-11-01")
    assert [f["status"] for f in json.loads(real.stdout)["findings"]] == ["new"]


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--dry-run", "--estimate and --dry-run cannot be used together"),
        ("--notify", "--estimate and --notify cannot be used together"),
    ],
)
def test_estimate_with_notifications_is_refused(
    warehouse: tuple[Workspace, LocalBigQuery], flag: str, message: str
) -> None:
    ws, server = warehouse
    result = estimate(ws, flag)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {message}\n  hint: --dry-run previews notifications, which needs the results; "
        "--estimate runs nothing\n"
    )
    assert server.requests == []


def test_quiet_prints_the_cost_line_and_exit_code_is_refused(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    result = estimate(ws, "--at", "2025-11-20", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"less than $0.01 for 50.0 MiB billed in 4 queries on {TABLE} as of 2025-11-20 "
        "(on-demand list price; no query ran)\n"
    )
    server.requests.clear()
    refused = estimate(ws, "--exit-code")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "error: --estimate and --exit-code cannot be used together\n"
        "  hint: an estimate finds nothing (no query runs); run the evaluation for findings\n"
    )
    assert server.requests == []


def test_a_report_format_is_refused(warehouse: tuple[Workspace, LocalBigQuery]) -> None:
    ws, server = warehouse
    result = estimate(ws, "--format", "sarif")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: --estimate prints text or json, not sarif\n"
        "  hint: use --format text or --format json\n"
    )
    assert server.requests == []


@pytest.mark.parametrize(
    ("costs", "engine"),
    [("{engine: duckdb}", "DuckDB runs the evaluation's queries on this machine"),
     ("{engine: spark, dataset: /nowhere}", "Spark runs the evaluation's queries on its cluster")],
)  # fmt: skip
def test_engines_that_bill_no_query_need_no_estimate(
    warehouse: tuple[Workspace, LocalBigQuery], costs: str, engine: str
) -> None:
    ws, server = warehouse
    ws.config.write_text(CONFIG.replace(f"{{engine: bigquery, table: {TABLE}}}", costs))
    result = estimate(ws)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"{engine}: nothing is billed per query, so there is nothing to estimate.\n"
    )
    doc = json.loads(estimate(ws, "--format", "json").stdout)
    assert doc == {
        "format_version": 1, "engine": costs.split()[1].rstrip(",}"), "table": None, "at": None,
        "queries": [], "bytes": None, "bytes_billed": None, "price_per_tib_usd": None,
        "estimated_cost_usd": None,
    }  # fmt: skip
    jsonschema.validate(doc, SCHEMA)
    assert server.requests == []


def test_a_query_bigquery_refuses_is_one_message(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    server.db.execute('ALTER TABLE focus DROP COLUMN "ServiceName"')  # still in the schema
    result = estimate(ws, "--at", "2025-11-20")
    assert (result.exit_code, result.stdout) == (1, "")
    first = result.stderr.splitlines()[0]
    assert first == (
        f"error: BigQuery refused the query on {TABLE}: POST {server.endpoint}/bigquery/v2/"
        "projects/acme-finops/jobs?prettyPrint=false: Binder Error: Referenced column "
        '"ServiceName" not found in FROM clause!'
    )
    assert "Traceback" not in result.stderr
    assert ran(server) == []


def test_a_missing_table_is_one_message(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    ws.config.write_text(CONFIG.replace(TABLE, "acme-finops.focus.nothing"))
    result = estimate(ws)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: BigQuery table 'acme-finops.focus.nothing' does not exist (or is not visible "
        "to these credentials)\n  hint: check settings.costs.table (PROJECT.DATASET.TABLE of a "
        "FOCUS table or view)\n"
    )
    assert server.dry_runs() == []


def test_policies_over_the_inventory_are_priced_without_rows(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    """The inventory's query is a dry run too; its result's shape (from the dry run) lets
    the policies run locally over no rows, so nothing is left out of the price."""
    ws, server = warehouse
    (ws.root / "inventory.csv").write_text(INVENTORY_CSV)
    ws.config.write_text(
        CONFIG.replace("table: ", "inventory: inventory.csv, table: ")
        + "policies:\n  - name: idle\n    condition: resource.cpu_avg_7d < 5%\n    action: notify\n"
    )
    result = estimate(ws, "--format", "json")
    assert result.exit_code == 0, result.stderr
    queries = json.loads(result.stdout)["queries"]
    assert [q["purpose"] for q in queries][-1] == "resource inventory"
    assert queries[-1]["bytes"] > 0
    assert ran(server) == []  # dry runs only


def test_enrichment_coverage_and_allocations_are_priced_too(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    ws.config.write_text(CONFIG + ENRICHED)
    result = estimate(ws, "--at", "2025-11-20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    queries = json.loads(result.stdout)["queries"]
    assert [q["purpose"] for q in queries] == [
        "data range", "last day with data", "distinct filter values", "daily series",
        "allocated cost by target", "shared resources' cost", "tag coverage",
    ]  # fmt: skip
    assert all(q["bytes"] > 0 for q in queries)
    assert ran(server) == []




def test_a_table_lacking_focus_columns_is_one_message(
    warehouse: tuple[Workspace, LocalBigQuery],
) -> None:
    ws, server = warehouse
    schema = server.tables[TABLE][1]
    schema[:] = [f for f in schema if f["name"] != "BillingCurrency"]
    result = estimate(ws)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: the FOCUS table {TABLE} lacks the column BillingCurrency\n"
        "  hint: point settings.costs.table at a table or view with FOCUS 1.2 columns\n"
    )
    assert server.dry_runs() == []
