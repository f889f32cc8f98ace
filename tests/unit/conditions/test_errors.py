"""Errors: exact codes, messages, positions and caret rendering."""

from __future__ import annotations

from typing import Any

import pytest

from finopsmetrics_cli.conditions import ConditionError, ConditionErrors, compile_condition
from finopsmetrics_cli.errors import FinopsError, Location

from .conftest import load_fixture

INVALID = load_fixture("invalid_conditions.yaml")


@pytest.mark.parametrize("case", INVALID, ids=[c["code"] + ":" + c["text"][:30] for c in INVALID])
def test_invalid_condition_reports_exact_error(case: dict[str, Any]) -> None:
    with pytest.raises(ConditionErrors) as info:
        compile_condition(case["text"])
    first = info.value.errors[0]
    assert isinstance(first, ConditionError) and isinstance(first, FinopsError)
    assert (first.code, first.line, first.column, first.message) == (
        case["code"], case["line"], case["column"], case["message"],
    )
    if "hint" in case:
        assert first.hint == case["hint"]
    lines = case["text"].split("\n")
    prefix = sum(len(x) + 1 for x in lines[: first.line - 1])
    assert first.offset == prefix + first.column - 1
    assert first.end_offset > first.offset


def test_every_error_is_reported_not_just_the_first() -> None:
    text = 'resource.region > 5 AND resource.idle_hours > 48h AND team.nme == "x"'
    with pytest.raises(ConditionErrors) as info:
        compile_condition(text)
    assert [(e.code, e.column) for e in info.value.errors] == [
        ("C202", 19), ("C209", 47), ("C201", 60),
    ]
    assert str(info.value) == (
        "1:19: cannot compare resource.region (string) with number (and 2 more)"
    )


def test_render_puts_carets_under_the_offending_text() -> None:
    text = 'resource.type == "ec2_instance" AND\n  resource.idle_hours > 48h\n'
    with pytest.raises(ConditionErrors) as info:
        compile_condition(text)
    assert info.value.render() == (
        "error[C209]: cannot compare resource.idle_hours (number) with a duration\n"
        "2 |   resource.idle_hours > 48h\n"
        "  |                         ^^^\n"
        "  hint: resource.idle_hours is a number of hours; write 48"
    )


def test_positions_in_a_block_scalar_map_back_to_the_yaml_file() -> None:
    yaml_text = (
        "policies:\n"
        "  - name: gdpr\n"
        "    condition: |\n"
        "      resource.contains_pii == true AND\n"
        "      resource.regoin NOT IN [\"eu-west-1\"]\n"
    )
    # What a YAML loader hands over for the block scalar: indentation removed.
    text = 'resource.contains_pii == true AND\nresource.regoin NOT IN ["eu-west-1"]\n'
    with pytest.raises(ConditionErrors) as info:
        compile_condition(text)
    err = info.value.errors[0]
    block_first_line, indent = 4, 6  # the scalar starts on file line 4, indented 6
    file_line = block_first_line + err.line - 1
    file_column = indent + err.column
    assert yaml_text.split("\n")[file_line - 1][file_column - 1 :].startswith("regoin")
    diag = err.diagnostic(Location("f.yaml", file_line, file_column), ("policies", 0))
    assert diag.render() == (
        "f.yaml:5:16: error[C201]: unknown attribute 'resource.regoin'\n"
        "  hint: did you mean 'resource.region'?"
    )


def test_syntax_error_hint_lists_what_could_come_next() -> None:
    with pytest.raises(ConditionErrors) as info:
        compile_condition("resource.type ==")
    err = info.value.errors[0]
    assert (err.code, err.line, err.column, err.message) == (
        "C103", 1, 17, "the condition ends too early",
    )
    assert err.hint is not None and err.hint.startswith("expected one of: ")
    assert "a string" in err.hint and "an attribute" in err.hint


def test_unexpected_token_after_operand() -> None:
    with pytest.raises(ConditionErrors) as info:
        compile_condition('resource.type "x"')
    err = info.value.errors[0]
    assert (err.code, err.column, err.message) == ("C102", 15, "unexpected '\"x\"'")
    assert err.hint is not None and "a comparison (== != < <= > >=)" in err.hint
    assert "')'" not in err.hint


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "C001", "the condition is empty"),
        ("  \n ", "C001", "the condition is empty"),
        ("resource.x == 1 " * 700, "C002",
         "the condition is 11200 characters long; the limit is 10000"),
        ("(" * 70 + "true" + ")" * 70, "C003", "the condition nests deeper than 64 levels"),
        ("NOT " * 70 + "true", "C003", "the condition nests deeper than 64 levels"),
        ("team.budget_monthly" + " + 1" * 80 + " > 0", "C003",
         "the condition nests deeper than 64 levels"),
        ('resource.name == "\\q"', "C104", "invalid string escape: unknown escape '\\q'"),
    ],
)
def test_limits_and_lexical_errors(text: str, code: str, message: str) -> None:
    with pytest.raises(ConditionErrors) as info:
        compile_condition(text)
    assert (info.value.errors[0].code, info.value.errors[0].message) == (code, message)


def test_long_and_chains_do_not_count_as_nesting() -> None:
    text = " AND ".join(f'resource.tags.k{i} == "v"' for i in range(200))
    assert compile_condition(text).evaluate({"resource": {"tags": {}}}) is None


def test_operators_of_other_languages_point_at_the_spelling_here() -> None:
    text = 'resource.type == "x" && resource.monthly_cost > 100'
    with pytest.raises(ConditionErrors) as info:
        compile_condition(text)
    assert info.value.render() == (
        "error[C101]: unexpected '&&'\n"
        '1 | resource.type == "x" && resource.monthly_cost > 100\n'
        "  |                      ^^\n"
        "  hint: use AND: conditions combine with AND, OR and NOT"
    )
    with pytest.raises(ConditionErrors) as fixed:
        compile_condition(text.replace("&&", "AND"))
    assert [(e.code, e.message, e.hint) for e in fixed.value.errors] == [
        ("C201", "unknown attribute 'resource.monthly_cost'",
         "did you mean 'resource.cost_monthly'?"),
    ]
