"""Property: on generated well-typed conditions and rows with nulls, Python == DuckDB."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.conditions import Condition, ConditionErrors, compile_condition
from finopsmetrics_cli.conditions.syntax import lark_parse

from .strategies import COLUMNS, TABLE_DDL, as_record, conditions, rows

CONDITIONS_PER_EXAMPLE = 6
ROWS_PER_EXAMPLE = 25
EXAMPLES = 20  # 20 x 6 x 25 = 3,000 (condition, row) cases per run


def _insert(con: Any, batch: list[dict[str, Any]]) -> None:
    con.execute("DELETE FROM rows")
    con.executemany(
        "INSERT INTO rows SELECT ?, ?, ?, ?, CASE WHEN ? THEN NULL ELSE "
        "map(?::VARCHAR[], ?::VARCHAR[]) END, ?, ?, ?, ?, ?, ?, ?, ?::VARCHAR[]",
        [
            [i, r["type"], r["region"], r["role"], r["tags"] is None,
             list((r["tags"] or {}).keys()), list((r["tags"] or {}).values()),
             r["budget"], r["spend"], r["idle_hours"], r["cpu"], r["age"], r["encrypted"],
             r["pii"], r["groups"]]
            for i, r in enumerate(batch)
        ],
    )


def _compile(text: str) -> Condition | None:
    try:
        condition = compile_condition(text)
    except ConditionErrors as exc:
        # Only the deliberate "percent out of 0..1" guard may reject generated text.
        assert {e.code for e in exc.errors} == {"C214"}, exc.render()
        return None
    assert lark_parse(text) == condition.expr
    return condition


def test_python_and_duckdb_agree_on_generated_conditions(duck: Any) -> None:
    duck.execute(TABLE_DDL)
    seen = {"cases": 0, "true": 0, "false": 0, "null": 0}

    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(st.lists(conditions, min_size=CONDITIONS_PER_EXAMPLE,
                    max_size=CONDITIONS_PER_EXAMPLE),
           st.lists(rows, min_size=ROWS_PER_EXAMPLE, max_size=ROWS_PER_EXAMPLE))
    def agree(texts: list[str], batch: list[dict[str, Any]]) -> None:
        compiled = [c for c in map(_compile, texts) if c is not None]
        if not compiled:
            return
        _insert(duck, batch)
        fragments = [c.to_sql(COLUMNS) for c in compiled]
        select = ", ".join(f.sql for f in fragments)
        params = [p for f in fragments for p in f.params]
        got = duck.execute(f"SELECT {select} FROM rows ORDER BY id", params).fetchall()
        for row, sql_values in zip(batch, got, strict=True):
            record = as_record(row)
            for condition, sql_value in zip(compiled, sql_values, strict=True):
                py_value = condition.evaluate(record)
                assert py_value is sql_value, (condition.text, row)
                seen["cases"] += 1
                seen[{True: "true", False: "false", None: "null"}[py_value]] += 1

    agree()
    assert seen["cases"] >= 2000, seen
    # the generator exercises all three truth values, not just one
    assert min(seen["true"], seen["false"], seen["null"]) >= 100, seen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("resource.type == 'a' OR resource.region == 'b'", [True, None, None, False]),
        ("resource.type == 'a' AND resource.region == 'b'", [None, False, None, False]),
        ("NOT (resource.type == 'a')", [False, None, None, True]),
        ("resource.type IN ['a', resource.region]", [True, None, None, False]),
        ("resource.type NOT IN ['a', resource.region]", [False, None, None, True]),
        ("resource.type IN []", [False, False, False, False]),
        ("resource.type NOT IN []", [True, True, True, True]),
        ("resource.type IS NULL", [False, True, True, False]),
        ("team.budget_monthly / team.spend_current_month > 1", [None, None, None, None]),
    ],
)
def test_three_valued_logic_truth_table(text: str, expected: list[bool | None], duck: Any) -> None:
    # rows: (type, region) = (a, null), (null, x), (null, null), (z, x)
    batch = [("a", None), (None, "x"), (None, None), ("z", "x")]
    records = [{"resource": {"type": t, "region": r}, "team": {"budget_monthly": 1.0,
                "spend_current_month": 0.0}} for t, r in batch]
    condition = compile_condition(text)
    assert [condition.evaluate(r) for r in records] == expected
    fragment = condition.to_sql({"resource.type": "t", "resource.region": "r",
                                 "team.budget_monthly": "1.0", "team.spend_current_month": "0.0"})
    values = ", ".join(f"({i}, CAST(? AS VARCHAR), CAST(? AS VARCHAR))" for i in range(4))
    params = [v for pair in batch for v in pair]
    got = duck.execute(
        f"SELECT {fragment.sql} FROM (VALUES {values}) AS v(i, t, r) ORDER BY i",
        fragment.params + params,  # placeholders in text order: SELECT list first
    ).fetchall()
    assert [g[0] for g in got] == expected
