"""The SQL back end: parameters, column mapping, dialects, errors."""

from __future__ import annotations

from typing import Any

import pytest

from finopsmetrics_cli.conditions import (
    ConditionError,
    Dialect,
    SqlFragment,
    compile_condition,
    parse,
    to_sql,
)


def test_values_are_parameters_never_sql_text() -> None:
    condition = compile_condition(
        "resource.region == \"x'; DROP TABLE t; --\" AND resource.cost_monthly > 5% * 10"
    )
    fragment = condition.to_sql({"resource.region": "region", "resource.cost_monthly": "cost"})
    assert fragment == SqlFragment(
        "((region = CAST(? AS VARCHAR)) AND (cost > (CAST(? AS DOUBLE) * CAST(? AS DOUBLE))))",
        ["x'; DROP TABLE t; --", 0.05, 10.0],
    )


def test_columns_may_be_a_function_and_tags_a_map_or_per_key() -> None:
    text = 'resource.tags.team == "ml" AND resource.tags["cost-center"] == "rd"'
    per_key = compile_condition(text).to_sql(
        lambda path: {"resource.tags.team": "team_tag"}.get(path, "tags" if path ==
                                                             "resource.tags" else None))
    assert per_key.sql == (
        "((team_tag = CAST(? AS VARCHAR)) AND "
        "(tags[CAST(? AS VARCHAR)] = CAST(? AS VARCHAR)))"
    )
    assert per_key.params == ["ml", "cost-center", "rd"]


def test_unmapped_attribute_is_an_error_at_its_position() -> None:
    condition = compile_condition('resource.type == "a" AND resource.region == "b"')
    with pytest.raises(ConditionError) as info:
        condition.to_sql({"resource.type": "type"})
    err = info.value
    assert (err.code, err.message, err.column) == (
        "C402", "no column holds resource.region in this table", 26,
    )


def test_unknown_dialect() -> None:
    with pytest.raises(ConditionError) as info:
        to_sql(parse("resource.contains_pii"), {"resource.contains_pii": "pii"}, "bigquery")
    assert info.value.message == "unknown SQL dialect 'bigquery'"


def test_a_dialect_overrides_only_what_differs() -> None:
    class Upper(Dialect):
        name = "upper"

        def contains(self, text: str, part: str) -> str:
            return f"STRPOS({text}, {part}) > 0"

    fragment = to_sql(parse("resource.name CONTAINS 'x'"), {"resource.name": "n"}, Upper())
    assert fragment.sql == "STRPOS(n, CAST(? AS VARCHAR)) > 0"


def test_division_by_zero_is_null_in_both(duck: Any) -> None:
    condition = compile_condition("team.spend_current_month / team.budget_monthly > 0.5")
    record = {"team": {"spend_current_month": 10.0, "budget_monthly": 0.0}}
    assert condition.evaluate(record) is None
    fragment = condition.to_sql({"team.spend_current_month": "10.0",
                                 "team.budget_monthly": "0.0"})
    assert duck.execute(f"SELECT {fragment.sql}", fragment.params).fetchone() == (None,)


def test_integer_and_decimal_columns_compute_in_double(duck: Any) -> None:
    condition = compile_condition("team.spend_current_month * 3 > team.budget_monthly")
    duck.execute("CREATE TABLE t AS SELECT 3074457345618258603::BIGINT AS s, 1::DECIMAL(4,2) AS b")
    fragment = condition.to_sql({"team.spend_current_month": "s", "team.budget_monthly": "b"})
    assert duck.execute(f"SELECT {fragment.sql} FROM t", fragment.params).fetchone() == (True,)
