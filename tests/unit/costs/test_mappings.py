"""The mapping files: each loads, names only store columns, and compiles against the
header of a real export of its type (and reads FOCUS exports as FOCUS)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from finopsmetrics_cli.costs.focus import FOCUS_COLUMNS
from finopsmetrics_cli.costs.mapping import (
    FileColumns,
    MissingColumn,
    compile_select,
    load_mapping,
    mapping_for,
)

SAMPLES = Path(__file__).resolve().parents[3] / "examples" / "cost-data"
HEADERS = {  # the first CSV file of each sample folder
    source_type: next((SAMPLES / folder).glob("*.csv"))
    for source_type, folder in (
        ("focus", "focus"), ("aws_cur", "aws-cur"), ("azure_export", "azure-ea"), ("oci", "oci")
    )
}


def header(path: Path) -> FileColumns:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return FileColumns(dict.fromkeys(next(csv.reader(handle)), "VARCHAR"))


@pytest.mark.parametrize("source_type", sorted(HEADERS))
def test_mapping_compiles_against_a_real_header(source_type: str) -> None:
    mapping = load_mapping(source_type)
    assert mapping.type == source_type
    assert set(mapping.columns) <= {c.name for c in FOCUS_COLUMNS}
    select = compile_select(
        mapping, header(HEADERS[source_type]), source="s", uri="f.csv",
        ingested_at="2024-01-01 00:00:00",
    ).select_list  # fmt: skip
    for column in FOCUS_COLUMNS:
        assert f'AS "{column.name}"' in select


def test_required_column_missing_raises() -> None:
    with pytest.raises(MissingColumn) as info:
        compile_select(load_mapping("oci"), FileColumns({"cost/currencyCode": "VARCHAR"}),
                       source="s", uri="f", ingested_at="2024-01-01 00:00:00")  # fmt: skip
    assert (info.value.target, info.value.names) == ("BilledCost", ["cost/myCost"])


@pytest.mark.parametrize("source_type", ["aws_cur", "azure_export", "oci"])
def test_focus_exports_are_read_as_focus(source_type: str) -> None:
    focus = header(HEADERS["focus"])
    assert mapping_for(source_type, focus).type == "focus"
    assert mapping_for(source_type, header(HEADERS[source_type])).type == source_type


def test_azure_mca_camel_case_columns_are_found() -> None:
    mca = FileColumns(dict.fromkeys(
        ["costInBillingCurrency", "billingCurrency", "date", "subscriptionId", "meterCategory"],
        "VARCHAR",
    ))  # fmt: skip
    select = compile_select(load_mapping("azure_export"), mca, source="s", uri="f",
                            ingested_at="2024-01-01 00:00:00").select_list  # fmt: skip
    assert '"costInBillingCurrency"' in select and '"meterCategory"' in select
