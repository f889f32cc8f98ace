"""Every condition of the seed roadmap compiles, evaluates and runs in DuckDB as written."""

from __future__ import annotations

from typing import Any

import pytest

from finopsmetrics_cli.conditions import compile_condition

from .conftest import load_fixture

SEED = load_fixture("seed_conditions.yaml")
COLUMNS = {
    "resource.environment": "environment", "resource.cpu_avg_7d": "cpu_avg_7d",
    "resource.idle_hours": "idle_hours", "resource.cpu_avg_30d": "cpu_avg_30d",
    "resource.memory_avg_30d": "memory_avg_30d", "resource.type": "type",
    "resource.instance_type": "instance_type", "resource.instance_family": "instance_family",
    "requester.role": "role", "team.spend_current_month": "spend",
    "team.budget_monthly": "budget", "resource.encryption_enabled": "encryption_enabled",
    "resource.contains_pii": "contains_pii", "resource.region": "region",
    "resource.creator_email": "creator_email",
}
TYPES = {"cpu_avg_7d": "DOUBLE", "idle_hours": "DOUBLE", "cpu_avg_30d": "DOUBLE",
         "memory_avg_30d": "DOUBLE", "spend": "DOUBLE", "budget": "DOUBLE",
         "encryption_enabled": "BOOLEAN", "contains_pii": "BOOLEAN"}


def test_fixture_covers_every_seed_condition() -> None:
    assert len(SEED) == 13


@pytest.mark.parametrize("case", SEED, ids=[c["where"] for c in SEED])
def test_seed_condition_evaluates_as_the_seed_means(case: dict[str, Any], duck: Any) -> None:
    condition = compile_condition(case["text"])
    assert condition.evaluate(case["record"]) is case["matches"]

    row = {col: None for col in COLUMNS.values()}
    for path, col in COLUMNS.items():
        ctx, attr = path.split(".")
        row[col] = case["record"].get(ctx, {}).get(attr)
    cols = ", ".join(f"CAST(? AS {TYPES.get(c, 'VARCHAR')}) AS {c}" for c in row)
    duck.execute(f"CREATE TABLE t AS SELECT {cols}", list(row.values()))
    fragment = condition.to_sql(COLUMNS)
    assert all(repr(p) not in fragment.sql for p in fragment.params)  # never spliced
    (result,) = duck.execute(f"SELECT {fragment.sql} FROM t", fragment.params).fetchone()
    assert result is case["matches"]


def test_seed_attributes_are_reported() -> None:
    condition = compile_condition(SEED[2]["text"])
    assert condition.attributes == {"resource.type", "resource.instance_type", "requester.role"}
