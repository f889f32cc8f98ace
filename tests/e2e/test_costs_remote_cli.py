"""`costs sync` through the CLI from S3 (moto), Azure Blob Storage (Azurite), Cost Explorer
(moto) and the BigQuery billing export (a local BigQuery REST endpoint)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import duckdb  # noqa: TID251 - sums the raw sample files independently
import pytest
import requests

from billing_export import (
    COMPUTE,
    CORE,
    EXPORT_COLUMNS,
    EXPORT_SCHEMA,
    LINES,
    STANDARD,
    create_table,
    insert_rows,
    line,
)
from local_bigquery import LocalBigQuery, local_bigquery
from local_servers import Azurite, MotoServer

SAMPLES = Path("/work/shared/data/cost-samples")
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SAMPLES = REPO / "examples" / "cost-data"
FINOPSMETRICS = Path(sys.executable).with_name("finopsmetrics")


def _sample(kind: str, name: str) -> Path:
    """A billing sample kept in examples/ (or the shared copy it was taken from)."""
    for path in (EXAMPLE_SAMPLES / kind / name, SAMPLES / name):
        if path.is_file():
            return path
    pytest.fail(f"billing sample {name} not found in {EXAMPLE_SAMPLES / kind}")


FOCUS = _sample("focus", "focus-1.0_focus_sample.csv")
AZURE_EA = _sample("azure-ea", "focus_converters_azure-ea_sample-anonymous-ea-export-dataset.csv")


def _cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FINOPSMETRICS), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )  # fmt: skip


def _totals(cwd: Path) -> dict[str, tuple[Decimal, int]]:
    done = _cli(
        "costs", "query", "--costs", "costs.duckdb", "--format", "json",
        "SELECT x_Source AS source, CAST(sum(BilledCost) AS VARCHAR) AS total, count(*) AS n "
        "FROM costs GROUP BY 1 ORDER BY 1",
        cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    return {r["source"]: (Decimal(r["total"]), r["n"]) for r in rows}


def _raw(sql: str) -> tuple[Decimal, int]:
    [(total, count)] = duckdb.sql(sql).fetchall()
    return Decimal(str(total)), int(count)


def test_sources_in_s3_azure_and_cost_explorer_sync_through_the_cli(
    aws: MotoServer, azure_blob: Azurite, tmp_path: Path
) -> None:
    from azure.storage.blob import BlobServiceClient

    from finopsmetrics_cli.costs.aws import aws_client

    s3 = aws_client("s3", "test")
    s3.create_bucket(Bucket="acme-billing")
    s3.put_object(
        Bucket="acme-billing", Key="focus/2024-09/part-0.csv.gz",
        Body=gzip.compress(FOCUS.read_bytes()),
    )  # fmt: skip
    container_name = f"exports-{uuid.uuid4().hex[:12]}"  # Azurite lives for the session
    container = BlobServiceClient.from_connection_string(
        azure_blob.connection_string
    ).get_container_client(container_name)
    container.create_container()
    container.upload_blob("costs/202309/actual.csv", AZURE_EA.read_bytes())
    response = requests.post(
        f"{aws.endpoint}/moto-api/static/ce/cost-and-usage-results",
        json={"results": [{
            "ResultsByTime": [{
                "TimePeriod": {"Start": "2024-09-01", "End": "2024-09-02"},
                "Groups": [{
                    "Keys": ["Amazon Simple Storage Service", "111111111111"],
                    "Metrics": {"UnblendedCost": {"Amount": "12.5", "Unit": "USD"}},
                }],
            }],
            "DimensionValueAttributes": [],
        }]},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 201
    (tmp_path / "finopsmetrics.yaml").write_text(
        "version: 1\n"
        "cost_sources:\n"
        "  - name: focus-s3\n"
        "    type: focus\n"
        "    location: s3://acme-billing/focus/\n"
        "  - name: ea-blob\n"
        "    type: azure_export\n"
        f"    location: azure://{azure_blob.account}/{container_name}/costs/\n"
        "  - name: aws-ce\n"
        "    type: aws_cost_explorer\n"
    )
    first = _cli("costs", "sync", "finopsmetrics.yaml", "--costs", "costs.duckdb", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["aws-ce", "ea-blob", "focus-s3"], lines

    totals = _totals(tmp_path)
    assert totals["focus-s3"] == _raw(
        "SELECT sum(CAST(BilledCost AS DECIMAL(38, 10))), count(*) "
        f"FROM read_csv('{FOCUS}', all_varchar = true, nullstr = 'NULL')"
    )
    assert totals["ea-blob"] == _raw(
        "SELECT sum(CAST(CostInBillingCurrency AS DECIMAL(38, 10))), count(*) "
        f"FROM read_csv('{AZURE_EA}', all_varchar = true)"
    )
    assert totals["aws-ce"] == (Decimal("12.5"), 1)

    again = _cli(
        "costs", "sync", "finopsmetrics.yaml", "--costs", "costs.duckdb",
        "--source", "focus-s3", "--source", "ea-blob", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert [line.split(",")[0] for line in again.stdout.splitlines()] == [
        "ea-blob: unchanged (1 file)",
        "focus-s3: unchanged (1 file)",
    ]


def test_a_missing_bucket_fails_that_source_with_its_name(aws: MotoServer, tmp_path: Path) -> None:
    (tmp_path / "finopsmetrics.yaml").write_text(
        "version: 1\n"
        "cost_sources:\n"
        "  - name: cur\n"
        "    type: aws_cur\n"
        "    location: s3://no-such-billing/cur/\n"
    )
    done = _cli("costs", "sync", "finopsmetrics.yaml", "--costs", "costs.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "S3 bucket 'no-such-billing' does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_gcp_billing_export_syncs_incrementally_through_the_cli(tmp_path: Path) -> None:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    create_table(db, "standard_export", EXPORT_COLUMNS, LINES)
    server = LocalBigQuery(db, {STANDARD: ("standard_export", EXPORT_SCHEMA)})
    (tmp_path / "finopsmetrics.yaml").write_text(
        "version: 1\n"
        "cost_sources:\n"
        "  - name: gcp\n"
        "    type: gcp_bigquery\n"
        f"    location: {STANDARD}\n"
    )
    sync = ("costs", "sync", "finopsmetrics.yaml", "--costs", "costs.duckdb")

    def parameters() -> list[str]:
        return [
            r["body"]["queryParameters"][0]["parameterValue"].get("value")
            for r in server.requests
            if r["path"].endswith("/queries") and r["method"] == "POST"
        ]

    with local_bigquery(server):
        # east of UTC, where a mark stored with its offset would skip rows
        env = {"BIGQUERY_EMULATOR_HOST": server.endpoint, "TZ": "Asia/Tokyo"}
        first = _cli(*sync, cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert _totals(tmp_path)["gcp"] == (Decimal("2.97"), 6)
        # a late correction to March, exported after the last sync's mark
        insert_rows(db, "standard_export", [
            line("2024-03-09T10:00:00", COMPUTE, CORE, "web-prod", 0.01, invoice="202403",
                 exported="2024-04-02T07:00:00"),
        ])  # fmt: skip
        second = _cli(*sync, cwd=tmp_path, env=env)
        assert second.returncode == 0, second.stderr
        assert _totals(tmp_path)["gcp"] == (Decimal("2.98"), 7)
        third = _cli(*sync, cwd=tmp_path, env=env)
        assert third.returncode == 0, third.stderr
        assert _totals(tmp_path)["gcp"] == (Decimal("2.98"), 7)
    assert parameters() == [None, "2024-04-02 06:00:00+00:00", "2024-04-02 07:00:00+00:00"]
