"""Shapes: a known form is rebuilt and re-checked exactly as the parser and checker would."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.conditions import (
    AttributeSchema,
    ConditionErrors,
    check,
    compile_condition,
    parse,
)
from finopsmetrics_cli.conditions.parser import SHAPES, _Parser
from finopsmetrics_cli.conditions.tokens import Reject, scan, tokenize

from .conftest import load_fixture
from .strategies import conditions

SEED_TEXTS = [c["text"] for c in load_fixture("seed_conditions.yaml")]


def reference(text: str) -> object:
    """The recursive-descent parser's tree, without any shape."""
    return _Parser(tokenize(text)).parse()


def shaped(text: str) -> bool:
    return SHAPES.get(tuple(t[0] for t in tokenize(text))) is not None


def codes(text: str, schema: AttributeSchema | None = None) -> list[str]:
    try:
        compile_condition(text, schema)
    except ConditionErrors as exc:
        return [e.code for e in exc.errors]
    return []


FORMS = [
    # (three texts of one form; the third is built by its shape)
    ['resource.environment == "dev" AND resource.cpu_avg_7d < 5%',
     'resource.environment == "production-eu" AND resource.cpu_avg_7d < 12.5%',
     'resource.environment == "s"   AND   resource.cpu_avg_7d < 100%'],
    ['resource.tags["cost-center"] IS NULL AND resource.age > 7d',
     "resource.tags['team'] IS NULL AND resource.age > 48h",
     'resource.tags["x"] IS NULL AND resource.age > 1.5w'],
    ["(resource.idle_hours) > (48) OR NOT (resource.region IN ['a', 'b'])",
     "(resource.idle_hours) > (1e3) OR NOT (resource.region IN ['eu-west-1', 'c'])",
     "(team.spend_current_month) > (0.5) OR NOT (requester.role IN ['cto', ''])"],
    ['resource.name\n  MATCHES "^prod-"\nOR requester.role\n== "x"',
     'resource.name MATCHES "^a.*b$" OR requester.role == "yy"',
     'resource.name\tMATCHES "(ab|cd)"\n\nOR requester.role == "zzz"'],
    ["-team.budget_monthly * 2 + 1 < -(team.spend_current_month - 3) AND true",
     "-team.budget_monthly * 20 + 10 < -(team.spend_current_month - 30) AND false",
     "-team.forecast_month_end * 2 + 1 < -(team.spend_last_month - 3) AND TRUE"],
]


@pytest.mark.parametrize("texts", FORMS)
def test_a_shape_rebuilds_exactly_the_parsers_tree(texts: list[str]) -> None:
    for text in texts:
        assert parse(text) == reference(text)
    assert shaped(texts[-1])
    for text in texts:
        assert parse(text) == reference(text)  # now every one is built by the shape
        condition = compile_condition(text)
        assert condition.expr == reference(text)


@pytest.mark.parametrize("text", SEED_TEXTS)
def test_seed_conditions_are_equal_however_often_they_are_parsed(text: str) -> None:
    first = reference(text)
    assert [parse(text) for _ in range(3)] == [first] * 3
    assert [compile_condition(text).expr for _ in range(3)] == [first] * 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_generated_conditions_parse_and_check_alike_with_and_without_shapes(text: str) -> None:
    tree = reference(text)
    errors = [(e.code, e.message, e.offset) for e in check(tree)]  # type: ignore[arg-type]
    for _ in range(3):
        assert parse(text) == tree
        try:
            compiled = compile_condition(text)
        except ConditionErrors as exc:
            assert [(e.code, e.message, e.offset) for e in exc.errors] == errors
        else:
            assert not errors and compiled.expr == tree


def test_the_check_key_holds_what_the_checker_reads() -> None:
    form = "resource.cpu_avg_7d < {} AND resource.name MATCHES {}"
    for _ in range(3):
        assert codes(form.format("0.5", '"^a"')) == []
    assert shaped(form.format("0.5", '"^a"'))
    assert codes(form.format("0.25", '"^b+"')) == []
    assert codes(form.format("5", '"^a"')) == ["C214"]  # a forgotten %: out of 0..1
    assert codes(form.format("0.5", '"(?=a)"')) == ["C205"]  # another pattern, checked
    assert codes(form.replace("cpu_avg_7d", "cpu_avg_7x").format("0.5", '"^a"')) == ["C201"]


def test_a_schema_remembers_only_its_own_clean_conditions() -> None:
    custom = AttributeSchema.default().extend({"resource": {"gpu_count": "number"}})
    for _ in range(3):
        assert codes("resource.gpu_count > 1", custom) == []
    assert codes("resource.gpu_count > 1") == ["C201"]  # not declared in the default schema


def test_escapes_in_a_known_form_are_still_checked() -> None:
    for value in ("a", "b", "c"):
        assert codes(f'resource.type == "{value}"') == []
    assert shaped('resource.type == "x"')
    with pytest.raises(ConditionErrors, match=re.escape("invalid string escape: unknown escape")):
        compile_condition('resource.type == "\\q"')
    assert compile_condition('resource.type == "\\t"').expr == reference('resource.type == "\\t"')


def test_a_known_clean_form_keeps_no_tree_until_one_is_needed() -> None:
    text = 'requester.role == "{}" AND resource.idle_hours > {}'
    for n in range(3):
        compile_condition(text.format(f"r{n}", n))
    condition = compile_condition(text.format("lazy", 48))
    assert condition._expr is None
    record = {"requester": {"role": "lazy"}, "resource": {"idle_hours": 49}}
    assert condition.evaluate(record) is True
    assert condition.expr == reference(text.format("lazy", 48))
    assert condition.attributes == {"requester.role", "resource.idle_hours"}


_WORDS = [
    "and", "or", "not", "in", "contains", "matches", "starts", "ends", "with", "is", "null",
    "true", "false", "AND", "Or", "NOT", "IN", "IS", "Null", "TRUE", "MaTcHeS",
    "resource", "team", "x", "tags", "_a1", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*",
    "/", ".", ",", "[", "]", "(", ")", "5%", "48h", "7d", "0.8", "1e3", "42", '"s"', "'t'",
    "resource.tags", '["k"]', "\n", " ", "  ", "=", "!", "%", "@", "3x", "1.", '"', "'", "&&",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14), st.sampled_from(["", " "]))
def test_recognising_reads_the_same_kinds_as_the_tokenizer(words: list[str], sep: str) -> None:
    text = sep.join(words)
    try:
        tokens = tokenize(text)
    except Reject:
        assert scan(text) is None
        return
    assert scan(text) == (tuple(t[0] for t in tokens), [t[1] for t in tokens])
