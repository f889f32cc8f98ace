"""Parsing: AST shape, literals, positions, keywords; the fast parser equals the lark grammar."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.conditions import ConditionErrors, parse
from finopsmetrics_cli.conditions.ast import (
    Arith,
    BoolOp,
    Compare,
    Const,
    In,
    IsNull,
    ListExpr,
    Neg,
    Not,
    Path,
    Span,
    TextMatch,
    walk,
)
from finopsmetrics_cli.conditions.syntax import lark_parse

from .conftest import load_fixture


def test_precedence_or_and_not_comparison_arithmetic() -> None:
    expr = parse("NOT a.x > 1 + 2 * 3 AND a.y OR a.z")
    assert isinstance(expr, BoolOp) and expr.op == "or"
    left, right = expr.operands
    assert isinstance(left, BoolOp) and left.op == "and"
    assert isinstance(right, Path) and right.parts == ("a", "z")
    negation = left.operands[0]
    assert isinstance(negation, Not) and isinstance(negation.operand, Compare)
    total = negation.operand.right
    assert isinstance(total, Arith) and total.op == "+"
    assert isinstance(total.right, Arith) and total.right.op == "*"


def test_and_chains_are_flat_and_arithmetic_is_left_associative() -> None:
    expr = parse("a.a AND a.b and a.c AnD a.d")
    assert isinstance(expr, BoolOp) and len(expr.operands) == 4
    arith = parse("a.x - 1 - 2 > 0")
    assert isinstance(arith, Compare) and isinstance(arith.left, Arith)
    assert isinstance(arith.left.left, Arith)
    assert arith.left.right == Const(2.0, "", Span(10, 11, 1, 11))


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("5%", 0.05, "percent"), ("12.5%", 0.125, "percent"), ("48h", 172_800.0, "duration"),
        ("7d", 604_800.0, "duration"), ("30m", 1_800.0, "duration"),
        ("2w", 1_209_600.0, "duration"),
        ("90s", 90.0, "duration"), ("0.8", 0.8, ""), ("1e3", 1000.0, ""), ("TRUE", True, ""),
        ("false", False, ""), ("Null", None, ""), ("'it\\'s'", "it's", ""),
        ('"a\\"b\\\\c\\n\\u00e9"', 'a"b\\c\né', ""),
    ],
)
def test_literals(text: str, value: object, unit: str) -> None:
    expr = parse(f"a.x == {text}")
    assert isinstance(expr, Compare) and isinstance(expr.right, Const)
    assert expr.right.value == value and type(expr.right.value) is type(value)
    assert expr.right.unit == unit


def test_every_operator_form() -> None:
    text = (
        'a.s CONTAINS "x" and a.s matches "^p" and a.s starts with "p" and a.s ENDS WITH "q" '
        "and a.n IS NULL and a.n is not null and a.n in [1, 2] and a.n NOT IN [3] and -a.n < 0"
    )
    expr = parse(text)
    assert isinstance(expr, BoolOp)
    kinds = [(type(o).__name__, getattr(o, "op", "")) for o in expr.operands]
    assert kinds == [
        ("TextMatch", "contains"), ("TextMatch", "matches"), ("TextMatch", "starts_with"),
        ("TextMatch", "ends_with"), ("IsNull", ""), ("IsNull", ""), ("In", ""),
        ("In", ""), ("Compare", "<"),
    ]
    assert [o.negated for o in expr.operands if isinstance(o, (IsNull, In))] == [
        False, True, False, True,
    ]
    last = expr.operands[-1]
    assert isinstance(last, Compare) and isinstance(last.left, Neg)


def test_tag_paths_dotted_and_subscripted() -> None:
    expr = parse('resource.tags["cost-center"] == resource.tags.team')
    assert isinstance(expr, Compare)
    assert isinstance(expr.left, Path) and expr.left.parts == ("resource", "tags", "cost-center")
    assert expr.left.dotted == "resource.tags.cost-center"
    assert isinstance(expr.right, Path) and expr.right.parts == ("resource", "tags", "team")


def test_keywords_are_names_after_a_dot() -> None:
    expr = parse("resource.tags.in IS NOT NULL")
    assert isinstance(expr, IsNull) and isinstance(expr.operand, Path)
    assert expr.operand.parts == ("resource", "tags", "in")


def test_spans_are_exact_across_lines() -> None:
    text = 'resource.type == "ec2" AND\n    resource.tags["team"] IN ["ml",\n  "ai"]\n'
    expr = parse(text)
    assert isinstance(expr, BoolOp)
    member = expr.operands[1]
    assert isinstance(member, In) and isinstance(member.right, ListExpr)
    assert member.span == Span(31, 70, 2, 5)
    assert text[member.span.offset : member.span.end_offset] == (
        'resource.tags["team"] IN ["ml",\n  "ai"]'
    )
    assert member.op_span == Span(53, 55, 2, 27)
    second_item = member.right.items[1]
    assert second_item.span == Span(65, 69, 3, 3)
    assert isinstance(member.left, Path) and member.left.part_spans[2] == Span(45, 51, 2, 19)


def test_parentheses_widen_the_span() -> None:
    expr = parse("(a.x OR a.y) AND a.z")
    assert isinstance(expr, BoolOp) and expr.operands[0].span == Span(0, 12, 1, 1)


def test_nodes_are_immutable_and_compare_by_type() -> None:
    expr = parse("NOT a.x")
    with pytest.raises(AttributeError):
        expr.operand = None  # type: ignore[misc,union-attr]
    assert parse("-a.x") != Not(Path(("a", "x"), Span(1, 4, 1, 2), ()), Span(0, 4, 1, 1))
    assert parse("a.x == 1") == parse("a.x == 1")
    assert len({parse("a.x == 1"), parse("a.x == 1")}) == 1


def test_text_match_op_span_covers_two_word_operators() -> None:
    expr = parse('a.s STARTS   WITH "x"')
    assert isinstance(expr, TextMatch) and expr.op_span == Span(4, 17, 1, 5)


# -- the fast parser and the lark grammar accept the same language -----------

SEED_TEXTS = [c["text"] for c in load_fixture("seed_conditions.yaml")]
INVALID_TEXTS = [c["text"] for c in load_fixture("invalid_conditions.yaml")]


@pytest.mark.parametrize("text", SEED_TEXTS + INVALID_TEXTS)
def test_fast_parser_equals_lark_on_fixtures(text: str) -> None:
    _same_outcome(text)


def _same_outcome(text: str) -> None:
    try:
        fast = parse(text)
    except ConditionErrors as exc:
        if exc.errors[0].code in ("C001", "C002", "C003"):
            return  # limits are the fast parser's own
        with pytest.raises(ConditionErrors) as lark_exc:
            lark_parse(text)
        assert [e.code for e in exc.errors] == [e.code for e in lark_exc.value.errors]
        return
    assert lark_parse(text) == fast
    for node in walk(fast):  # every position agrees with its offset
        spans = [node.span, *getattr(node, "part_spans", ()), getattr(node, "op_span", node.span)]
        for span in spans:
            assert (span.line, span.column) == _line_col(text, span.offset)
            assert 0 <= span.offset <= span.end_offset <= len(text)


_WORDS = [
    "and", "or", "not", "in", "contains", "matches", "starts", "ends", "with", "is", "null",
    "true", "false", "AND", "Or", "NOT", "IN", "IS", "Null", "TRUE",
    "resource", "team", "x", "tags", "_a1", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*",
    "/", ".", ",", "[", "]", "(", ")", "5%", "48h", "7d", "0.8", "1e3", "42", '"s"', "'t'",
    '"a\\"b"', "\n", " ", "  ", "=", "!", "%", "@", "3x", "1.", '"', "'",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14), st.sampled_from(["", " "]))
def test_fast_parser_equals_lark_on_generated_token_soup(words: list[str], sep: str) -> None:
    _same_outcome(sep.join(words) if sep else " ".join(words).replace(" . ", "."))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def test_a_path_split_over_lines_keeps_exact_positions() -> None:
    text = 'resource.tags\n  ["cost-center"] == "rd" AND\nresource .\n region == "x"'
    expr = parse(text)
    assert expr == lark_parse(text)
    assert isinstance(expr, BoolOp)
    first, second = expr.operands
    assert isinstance(first, Compare) and isinstance(first.left, Path)
    assert isinstance(second, Compare) and isinstance(second.left, Path)
    assert second.left.parts == ("resource", "region")
    spans = {
        '"cost-center"': first.left.part_spans[2], '"rd"': first.right.span,
        "region": second.left.part_spans[1], '"x"': second.right.span, "==": second.op_span,
    }
    for expected, span in spans.items():
        assert text[span.offset : span.end_offset] == expected
        assert (span.line, span.column) == _line_col(text, span.offset)
    assert (spans['"rd"'].line, spans["region"].line, spans['"x"'].line) == (2, 4, 4)


def test_importing_the_package_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import finopsmetrics_cli.conditions as c; "
        "c.compile_condition('resource.type == \"x\"').evaluate({}); "
        "print('duckdb' in sys.modules, 'lark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
