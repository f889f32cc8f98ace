"""The real billing samples in examples/cost-data: after `costs sync`, what the store
holds per provider is what the files bill, summed independently with the csv module."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from tests.integration.costs_helpers import AZURE, CUR, FOCUS, OCI, CostWorkspace, csv_sums


@pytest.fixture()
def ws(tmp_path: Path) -> CostWorkspace:
    ws = CostWorkspace(tmp_path)
    ws.declare(
        {"name": "focus-sample", "type": "focus", "location": str(FOCUS)},
        {"name": "aws-cur", "type": "aws_cur", "location": str(CUR)},
        {"name": "azure-ea", "type": "azure_export", "location": str(AZURE)},
        {"name": "oci", "type": "oci", "location": str(OCI)},
    )
    return ws


def test_totals_per_provider_equal_the_files_own_cost_columns(ws: CostWorkspace) -> None:
    results = ws.ok()
    assert [(r.source, r.rows, r.status) for r in results] == [
        ("aws-cur", 1281, "synced"),
        ("azure-ea", 27, "synced"),
        ("focus-sample", 1000, "synced"),
        ("oci", 506, "synced"),
    ]
    expected: Counter[tuple[str, str]] = Counter()
    for part in (
        csv_sums(FOCUS, "BilledCost", key="ProviderName", currency="BillingCurrency"),
        csv_sums(CUR, "lineItem/UnblendedCost", constant="AWS", currency="lineItem/CurrencyCode"),
        csv_sums(AZURE, "CostInBillingCurrency", constant="Microsoft",
                 currency="BillingCurrencyCode"),
        csv_sums(OCI, "cost/myCost", constant="Oracle", currency="cost/currencyCode"),
    ):  # fmt: skip
        expected.update(part)
    stored = ws.rows(
        'SELECT "ProviderName", "BillingCurrency", sum("BilledCost") FROM costs GROUP BY 1, 2'
    )
    assert {(p, c): t for p, c, t in stored} == dict(expected)
    assert sorted({k[0] for k in expected}) == ["AWS", "Microsoft", "Oracle"]


def test_focus_effective_cost_and_row_counts_per_provider(ws: CostWorkspace) -> None:
    ws.ok("focus-sample")
    effective = csv_sums(FOCUS, "EffectiveCost", key="ProviderName", currency="BillingCurrency")
    stored = ws.rows(
        'SELECT "ProviderName", "BillingCurrency", sum("EffectiveCost"), count(*) FROM costs '
        "GROUP BY 1, 2"
    )
    assert {(p, c): e for p, c, e, _ in stored} == effective
    assert {p: n for p, _, _, n in stored} == {"AWS": 942, "Microsoft": 51, "Oracle": 7}


def test_focus_nulls_timestamps_and_tags(ws: CostWorkspace) -> None:
    ws.ok("focus-sample")
    first = ws.rows(
        'SELECT "AvailabilityZone", "ChargePeriodStart", "BillingPeriodStart", "ServiceName", '
        '"ChargeCategory", "Tags" FROM costs WHERE "ResourceId" = ?',
        ["arn:ats:sqs:us-test-2:347410479675:mibelllmel-i-032l64f2065481b12"],
    )[0]
    assert first[0] is None  # written NULL in the file
    assert str(first[1]) == "2024-09-18 22:00:00"
    assert str(first[2]) == "2024-09-01 00:00:00"
    assert first[3:5] == ("Amazon Simple Queue Service", "Usage")
    tagged = ws.rows('SELECT count(*) FROM costs WHERE "Tags" IS NOT NULL')[0][0]
    assert tagged == 711
    # keys are trimmed: the file's " org" is the tag org (the first of the two wins)
    keys = {k for (k,) in ws.rows('SELECT DISTINCT unnest(map_keys("Tags")) FROM costs')}
    assert "org" in keys and " org" not in keys
    expected = {}
    with FOCUS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tags = json.loads(row["Tags"]) if row["Tags"] not in ("", "NULL") else {}
            org = next((v for k, v in tags.items() if k.strip() == "org"), None)
            if org is not None:
                expected[row["Id"]] = org
    stored = ws.rows("""SELECT "Tags"['org'] FROM costs WHERE "Tags"['org'] IS NOT NULL""")
    assert sorted(v for (v,) in stored) == sorted(expected.values())


def test_focus_sample_of_unlisted_column_is_noted(ws: CostWorkspace) -> None:
    (result,) = ws.ok("focus-sample")
    assert result.notes == [
        f"{FOCUS}: column Id not in FOCUS 1.0-1.2 (a newer FOCUS version, or custom columns "
        "not named x_...): read as FOCUS 1.2; those columns are not kept"
    ]


def test_cur_azure_oci_mapped_columns(ws: CostWorkspace) -> None:
    ws.ok()
    cur = ws.rows(
        'SELECT DISTINCT "ChargeCategory", "BillingAccountId" IS NOT NULL, "SubAccountId" '
        "IS NOT NULL FROM costs WHERE \"x_Source\" = 'aws-cur' ORDER BY 1"
    )
    assert cur == [("Tax", True, True), ("Usage", True, True)]
    azure = ws.rows(
        'SELECT "ServiceName", "ChargePeriodStart", "ChargePeriodEnd", "Tags" FROM costs '
        "WHERE \"x_Source\" = 'azure-ea' LIMIT 1"
    )[0]
    assert azure[0] == "Virtual Network"
    assert (str(azure[1]), str(azure[2])) == ("2023-09-02 00:00:00", "2023-09-03 00:00:00")
    assert azure[3] == {"tagA": "valueA", "tagB": "valueB", "tagC": "valueC"}
    oci = ws.rows(
        'SELECT min("ChargePeriodStart"), max("ChargePeriodEnd"), min("BillingPeriodStart"), '
        'count("Tags") FROM costs WHERE "x_Source" = \'oci\''
    )[0]
    assert [str(v) for v in oci[:3]] == [
        "2023-11-13 05:00:00", "2023-11-13 12:00:00", "2023-11-01 00:00:00"
    ]
    assert oci[3] > 0
    periods = ws.rows("SELECT source, billing_period, rows FROM synced_periods ORDER BY 1, 2")
    assert [(s, f"{p:%Y-%m}", n) for s, p, n in periods] == [
        ("aws-cur", "2023-11", 1281),
        ("azure-ea", "2023-09", 27),
        ("focus-sample", "2024-09", 999),
        ("focus-sample", "2024-10", 1),
        ("oci", "2023-11", 506),
    ]
