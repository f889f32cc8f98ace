"""Bad billing files: each is a clear message naming the file (and row where there is
one), the source fails, and the store keeps exactly what it had."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from tests.integration.costs_helpers import FOCUS, CostWorkspace

from finopsmetrics_cli.errors import ValidationFailed

HEADER = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ProviderName,ServiceName\n"
GOOD = "1.5,1.0,USD,2024-03-01,AWS,Amazon EC2\n2.5,2.0,USD,2024-03-02,AWS,Amazon S3\n"


@pytest.fixture()
def ws(tmp_path: Path) -> CostWorkspace:
    """A workspace whose source `bills` (FOCUS files under bills/) has synced once."""
    ws = CostWorkspace(tmp_path)
    (tmp_path / "bills").mkdir()
    (tmp_path / "bills" / "a.csv").write_text(HEADER + GOOD)
    ws.declare({"name": "bills", "type": "focus", "location": "bills/"})
    ws.ok()
    return ws


def fails(ws: CostWorkspace, name: str, content: bytes | str) -> tuple[str, str | None]:
    """Add ``name`` under bills/, sync, and return the error (message, hint); the store
    must be unchanged."""
    before = ws.snapshot()
    path = ws.root / "bills" / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    (result,) = ws.sync()
    assert result.status == "failed" and result.error is not None
    assert result.line().startswith("bills: failed, nothing changed (")
    assert ws.snapshot() == before
    return result.error.message, result.error.hint


def test_non_numeric_cost_names_file_and_line(ws: CostWorkspace) -> None:
    message, hint = fails(ws, "b.csv", HEADER + GOOD + "12,abc,USD,2024-03-03,AWS,x\n")
    assert message == f"{ws.root}/bills/b.csv:4: EffectiveCost is not a number: 'abc'"
    assert hint == "cost and quantity columns hold plain numbers such as 12.5"


def test_unparseable_date_names_file_and_line(ws: CostWorkspace) -> None:
    message, hint = fails(ws, "b.csv", HEADER + "1,1,USD,yesterday,AWS,x\n")
    assert message == (
        f"{ws.root}/bills/b.csv:2: ChargePeriodStart is not a date/time: 'yesterday'"
    )
    assert hint == "dates are ISO 8601 (2024-03-01 or 2024-03-01T00:00:00Z)"


def test_missing_cost_column(ws: CostWorkspace) -> None:
    message, hint = fails(
        ws, "b.csv", "EffectiveCost,BillingCurrency,ChargePeriodStart\n1,USD,2024-03-01\n"
    )
    assert message == f"{ws.root}/bills/b.csv: missing column BilledCost"
    assert hint == "is this a FOCUS 1.0-1.2 export file? check the cost_source's type"


def test_cur_missing_cost_column_names_both_spellings(tmp_path: Path) -> None:
    ws = CostWorkspace(tmp_path)
    bad = tmp_path / "cur.csv"
    bad.write_text("lineItem/UsageStartDate,lineItem/CurrencyCode\n2024-03-01T00:00:00Z,USD\n")
    ws.declare({"name": "cur", "type": "aws_cur", "location": str(bad)})
    (result,) = ws.sync()
    assert result.error is not None
    assert result.error.message == (
        f"{bad}: missing column for BilledCost: none of lineItem/NetUnblendedCost, "
        "lineItem/UnblendedCost"
    )
    assert not ws.rows("SELECT * FROM cost_rows")


def test_binary_file_is_not_csv_or_parquet(ws: CostWorkspace) -> None:
    message, hint = fails(ws, "b.csv", bytes(range(256)) * 8)
    assert message == (
        f"{ws.root}/bills/b.csv: this is not a CSV or Parquet file (it holds binary data)"
    )
    assert hint == "cost files are CSV (plain or gzip) or Parquet"


def test_zip_archive_is_refused(ws: CostWorkspace) -> None:
    message, _ = fails(ws, "b.zip", b"PK\x03\x04" + b"\x00" * 100)
    assert message == f"{ws.root}/bills/b.zip: this is a zip archive, not CSV or Parquet"


def test_truncated_gzip(ws: CostWorkspace) -> None:
    data = gzip.compress(FOCUS.read_bytes())
    message, hint = fails(ws, "b.csv.gz", data[: len(data) // 2])
    assert message == f"{ws.root}/bills/b.csv.gz: the gzip data is truncated or corrupt"
    assert hint == "download the file again"


def test_truncated_gzip_early(ws: CostWorkspace) -> None:
    data = gzip.compress(FOCUS.read_bytes())
    message, _ = fails(ws, "b.csv.gz", data[:200])
    assert message == f"{ws.root}/bills/b.csv.gz: the gzip data is truncated or corrupt"


def test_ragged_csv_row(ws: CostWorkspace) -> None:
    message, _ = fails(ws, "b.csv", HEADER + GOOD + "1,1,USD\n")
    assert message.startswith(f"{ws.root}/bills/b.csv:4: malformed CSV row")


def test_mixed_currencies_in_one_source(ws: CostWorkspace) -> None:
    message, hint = fails(ws, "b.csv", HEADER + "3,3,EUR,2024-04-01,AWS,x\n")
    assert message == (
        f"{ws.root}/bills/b.csv:2: BillingCurrency is EUR, but source 'bills' bills in USD: "
        "mixed currencies in one source"
    )
    assert hint == (
        "declare one cost_source per billing currency (for example one per billing account)"
    )


def test_bad_file_leaves_other_sources_synced(ws: CostWorkspace) -> None:
    (ws.root / "other.csv").write_text(HEADER + "7,7,USD,2024-05-01,GCP,BigQuery\n")
    ws.declare(
        {"name": "bills", "type": "focus", "location": "bills/"},
        {"name": "other", "type": "focus", "location": "other.csv"},
    )
    (ws.root / "bills" / "b.csv").write_text(HEADER + "x,1,USD,2024-03-01,AWS,x\n")
    bills, other = ws.sync()
    assert bills.error is not None and other.error is None
    assert other.line().startswith("other: 1 rows, 2024-05, ")
    assert ws.rows('SELECT "x_Source", count(*) FROM costs GROUP BY 1 ORDER BY 1') == [
        ("bills", 2), ("other", 1)
    ]


def test_empty_file_is_a_warning(ws: CostWorkspace) -> None:
    (ws.root / "bills" / "empty.csv").write_text("")
    (ws.root / "bills" / "header-only.csv").write_text(HEADER)
    (result,) = ws.ok()
    assert result.warnings == [
        f"{ws.root}/bills/empty.csv: empty file, no rows",
        f"{ws.root}/bills/header-only.csv: empty file, no rows",
    ]
    assert ws.rows("SELECT count(*) FROM costs") == [(2,)]
    (again,) = ws.ok()  # recorded: not read again
    assert again.status == "unchanged" and again.files_skipped == 3


def test_unknown_focus_version_accepted_with_a_note(tmp_path: Path) -> None:
    ws = CostWorkspace(tmp_path)
    newer = tmp_path / "focus-1.3.csv"
    newer.write_text(
        "BilledCost,BillingCurrency,ChargePeriodStart,ServiceProviderName,HostProviderName\n"
        "4.25,USD,2025-01-10T00:00:00Z,Contoso Cloud,Contoso\n"
    )
    ws.declare({"name": "newer", "type": "focus", "location": str(newer)})
    (result,) = ws.ok()
    assert result.notes == [
        f"{newer}: columns HostProviderName, ServiceProviderName not in FOCUS 1.0-1.2 (a newer "
        "FOCUS version, or custom columns not named x_...): read as FOCUS 1.2; those columns are "
        "not kept"
    ]
    assert ws.rows('SELECT "ProviderName", "BilledCost"::VARCHAR FROM costs') == [
        ("Contoso Cloud", "4.2500000000")
    ]


def test_duplicate_source_names_fail_validation(tmp_path: Path) -> None:
    ws = CostWorkspace(tmp_path)
    ws.config.write_text(
        "cost_sources:\n"
        "  - name: aws\n    type: focus\n    location: a/\n"
        "  - name: aws\n    type: aws_cur\n    location: b/\n"
    )
    with pytest.raises(ValidationFailed) as info:
        ws.sync()
    assert str(info.value).startswith(
        f"{ws.config}:5:5: error[E106]: cost_source 'aws' is already declared at "
    )
    assert not ws.store.exists()


def test_bad_value_in_parquet_names_the_row(tmp_path: Path) -> None:
    import duckdb  # noqa: TID251 - the test writes a Parquet file

    ws = CostWorkspace(tmp_path)
    path = tmp_path / "bill.parquet"
    duckdb.sql(
        "COPY (SELECT CASE WHEN i = 41 THEN 'n/a' ELSE (i * 1.5)::VARCHAR END AS BilledCost, "
        "'USD' AS BillingCurrency, TIMESTAMP '2024-03-01' AS ChargePeriodStart "
        f"FROM range(100) r(i)) TO '{path}' (FORMAT parquet)"
    )
    ws.declare({"name": "pq", "type": "focus", "location": str(path)})
    (result,) = ws.sync()
    assert result.error is not None
    assert result.error.message == f"{path}:42: BilledCost is not a number: 'n/a'"
    assert not ws.store.exists() or not ws.rows("SELECT * FROM cost_rows")
