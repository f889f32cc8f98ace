"""The Python back end over nested records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from finopsmetrics_cli.conditions import ConditionError, compile_condition, evaluate, parse


def test_missing_contexts_keys_and_tags_are_null() -> None:
    condition = compile_condition('resource.tags.team == "ml"')
    assert condition.evaluate({}) is None
    assert condition.evaluate({"resource": {}}) is None
    assert condition.evaluate({"resource": {"tags": {}}}) is None
    assert condition.evaluate({"resource": {"tags": {"team": "ml"}}}) is True


def test_durations_may_be_timedelta_or_seconds_and_decimals_numbers() -> None:
    condition = compile_condition("resource.age > 7d AND resource.cost_monthly > 10")
    assert condition.evaluate(
        {"resource": {"age": timedelta(days=8), "cost_monthly": Decimal("10.5")}}) is True
    assert condition.evaluate({"resource": {"age": 6 * 86_400, "cost_monthly": 11}}) is False


def test_contains_on_text_and_lists() -> None:
    condition = compile_condition(
        "resource.creator_email CONTAINS '@ml-team.' AND requester.groups CONTAINS 'ops'")
    record = {"resource": {"creator_email": "a@ml-team.io"}, "requester": {"groups": ["ops"]}}
    assert condition.evaluate(record) is True
    record["requester"]["groups"] = ["dev", None]  # type: ignore[index]
    assert condition.evaluate(record) is False


def test_string_comparison_is_case_sensitive_keywords_are_not() -> None:
    condition = compile_condition('resource.environment == "Prod" aNd NoT resource.contains_pii')
    assert condition.evaluate({"resource": {"environment": "prod", "contains_pii": False}}) is False
    assert condition.evaluate({"resource": {"environment": "Prod", "contains_pii": False}}) is True


def test_evaluate_function_on_a_parsed_expression() -> None:
    assert evaluate(parse("resource.cpu_avg_7d < 5%"), {"resource": {"cpu_avg_7d": 0.049}}) is True


def test_a_record_value_of_the_wrong_type_is_a_condition_error() -> None:
    condition = compile_condition("resource.idle_hours > 48")
    with pytest.raises(ConditionError) as info:
        condition.evaluate({"resource": {"idle_hours": "many"}})
    assert info.value.code == "C401"
    assert info.value.message.startswith("the record holds a value of the wrong type: ")
