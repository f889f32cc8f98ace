"""``costs sync`` publishing the Spark dataset to ``s3a://`` (moto's server on 127.0.0.1)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.unit.evaluate.costdata import Row, daily, write_rows

from finopsmetrics_cli.costs.dataset import publish
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import CostDataError


def _keys(client: Any) -> list[str]:
    listed = client.list_objects_v2(Bucket="lake", Prefix="focus/")
    return sorted(o["Key"] for o in listed.get("Contents", ()))


def test_partitions_are_put_replaced_and_kept(aws: Any, tmp_path: Path) -> None:
    import boto3  # type: ignore[import-untyped]  # noqa: TID251 - the test's own view of S3

    client = boto3.client("s3")
    client.create_bucket(Bucket="lake")
    store = write_rows(tmp_path / "costs.duckdb", daily(date(2025, 1, 30), date(2025, 2, 2), 1.0))
    with CostStore(store).connect() as conn:
        first = publish(conn, "s3a://lake/focus")
    assert _keys(client) == [
        "focus/_finopsmetrics.json",
        "focus/x_Source=aws-cur/x_BillingPeriod=2025-01/part-0.parquet",
        "focus/x_Source=aws-cur/x_BillingPeriod=2025-02/part-0.parquet",
    ]
    write_rows(store, [Row(date(2025, 2, 3), 2.5)])  # February changes, January does not
    with CostStore(store).connect() as conn:
        second = publish(conn, "s3a://lake/focus")
    assert (first.written, second.written, second.kept) == (2, 1, 1)
    body = client.get_object(Bucket="lake", Key="focus/_finopsmetrics.json")["Body"].read()
    assert json.loads(body)["aws-cur\x1f2025-02"][0] == 3  # rows: Feb 1, Feb 2, Feb 3


def test_missing_bucket_is_one_message(aws: Any, tmp_path: Path) -> None:
    store = write_rows(tmp_path / "costs.duckdb", daily(date(2025, 1, 1), date(2025, 1, 2), 1.0))
    with CostStore(store).connect() as conn, pytest.raises(CostDataError) as caught:
        publish(conn, "s3a://nowhere/focus")
    assert str(caught.value) == "S3 bucket 'nowhere' does not exist"
