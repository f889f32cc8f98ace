"""Incremental sync: unchanged files are skipped, a re-delivered month replaces that
month (nothing counted twice), a removed file takes its rows with it, --full rebuilds,
--since limits the months written, and other formats (gzip, Parquet, CUR 2.0) map alike."""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

import pytest
from tests.integration.costs_helpers import CostWorkspace

HEADER = "BilledCost,BillingCurrency,ChargePeriodStart,BillingPeriodStart,ServiceName\n"


def bill(month: str, *amounts: float, service: str = "EC2") -> str:
    rows = "".join(
        f"{a},USD,{month}-{i + 1:02d},{month}-01,{service}\n" for i, a in enumerate(amounts)
    )
    return HEADER + rows


def touch_later(path: Path) -> None:
    """A new mtime, as a re-delivered file has (the fingerprint is size and mtime)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.fixture()
def ws(tmp_path: Path) -> CostWorkspace:
    ws = CostWorkspace(tmp_path)
    (tmp_path / "bills").mkdir()
    (tmp_path / "bills" / "jan.csv").write_text(bill("2024-01", 1, 2))
    (tmp_path / "bills" / "feb.csv").write_text(bill("2024-02", 10, 20))
    ws.declare({"name": "bills", "type": "focus", "location": "bills/"})
    return ws


def monthly(ws: CostWorkspace) -> list[tuple[str, float, int]]:
    return [
        (f"{p:%Y-%m}", float(t), n)
        for p, t, n in ws.rows(
            'SELECT date_trunc(\'month\', "ChargePeriodStart")::DATE AS p, sum("BilledCost"), '
            "count(*) FROM costs GROUP BY p ORDER BY p"
        )
    ]


def test_second_sync_skips_unchanged_files(ws: CostWorkspace) -> None:
    (first,) = ws.ok()
    assert (first.rows, first.files_read, first.files_skipped) == (4, 2, 0)
    assert first.line().startswith("bills: 4 rows, 2024-01..2024-02, ")
    (second,) = ws.ok()
    assert second.status == "unchanged" and second.files_skipped == 2
    assert second.line() == f"bills: unchanged (2 files), {second.seconds:.1f} s"
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 30.0, 2)]


def test_redelivered_month_replaces_only_that_month(ws: CostWorkspace) -> None:
    ws.ok()
    feb = ws.root / "bills" / "feb.csv"
    feb.write_text(bill("2024-02", 10, 20, 30))  # restated: one more line
    touch_later(feb)
    (result,) = ws.ok()
    assert (result.periods, result.rows, result.files_read) == ([date(2024, 2, 1)], 3, 1)
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 60.0, 3)]
    jan_ingested = ws.rows(
        'SELECT DISTINCT "x_IngestedAt" FROM costs WHERE "x_SourceFile" LIKE \'%jan.csv\''
    )
    assert len(jan_ingested) == 1  # January was not rewritten


def test_month_split_across_files_is_rebuilt_from_all_of_them(ws: CostWorkspace) -> None:
    (ws.root / "bills" / "feb-part2.csv").write_text(bill("2024-02", 5))
    ws.ok()
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 35.0, 3)]
    part2 = ws.root / "bills" / "feb-part2.csv"
    part2.write_text(bill("2024-02", 7))
    touch_later(part2)
    (result,) = ws.ok()
    assert result.files_read == 2  # the changed part and the unchanged feb.csv
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 37.0, 3)]


def test_removed_file_takes_its_rows(ws: CostWorkspace) -> None:
    ws.ok()
    (ws.root / "bills" / "jan.csv").unlink()
    (result,) = ws.ok()
    assert result.periods == [date(2024, 1, 1)] and result.rows == 0
    assert monthly(ws) == [("2024-02", 30.0, 2)]
    assert ws.rows("SELECT billing_period FROM synced_periods") == [(date(2024, 2, 1),)]


def test_full_rebuilds_and_drops_undeclared_sources(ws: CostWorkspace) -> None:
    (ws.root / "other.csv").write_text(bill("2024-03", 100))
    ws.declare(
        {"name": "bills", "type": "focus", "location": "bills/"},
        {"name": "other", "type": "focus", "location": "other.csv"},
    )
    ws.ok()
    ws.declare({"name": "bills", "type": "focus", "location": "bills/"})
    (again,) = ws.ok()
    assert again.status == "unchanged"
    assert ws.rows('SELECT DISTINCT "x_Source" FROM costs ORDER BY 1') == [("bills",), ("other",)]
    results = ws.ok(full=True)
    assert [(r.source, r.status, r.rows) for r in results] == [
        ("bills", "synced", 4), ("other", "removed", 0)
    ]
    assert results[1].line() == "other: no longer declared, its rows were removed"
    assert ws.rows('SELECT DISTINCT "x_Source" FROM costs') == [("bills",)]
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 30.0, 2)]


def test_since_writes_only_later_months(ws: CostWorkspace) -> None:
    ws.ok()
    for name, amounts in (("jan.csv", (100,)), ("feb.csv", (1000,))):
        path = ws.root / "bills" / name
        path.write_text(bill(f"2024-0{1 if name == 'jan.csv' else 2}", *amounts))
        touch_later(path)
    (result,) = ws.ok(since=date(2024, 2, 15))
    assert result.periods == [date(2024, 2, 1)]
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 1000.0, 1)]
    (rest,) = ws.ok()  # January's file is still new to the store: read now
    assert rest.periods == [date(2024, 1, 1)]
    assert monthly(ws) == [("2024-01", 100.0, 1), ("2024-02", 1000.0, 1)]


def test_changing_a_sources_location_rebuilds_it(ws: CostWorkspace) -> None:
    ws.ok()
    (ws.root / "elsewhere").mkdir()
    (ws.root / "elsewhere" / "mar.csv").write_text(bill("2024-03", 9))
    ws.declare({"name": "bills", "type": "focus", "location": "elsewhere/"})
    ws.ok()
    assert monthly(ws) == [("2024-03", 9.0, 1)]


def test_disabled_source_is_skipped(ws: CostWorkspace) -> None:
    ws.declare({"name": "bills", "type": "focus", "location": "bills/", "enabled": False})
    (result,) = ws.ok()
    assert result.line() == "bills: disabled, skipped"
    assert not ws.store.exists()


def test_gzip_and_parquet_read_like_csv(ws: CostWorkspace) -> None:
    import duckdb  # noqa: TID251 - the test writes a Parquet file

    (ws.root / "bills" / "jan.csv").unlink()
    (ws.root / "bills" / "jan.csv.gz").write_bytes(gzip.compress(bill("2024-01", 1, 2).encode()))
    duckdb.sql(
        "COPY (SELECT 5.5::DECIMAL(12, 4) AS BilledCost, 'USD' AS BillingCurrency, "
        "TIMESTAMPTZ '2024-03-01 01:00:00+02' AS ChargePeriodStart, "
        "MAP {'team': 'web', 'env': ''} AS Tags) "
        f"TO '{ws.root / 'bills' / 'mar.parquet'}' (FORMAT parquet)"
    )
    ws.ok()
    assert monthly(ws) == [("2024-01", 3.0, 2), ("2024-02", 35.5, 3)]
    parquet = ws.rows(
        'SELECT "ChargePeriodStart"::VARCHAR, "Tags" FROM costs WHERE "BilledCost" = 5.5'
    )
    # 01:00 at +02:00 is 23:00 UTC the day before: the row belongs to February
    assert parquet == [("2024-02-29 23:00:00", {"team": "web"})]  # empty values dropped


def test_cur2_spellings_and_resource_tags_map(tmp_path: Path) -> None:
    import duckdb  # noqa: TID251 - the test writes a Parquet file

    ws = CostWorkspace(tmp_path)
    path = tmp_path / "cur2.parquet"
    duckdb.sql(
        "COPY (SELECT 'Usage' AS line_item_line_item_type, 0.25::DOUBLE AS "
        "line_item_unblended_cost, 'USD' AS line_item_currency_code, "
        "TIMESTAMP '2024-05-03' AS line_item_usage_start_date, "
        "TIMESTAMP '2024-05-01' AS bill_billing_period_start_date, '123' AS "
        "line_item_usage_account_id, 'AmazonEC2' AS line_item_product_code, "
        "MAP {'region': 'eu-west-1', 'product_name': 'Amazon Elastic Compute Cloud'} AS product, "
        "MAP {'user_team': 'web', 'user_env': 'prod'} AS resource_tags) "
        f"TO '{path}' (FORMAT parquet)"
    )
    ws.declare({"name": "cur2", "type": "aws_cur", "location": str(path)})
    ws.ok()
    assert ws.rows(
        'SELECT "BilledCost"::DOUBLE, "ChargeCategory", "SubAccountId", "RegionId", '
        '"ServiceName", "ServiceCategory", "Tags" FROM costs'
    ) == [(0.25, "Usage", "123", "eu-west-1", "Amazon Elastic Compute Cloud", "Compute",
           {"team": "web", "env": "prod"})]  # fmt: skip
