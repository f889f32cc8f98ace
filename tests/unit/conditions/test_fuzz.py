"""Fuzz: any text gives a Condition or ConditionErrors, quickly, never anything else."""

from __future__ import annotations

import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.conditions import ConditionErrors, compile_condition

from .strategies import conditions

_PIECES = st.sampled_from([
    "resource.", "tags", "[", "]", '"', "'", "\\", "(", ")", "==", "IN", "NOT", "AND", "OR",
    "MATCHES", '"(a+)+$"', '"[', "5%", "48h", "1e400", "-", "*", "/", "\n", " ", "\t", "é",
    "\x00", "\ud7ff", "null", "team.budget_monthly", "IS", "NULL", ",", "STARTS", "WITH",
])
_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(_PIECES, max_size=40).map("".join),
    st.lists(_PIECES, max_size=40).map(" ".join),
    conditions.map(lambda c: c[: len(c) // 2]),  # valid text cut short
)


@settings(max_examples=500, deadline=timedelta(seconds=2),
          suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_raises_only_condition_errors(text: str) -> None:
    try:
        condition = compile_condition(text)
    except ConditionErrors as exc:
        assert exc.errors, "ConditionErrors must carry at least one error"
        for err in exc.errors:
            assert err.code.startswith("C") and 1 <= err.line and 1 <= err.column
            assert 0 <= err.offset <= len(text)
            err.render(text)
        return
    condition.evaluate({})


def test_pathological_inputs_stay_fast() -> None:
    cases = [
        "(" * 5000,
        "resource.type == " + "[" * 3000,
        "NOT " * 2400,
        " AND ".join(["resource.cost_monthly > 1"] * 380),
        "a" * 9999,
        '"' + "x" * 9990,
        "resource.name MATCHES " + '"' + "(a*)*" * 40 + '"',
        "-" * 9000 + "1 > 0",
    ]
    for text in cases:
        # CPU time of this thread, not wall time: a loaded CI machine cannot fail it, an
        # exponential blow-up (backtracking, deep recursion) still does (~0.03 s each)
        start = time.thread_time()
        try:
            compile_condition(text)
        except ConditionErrors:
            pass
        assert time.thread_time() - start < 1.0, text[:40]
