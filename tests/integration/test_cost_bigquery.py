"""gcp_bigquery: the mapping SQL run in DuckDB (transpiled), and the client path over REST."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb  # noqa: TID251 - the stand-in for BigQuery's tables
import pytest

from billing_export import (
    COMPUTE,
    CORE,
    DETAILED,
    DETAILED_COLUMNS,
    DETAILED_SCHEMA,
    EXPORT_COLUMNS,
    EXPORT_SCHEMA,
    LINES,
    MARCH,
    STANDARD,
    STANDARD_STORAGE,
    STORAGE,
    create_table,
    insert_rows,
    line,
)
from finopsmetrics_cli.costs.api_sources import export_bigquery
from finopsmetrics_cli.costs.connectors.gcp_bigquery import (
    MAPPING_SQL,
    BillingTable,
    finish_months,
    mapping_sql,
)
from finopsmetrics_cli.errors import CostDataError, MissingExtraError
from local_bigquery import LocalBigQuery, local_bigquery, to_duckdb


@pytest.fixture()
def warehouse() -> Iterator[Any]:
    """DuckDB holding a standard and a detailed billing export."""
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    create_table(db, "standard_export", EXPORT_COLUMNS, LINES)
    create_table(
        db,
        "detailed_export",
        DETAILED_COLUMNS,
        [
            line(
                "2024-03-03T08:00:00",
                COMPUTE,
                CORE,
                "web-prod",
                0.75,
                **MARCH,
                resource=(
                    "web-1",
                    "//compute.googleapis.com/projects/web-prod/zones/"
                    "us-central1-a/instances/1234567890",
                ),
                list_cost=0.9,
                usage=(3600, "seconds", 1, "hour"),
            ),
        ],
    )
    yield db
    db.close()


def _map_in_duckdb(db: Any, table: str, columns: set[str], since: datetime | None) -> Any:
    sql = to_duckdb(mapping_sql(table, columns), {})
    return db.sql(sql, params={"since_export_time": since}).to_arrow_table()


def _focus(path: Path) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        "SELECT CAST(ChargePeriodStart AS DATE), CAST(BillingPeriodStart AS DATE), ChargeCategory, "
        "ServiceName, SubAccountId, BilledCost, EffectiveCost, ConsumedQuantity, Tags "
        f"FROM read_parquet('{path}') ORDER BY ALL"
    ).fetchall()


def test_mapping_sql_gives_daily_focus_rows_with_credits_and_merged_labels(
    warehouse: Any, tmp_path: Path
) -> None:
    mapped = _map_in_duckdb(warehouse, "standard_export", set(), None)
    finished = finish_months(
        mapped, source="gcp", where=BillingTable.parse(STANDARD), dest_dir=tmp_path
    )
    assert finished is not None
    files, mark = finished
    assert mark == datetime(2024, 4, 2, 6)  # naive UTC
    assert [(f.uri, f.billing_period) for f in files] == [
        (f"bigquery://{STANDARD}/2024-03", "2024-03"),
        (f"bigquery://{STANDARD}/2024-04", "2024-04"),
    ]
    web = {"env": "production", "cc": "42", "team": "web"}  # resource labels win over project's
    assert _focus(files[0].path) == [
        (
            date(2024, 2, 29),
            date(2024, 3, 1),
            "Usage",
            "Cloud Storage",
            "data-lake",
            Decimal("0.02"),
            Decimal("0.02"),
            Decimal("0"),
            {},
        ),
        (
            date(2024, 3, 1),
            date(2024, 3, 1),
            "Credit",
            "Compute Engine",
            "web-prod",
            Decimal("-0.5"),
            Decimal("-0.5"),
            None,
            web,
        ),
        (
            date(2024, 3, 1),
            date(2024, 3, 1),
            "Usage",
            "Cloud Storage",
            "data-lake",
            Decimal("0.1"),
            Decimal("0.1"),
            Decimal("2500000000000"),
            {},
        ),
        (
            date(2024, 3, 1),
            date(2024, 3, 1),
            "Usage",
            "Compute Engine",
            "web-prod",
            Decimal("2.5"),
            Decimal("2.5"),
            Decimal("7200"),
            web,
        ),
        (
            date(2024, 3, 2),
            date(2024, 3, 1),
            "Tax",
            "Invoice",
            "web-prod",
            Decimal("0.35"),
            Decimal("0.35"),
            Decimal("0"),
            {},
        ),
    ]
    assert _focus(files[1].path) == [
        (
            date(2024, 4, 1),
            date(2024, 4, 1),
            "Usage",
            "Compute Engine",
            "web-prod",
            Decimal("0.5"),
            Decimal("0.5"),
            Decimal("1800"),
            {"team": "web"},
        ),
    ]
    [row] = duckdb.sql(
        "SELECT ProviderName, BillingAccountId, SkuId, ChargeDescription, RegionId, "
        "AvailabilityZone, PricingQuantity, PricingUnit, ConsumedUnit, ResourceId, "
        "CAST(ChargePeriodEnd AS DATE), CAST(BillingPeriodEnd AS DATE), BillingCurrency "
        f"FROM read_parquet('{files[1].path}')"
    ).fetchall()
    assert row == (
        "Google Cloud",
        "0A1B2C-3D4E5F-6A7B8C",
        CORE[0],
        CORE[1],
        "us-central1",
        "us-central1-a",
        Decimal("0.5"),
        "hour",
        "seconds",
        None,
        date(2024, 4, 2),
        date(2024, 5, 1),
        "USD",
    )
    [(total,)] = duckdb.sql(
        f"SELECT sum(BilledCost) FROM read_parquet({[str(f.path) for f in files]})"
    ).fetchall()
    export_total = sum(
        Decimal(str(line["cost"])) + sum(Decimal(str(c["amount"])) for c in line["credits"])
        for line in LINES
    )
    assert total == export_total == Decimal("2.97")  # costs 3.47, credits -0.5


def test_mapping_is_incremental_on_export_time_by_whole_invoice_month(
    warehouse: Any, tmp_path: Path
) -> None:
    since = datetime(2024, 3, 5, tzinfo=UTC)
    mapped = _map_in_duckdb(warehouse, "standard_export", set(), since)
    assert set(mapped["invoice_month"].to_pylist()) == {"202404"}
    warehouse.execute(
        "INSERT INTO standard_export SELECT * REPLACE (TIMESTAMPTZ '2024-04-03 00:00:00+00' "
        "AS export_time, 0.01 AS cost, [] AS credits) FROM standard_export "
        "WHERE invoice.month = '202403' LIMIT 1"
    )  # a late correction to March
    mapped = _map_in_duckdb(
        warehouse, "standard_export", set(), datetime(2024, 4, 2, 6, tzinfo=UTC)
    )
    assert set(mapped["invoice_month"].to_pylist()) == {"202403"}  # March again, whole
    assert sum(mapped["BilledCost"].to_pylist()) == Decimal("2.48")  # 2.47 + the 0.01
    nothing = _map_in_duckdb(warehouse, "standard_export", set(), datetime(2025, 1, 1, tzinfo=UTC))
    assert nothing.num_rows == 0
    assert (
        finish_months(nothing, source="gcp", where=BillingTable.parse(STANDARD), dest_dir=tmp_path)
        is None
    )


def test_detailed_export_brings_resources_and_list_cost(warehouse: Any, tmp_path: Path) -> None:
    columns = {"resource", "resource.name", "resource.global_name", "cost_at_list"}
    mapped = _map_in_duckdb(warehouse, "detailed_export", columns, None)
    finished = finish_months(
        mapped, source="gcp", where=BillingTable.parse(DETAILED), dest_dir=tmp_path
    )
    assert finished is not None
    [(resource_id, name, list_cost, billed)] = duckdb.sql(
        "SELECT ResourceId, ResourceName, ListCost, BilledCost "
        f"FROM read_parquet('{finished[0][0].path}')"
    ).fetchall()
    assert (resource_id, name, list_cost, billed) == (
        "//compute.googleapis.com/projects/web-prod/zones/us-central1-a/instances/1234567890",
        "web-1",
        Decimal("0.9"),
        Decimal("0.75"),
    )
    assert "resource.global_name" not in mapping_sql("t", set())
    assert MAPPING_SQL.count("{table}") == 1


# --- the client path: google-cloud-bigquery against a local REST endpoint ---------------------


@pytest.fixture()
def bigquery(warehouse: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBigQuery]:
    server = LocalBigQuery(
        warehouse,
        {
            STANDARD: ("standard_export", EXPORT_SCHEMA),
            DETAILED: ("detailed_export", DETAILED_SCHEMA),
        },
    )
    with local_bigquery(server) as running:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", running.endpoint)
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        yield running


def test_client_sends_the_mapping_sql_and_export_time_and_reads_every_page(
    bigquery: LocalBigQuery, tmp_path: Path
) -> None:
    bigquery.page_size = 2
    since = datetime(2024, 2, 1, tzinfo=UTC)
    files, mark = export_bigquery(
        source="gcp", table=STANDARD, since_export_time=since, dest_dir=tmp_path
    )
    assert mark == datetime(2024, 4, 2, 6)
    [query] = [r["body"] for r in bigquery.requests if r["path"].endswith("/queries")]
    assert query["query"] == mapping_sql(BillingTable.parse(STANDARD), set())
    assert "`acme-billing.billing.gcp_billing_export_v1_0A1B2C_3D4E5F_6A7B8C`" in query["query"]
    assert query["queryParameters"] == [
        {
            "name": "since_export_time",
            "parameterType": {"type": "TIMESTAMP"},
            "parameterValue": {"value": "2024-02-01 00:00:00+00:00"},
        }
    ]
    assert query["useLegacySql"] is False
    calls = [(r["method"], r["path"]) for r in bigquery.requests]
    table_path = "/projects/acme-billing/datasets/billing/tables/" + STANDARD.rsplit(".", 1)[1]
    [job] = bigquery.results
    assert calls == [
        ("GET", table_path),  # tables.get: which columns this export has
        ("POST", "/projects/acme-billing/queries"),  # jobs.query, first page
        ("GET", f"/projects/acme-billing/jobs/{job}"),  # jobs.get, as more pages follow
        ("GET", f"/projects/acme-billing/queries/{job}"),  # jobs.getQueryResults, pages 2, 3
        ("GET", f"/projects/acme-billing/queries/{job}"),
    ]
    pages = [r for r in bigquery.requests if r["params"].get("pageToken")]
    assert [r["params"]["pageToken"] for r in pages] == ["2", "4"]  # 6 rows, 2 a page
    # the same rows as the mapping run directly
    direct = tmp_path / "direct"
    expected = finish_months(
        bigquery.db.sql(
            to_duckdb(
                mapping_sql(BillingTable.parse(STANDARD), set()), {STANDARD: "standard_export"}
            ),
            params={"since_export_time": since},
        ).to_arrow_table(),
        source="gcp",
        where=BillingTable.parse(STANDARD),
        dest_dir=direct,
    )
    assert expected is not None
    assert [_focus(f.path) for f in files] == [_focus(f.path) for f in expected[0]]
    assert [f.fingerprint for f in files] == [f.fingerprint for f in expected[0]]


def test_client_path_with_nothing_new_keeps_the_mark(
    bigquery: LocalBigQuery, tmp_path: Path
) -> None:
    mark = datetime(2024, 4, 2, 15, tzinfo=timezone(timedelta(hours=9)))  # 06:00 UTC
    assert export_bigquery(
        source="gcp", table=STANDARD, since_export_time=mark, dest_dir=tmp_path
    ) == ([], datetime(2024, 4, 2, 6))  # the same moment, as naive UTC
    [query] = [r["body"] for r in bigquery.requests if r["path"].endswith("/queries")]
    assert query["queryParameters"][0]["parameterValue"] == {"value": "2024-04-02 06:00:00+00:00"}


def test_client_path_uses_detailed_columns_the_table_has(
    bigquery: LocalBigQuery, tmp_path: Path
) -> None:
    [month], _ = export_bigquery(
        source="gcp", table=DETAILED, since_export_time=None, dest_dir=tmp_path
    )
    [query] = [r["body"] for r in bigquery.requests if r["path"].endswith("/queries")]
    assert "resource.global_name AS ResourceId" in query["query"]
    assert "cost_at_list" in query["query"]
    assert duckdb.sql(f"SELECT ResourceName FROM read_parquet('{month.path}')").fetchall() == [
        ("web-1",)
    ]


def test_missing_table_is_named(bigquery: LocalBigQuery, tmp_path: Path) -> None:
    with pytest.raises(CostDataError) as caught:
        export_bigquery(
            source="gcp",
            table="acme-billing.billing.nope",
            since_export_time=None,
            dest_dir=tmp_path,
        )
    assert caught.value.message == (
        "BigQuery table 'acme-billing.billing.nope' does not exist (or is not visible to these "
        "credentials)"
    )


def test_bad_table_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CostDataError) as caught:
        export_bigquery(
            source="gcp", table="billing_export", since_export_time=None, dest_dir=tmp_path
        )
    assert caught.value.message == "invalid BigQuery table 'billing_export'"


def test_missing_credentials_name_the_chain_tried(tmp_path: Path) -> None:
    # In a child: google-auth reads NO_GCE_CHECK at import, and the metadata server must
    # not be probed from here (it is not a loopback address).
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from finopsmetrics_cli.costs.api_sources import export_bigquery\n"
        "from finopsmetrics_cli.errors import CostDataError\n"
        "try:\n"
        f"    export_bigquery(source='gcp', table={STANDARD!r}, since_export_time=None,\n"
        "                    dest_dir=Path(sys.argv[1]))\n"
        "except CostDataError as exc:\n"
        "    print(json.dumps([exc.message, exc.hint]))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOOGLE_", "GCLOUD_", "CLOUDSDK_", "BIGQUERY_"))
    }
    env.update(
        HOME=str(tmp_path),
        NO_GCE_CHECK="true",
        GCE_METADATA_HOST="127.0.0.1:9",
        GCE_METADATA_IP="127.0.0.1:9",
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    message, hint = json.loads(done.stdout)
    assert message == (
        f"no Google Cloud credentials found to read {STANDARD}; tried "
        "GOOGLE_APPLICATION_CREDENTIALS, the gcloud application default credentials "
        "(gcloud auth application-default login) and the metadata server of Compute Engine, "
        "GKE and Cloud Run"
    )
    assert hint == (
        "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
        "to a service account key file"
    )


@pytest.mark.parametrize(
    ("module", "package"),
    [("google.cloud.bigquery", "google-cloud-bigquery"), ("pyarrow", "pyarrow")],
)
def test_without_the_gcp_extra_the_package_to_install_is_named(
    module: str, package: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the client looks for pyarrow once, when its Arrow helpers are first imported: import
    # them now, or hiding pyarrow here leaves every later to_arrow() in this process broken
    import google.cloud.bigquery._pandas_helpers  # noqa: F401

    monkeypatch.setitem(sys.modules, module, None)
    parent, _, child = module.rpartition(".")
    if parent in sys.modules:  # `from google.cloud import bigquery` reads the attribute first
        monkeypatch.delattr(sys.modules[parent], child, raising=False)
    with pytest.raises(MissingExtraError) as caught:
        export_bigquery(source="gcp", table=STANDARD, since_export_time=None, dest_dir=tmp_path)
    assert caught.value.message == (
        f"reading the GCP billing export needs the Python package {package!r}, "
        "which is not installed"
    )
    assert caught.value.hint == "pip install 'finopsmetrics-cli[gcp]'"


def test_rows_without_an_invoice_month_count_in_their_usage_month(
    warehouse: Any, tmp_path: Path
) -> None:
    old = line("2018-05-20T03:00:00", STORAGE, STANDARD_STORAGE, "data-lake", 0.07,
                invoice="", exported="2018-05-21T00:00:00")  # fmt: skip
    old["invoice"] = {"month": None}
    warehouse.execute("DELETE FROM standard_export")
    insert_rows(warehouse, "standard_export", [old])
    mapped = _map_in_duckdb(warehouse, "standard_export", set(), None)
    finished = finish_months(
        mapped, source="gcp", where=BillingTable.parse(STANDARD), dest_dir=tmp_path
    )
    assert finished is not None
    [month] = finished[0]
    assert month.billing_period == "2018-05"
    assert _focus(month.path)[0][:3] == (date(2018, 5, 20), date(2018, 5, 1), "Usage")
