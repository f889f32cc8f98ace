"""Hypothesis strategies: well-typed condition text, and rows (nulls included) to run it on."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

STRING_ATTRS = ["resource.type", "resource.region", "requester.role", "resource.tags.team",
                'resource.tags["cost-center"]']
NUMBER_ATTRS = ["team.budget_monthly", "team.spend_current_month", "resource.idle_hours"]
BOOL_ATTRS = ["resource.encryption_enabled", "resource.contains_pii"]
COLUMNS = {
    "resource.type": "type", "resource.region": "region", "requester.role": "role",
    "resource.tags": "tags", "team.budget_monthly": "budget", "team.spend_current_month": "spend",
    "resource.idle_hours": "idle_hours", "resource.cpu_avg_7d": "cpu", "resource.age": "age",
    "resource.encryption_enabled": "encrypted", "resource.contains_pii": "pii",
    "requester.groups": "groups",
}
TABLE_DDL = (
    "CREATE TABLE rows (id INTEGER, type VARCHAR, region VARCHAR, role VARCHAR, "
    "tags MAP(VARCHAR, VARCHAR), budget DOUBLE, spend DOUBLE, idle_hours DOUBLE, cpu DOUBLE, "
    "age DOUBLE, encrypted BOOLEAN, pii BOOLEAN, groups VARCHAR[])"
)
PATTERNS = ["^a", "b$", "a.c", "[a-c]+x", "\\d", "é", "^$", "(ab|cd)", "a{2}", "[^a]", "\\s",
            "\\w+\\.", "x?y", "^[A-Z]", "-.*-", "(a+)+$", "(ab|c)*a", ".*.*x.*"]

_ALPHABET = "abcxyAZé-._%ß 1\n"
texts = st.text(alphabet=_ALPHABET, max_size=5)
numbers = st.one_of(
    st.integers(-50, 50).map(float),
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 2)),
)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _number_literal(value: float) -> str:
    text = repr(abs(value))
    return f"-{text}" if value < 0 or str(value).startswith("-") else text


string_exprs = st.one_of(st.sampled_from(STRING_ATTRS), texts.map(_quote))
number_leaves = st.one_of(
    st.sampled_from(NUMBER_ATTRS),
    numbers.map(_number_literal),
    st.integers(0, 150).map(lambda n: f"{n}%"),
)
number_exprs = st.recursive(
    number_leaves,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-{e}" if not e.startswith("-") else f"-({e})"),
    ),
    max_leaves=4,
)
duration_exprs = st.one_of(
    st.just("resource.age"),
    st.tuples(st.integers(0, 100), st.sampled_from("smhdw")).map(lambda t: f"{t[0]}{t[1]}"),
    st.tuples(st.just("resource.age"), numbers.map(_number_literal)).map(
        lambda t: f"({t[0]} * {t[1]})"),
)
_CMP = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _in_list(left: str, items: list[str], negated: bool) -> str:
    return f"{left} {'NOT IN' if negated else 'IN'} [{', '.join(items)}]"


comparisons = st.one_of(
    st.tuples(number_exprs, _CMP, number_exprs).map(" ".join),
    st.tuples(string_exprs, _CMP, string_exprs).map(" ".join),
    st.tuples(duration_exprs, _CMP, duration_exprs).map(" ".join),
    st.tuples(st.sampled_from(BOOL_ATTRS), st.sampled_from(["==", "!="]),
              st.sampled_from(["true", "false", *BOOL_ATTRS])).map(" ".join),
    st.tuples(st.sampled_from(["resource.cpu_avg_7d"]), _CMP,
              st.integers(0, 100).map(lambda n: f"{n}%")).map(" ".join),
    st.builds(_in_list, string_exprs, st.lists(string_exprs, max_size=3), st.booleans()),
    st.builds(_in_list, number_exprs, st.lists(number_exprs, max_size=3), st.booleans()),
    st.tuples(string_exprs, st.sampled_from(["IN", "NOT IN"])).map(
        lambda t: f"{t[0]} {t[1]} requester.groups"),
    st.tuples(st.sampled_from(["requester.groups", *STRING_ATTRS]), string_exprs).map(
        lambda t: f"{t[0]} CONTAINS {t[1]}"),
    st.tuples(string_exprs, st.sampled_from(["STARTS WITH", "ends with", "contains"]),
              string_exprs).map(" ".join),
    st.tuples(st.sampled_from(STRING_ATTRS), st.sampled_from(PATTERNS)).map(
        lambda t: f"{t[0]} MATCHES {_quote(t[1])}"),
    st.tuples(st.sampled_from([*STRING_ATTRS, *NUMBER_ATTRS, *BOOL_ATTRS, "requester.groups",
                               "resource.tags", "resource.age"]),
              st.sampled_from(["IS NULL", "is not null"])).map(" ".join),
    st.sampled_from(BOOL_ATTRS),
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        inner.map(lambda c: f"NOT ({c})"),
        st.tuples(inner, st.sampled_from(["AND", "OR", "and", "or"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    ),
    max_leaves=5,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


small_text = st.sampled_from(["a", "abc", "xay", "ab.", "aac", "é", "", "Zed", "-x-", "a 1",
                              "cd", "ß\n", "1"]) | texts
rows = st.fixed_dictionaries({
    "type": _maybe(small_text), "region": _maybe(small_text), "role": _maybe(small_text),
    "tags": _maybe(st.dictionaries(st.sampled_from(["team", "cost-center", "other"]),
                                   _maybe(small_text), max_size=3)),
    "budget": _maybe(numbers), "spend": _maybe(numbers), "idle_hours": _maybe(numbers),
    "cpu": _maybe(st.floats(0, 1, allow_nan=False).map(lambda f: round(f, 3))),
    "age": _maybe(st.integers(0, 10**7).map(float)),
    "encrypted": _maybe(st.booleans()), "pii": _maybe(st.booleans()),
    "groups": _maybe(st.lists(_maybe(small_text), max_size=3)),
})


def as_record(row: dict[str, Any]) -> dict[str, Any]:
    """The nested record the Python back end reads, from a flat row."""
    return {
        "resource": {"type": row["type"], "region": row["region"], "tags": row["tags"],
                     "idle_hours": row["idle_hours"], "cpu_avg_7d": row["cpu"],
                     "age": row["age"], "encryption_enabled": row["encrypted"],
                     "contains_pii": row["pii"]},
        "requester": {"role": row["role"], "groups": row["groups"]},
        "team": {"budget_monthly": row["budget"], "spend_current_month": row["spend"]},
    }
