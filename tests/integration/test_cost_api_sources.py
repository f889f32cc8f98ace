"""API cost sources: AWS Cost Explorer against moto's server (results seeded through moto's API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb  # noqa: TID251 - reads the written files
import pytest
import requests

from finopsmetrics_cli.costs.api_sources import export_cost_explorer
from finopsmetrics_cli.costs.connectors import cost_explorer
from finopsmetrics_cli.costs.focus import FOCUS_COLUMNS
from finopsmetrics_cli.errors import CostDataError
from local_servers import MotoServer


def _metrics(unblended: str, net_amortized: str) -> dict[str, Any]:
    return {
        "UnblendedCost": {"Amount": unblended, "Unit": "USD"},
        "AmortizedCost": {"Amount": unblended, "Unit": "USD"},
        "NetAmortizedCost": {"Amount": net_amortized, "Unit": "USD"},
    }


def _day(day: str, end: str, *groups: tuple[list[str], str, str]) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day, "End": end},
        "Total": {},
        "Groups": [{"Keys": keys, "Metrics": _metrics(u, n)} for keys, u, n in groups],
        "Estimated": False,
    }


EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
ACCOUNTS = [
    {"Value": "111111111111", "Attributes": {"description": "prod"}},
    {"Value": "222222222222", "Attributes": {"description": "data"}},
]


def _seed(aws: MotoServer, *results: dict[str, Any]) -> None:
    """Queue Cost Explorer answers: moto gives them out in the order of distinct requests."""
    response = requests.post(
        f"{aws.endpoint}/moto-api/static/ce/cost-and-usage-results",
        json={"results": list(results)},
        timeout=10,
    )
    assert response.status_code == 201


@pytest.fixture()
def ce_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The parameters of every GetCostAndUsage call the connector makes (the real client)."""
    seen: list[dict[str, Any]] = []
    real = cost_explorer.aws_client

    def recording(service: str, purpose: str, **options: Any) -> Any:
        client = real(service, purpose, **options)
        client.meta.events.register(
            "provide-client-params.ce.GetCostAndUsage",
            lambda params, **_: seen.append(dict(params)),
        )
        return client

    monkeypatch.setattr(cost_explorer, "aws_client", recording)
    return seen


def _rows(path: Path) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        "SELECT BilledCost, EffectiveCost, BillingCurrency, CAST(ChargePeriodStart AS DATE), "
        "CAST(BillingPeriodStart AS DATE), ServiceName, SubAccountId, SubAccountName, Tags "
        f"FROM read_parquet('{path}') ORDER BY ALL"
    ).fetchall()


def test_cost_explorer_without_tags_is_one_paginated_call_per_month_file(
    aws: MotoServer, tmp_path: Path, ce_requests: list[dict[str, Any]]
) -> None:
    _seed(
        aws,
        {
            "ResultsByTime": [
                _day("2024-01-31", "2024-02-01", ([EC2, "111111111111"], "10.5", "9.25")),
            ],
            "DimensionValueAttributes": ACCOUNTS,
            "NextPageToken": "page-2",
        },
        {
            "ResultsByTime": [
                _day("2024-02-01", "2024-02-02", ([S3, "222222222222"], "0.0000012", "0.000001")),
            ],
            "DimensionValueAttributes": ACCOUNTS,
        },
    )
    files = export_cost_explorer(
        source="aws-ce",
        tag_keys=[],
        since=date(2024, 1, 15),
        until=date(2024, 2, 1),
        dest_dir=tmp_path,
    )
    assert [(f.uri, f.billing_period, f.fetch(tmp_path).name) for f in files] == [
        ("aws-cost-explorer://aws-ce/2024-01", "2024-01", "aws-ce.cost-explorer.2024-01.parquet"),
        ("aws-cost-explorer://aws-ce/2024-02", "2024-02", "aws-ce.cost-explorer.2024-02.parquet"),
    ]
    assert [r["TimePeriod"] for r in ce_requests] == [
        {"Start": "2024-01-01", "End": "2024-03-01"}
    ] * 2
    assert ce_requests[0] == {
        "TimePeriod": {"Start": "2024-01-01", "End": "2024-03-01"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost", "NetAmortizedCost"],
        "GroupBy": [
            {"Type": "DIMENSION", "Key": "SERVICE"},
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
        ],
    }
    assert ce_requests[1] == {**ce_requests[0], "NextPageToken": "page-2"}
    assert _rows(files[0].path) == [
        (
            Decimal("10.5"),
            Decimal("9.25"),
            "USD",
            date(2024, 1, 31),
            date(2024, 1, 1),
            EC2,
            "111111111111",
            "prod",
            {},
        ),
    ]
    assert _rows(files[1].path) == [
        (
            Decimal("0.0000012"),
            Decimal("0.000001"),
            "USD",
            date(2024, 2, 1),
            date(2024, 2, 1),
            S3,
            "222222222222",
            "data",
            {},
        ),
    ]
    columns = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{files[0].path}')").fetchall()
    assert [(c[0], c[1].replace(" ", "")) for c in columns] == [
        (c.name, c.sql_type.replace(" ", "")) for c in FOCUS_COLUMNS
    ]
    [(provider, resource)] = duckdb.sql(
        f"SELECT ProviderName, ResourceId FROM read_parquet('{files[0].path}')"
    ).fetchall()
    assert (provider, resource) == ("AWS", None)


def test_cost_explorer_tags_come_through_nested_calls_that_keep_totals(
    aws: MotoServer, tmp_path: Path, ce_requests: list[dict[str, Any]]
) -> None:
    _seed(
        aws,
        # level 0: service x account, the accounts to nest over
        {
            "ResultsByTime": [
                _day(
                    "2024-01-31",
                    "2024-02-01",
                    ([EC2, "111111111111"], "10.5", "10.5"),
                    ([S3, "222222222222"], "2.25", "2"),
                ),
            ],
            "DimensionValueAttributes": ACCOUNTS,
        },
        # level 1, account 111: service x team (two pages)
        {
            "ResultsByTime": [
                _day(
                    "2024-01-31",
                    "2024-02-01",
                    ([EC2, "team$web"], "7.5", "7.5"),
                    ([EC2, "team$"], "3", "3"),
                ),
            ],
            "NextPageToken": "111-page-2",
        },
        {"ResultsByTime": [_day("2024-02-01", "2024-02-02", ([EC2, "team$web"], "4", "4"))]},
        # level 1, account 222
        {"ResultsByTime": [_day("2024-01-31", "2024-02-01", ([S3, "team$data"], "2.25", "2"))]},
        # level 2, (111, team=) then (111, team=web) then (222, team=data): service x env
        {"ResultsByTime": [_day("2024-01-31", "2024-02-01", ([EC2, "env$"], "3", "3"))]},
        {
            "ResultsByTime": [
                _day(
                    "2024-01-31",
                    "2024-02-01",
                    ([EC2, "env$prod"], "5", "5"),
                    ([EC2, "env$dev"], "2.5", "2.5"),
                ),
                _day("2024-02-01", "2024-02-02", ([EC2, "env$prod"], "4", "4")),
            ]
        },
        {"ResultsByTime": [_day("2024-01-31", "2024-02-01", ([S3, "env$prod"], "2.25", "2"))]},
    )
    files = export_cost_explorer(
        source="aws-ce",
        tag_keys=["team", "env"],
        since=date(2024, 1, 1),
        until=date(2024, 2, 1),
        dest_dir=tmp_path,
    )
    assert [f.billing_period for f in files] == ["2024-01", "2024-02"]
    assert _rows(files[0].path) == [
        (
            Decimal("2.25"),
            Decimal("2"),
            "USD",
            date(2024, 1, 31),
            date(2024, 1, 1),
            S3,
            "222222222222",
            "data",
            {"team": "data", "env": "prod"},
        ),
        (
            Decimal("2.5"),
            Decimal("2.5"),
            "USD",
            date(2024, 1, 31),
            date(2024, 1, 1),
            EC2,
            "111111111111",
            "prod",
            {"team": "web", "env": "dev"},
        ),
        (
            Decimal("3"),
            Decimal("3"),
            "USD",
            date(2024, 1, 31),
            date(2024, 1, 1),
            EC2,
            "111111111111",
            "prod",
            {},
        ),
        (
            Decimal("5"),
            Decimal("5"),
            "USD",
            date(2024, 1, 31),
            date(2024, 1, 1),
            EC2,
            "111111111111",
            "prod",
            {"team": "web", "env": "prod"},
        ),
    ]
    assert _rows(files[1].path) == [
        (
            Decimal("4"),
            Decimal("4"),
            "USD",
            date(2024, 2, 1),
            date(2024, 2, 1),
            EC2,
            "111111111111",
            "prod",
            {"team": "web", "env": "prod"},
        ),
    ]
    filters = [r.get("Filter") for r in ce_requests if "NextPageToken" not in r]
    account = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["111111111111"]}}
    other = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["222222222222"]}}
    assert filters == [
        None,
        account,
        other,
        {"And": [account, {"Tags": {"Key": "team", "MatchOptions": ["ABSENT"]}}]},
        {
            "And": [
                account,
                {"Tags": {"Key": "team", "Values": ["web"], "MatchOptions": ["EQUALS"]}},
            ]
        },
        {"And": [other, {"Tags": {"Key": "team", "Values": ["data"], "MatchOptions": ["EQUALS"]}}]},
    ]
    assert [r["GroupBy"][1]["Key"] for r in ce_requests] == [
        "LINKED_ACCOUNT",
        "team",
        "team",
        "team",
        "env",
        "env",
        "env",
    ]


def test_cost_explorer_files_are_identical_when_the_data_is(
    aws: MotoServer, tmp_path: Path
) -> None:
    page = {
        "ResultsByTime": [
            _day(
                "2024-01-30",
                "2024-01-31",
                ([EC2, "111111111111"], "1", "1"),
                ([S3, "111111111111"], "2", "2"),
            ),
        ],
        "DimensionValueAttributes": ACCOUNTS,
    }
    _seed(aws, page)
    [first] = export_cost_explorer(
        source="ce",
        tag_keys=[],
        since=date(2024, 1, 1),
        until=date(2024, 1, 31),
        dest_dir=tmp_path / "one",
    )
    [second] = export_cost_explorer(
        source="ce",
        tag_keys=[],
        since=date(2024, 1, 1),
        until=date(2024, 1, 31),
        dest_dir=tmp_path / "two",
    )
    assert first.fingerprint == second.fingerprint
    assert first.path.read_bytes() == second.path.read_bytes()


def test_cost_explorer_whole_months_up_to_today() -> None:
    today = date(2024, 3, 10)
    assert cost_explorer.month_range(date(2024, 2, 20), None, today=today) == (
        date(2024, 2, 1),
        date(2024, 3, 11),
    )
    assert cost_explorer.month_range(date(2023, 12, 5), date(2024, 2, 10), today=today) == (
        date(2023, 12, 1),
        date(2024, 3, 1),
    )
    assert cost_explorer.month_range(None, date(2030, 1, 1), today=today) == (
        date(2023, 3, 1),
        date(2024, 3, 11),
    )
    with pytest.raises(CostDataError) as caught:
        cost_explorer.month_range(date(2024, 5, 1), None, today=today)
    assert caught.value.message == (
        "nothing to read from AWS Cost Explorer: the start 2024-05-01 is after the end 2024-03-10"
    )


def test_cost_explorer_missing_credentials_name_the_chain_tried(
    aws: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CostDataError) as caught:
        export_cost_explorer(
            source="ce",
            tag_keys=[],
            since=date(2024, 1, 1),
            until=date(2024, 1, 31),
            dest_dir=tmp_path,
        )
    assert caught.value.message.startswith(
        "no AWS credentials found to read AWS Cost Explorer; tried environment variables "
    )
    assert list(tmp_path.glob("*.parquet")) == []


def test_cost_explorer_response_that_cannot_be_mapped_is_an_error_naming_the_file(
    aws: MotoServer, tmp_path: Path
) -> None:
    _seed(
        aws,
        {
            "ResultsByTime": [
                _day("2024-01-30", "2024-01-31", ([EC2, "111111111111"], "n/a", "1")),
            ],
            "DimensionValueAttributes": ACCOUNTS,
        },
    )
    with pytest.raises(CostDataError) as caught:
        export_cost_explorer(
            source="ce",
            tag_keys=[],
            since=date(2024, 1, 1),
            until=date(2024, 1, 31),
            dest_dir=tmp_path,
        )
    raw = tmp_path / "ce.cost-explorer.jsonl"
    assert caught.value.location == str(raw)
    assert caught.value.message.startswith(
        f"{raw}: cannot map the AWS Cost Explorer response to FOCUS: Conversion Error: "
    )
    assert "n/a" in raw.read_text()
    assert list(tmp_path.glob("*.parquet")) == []
