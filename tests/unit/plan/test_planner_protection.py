"""Remembered protection: the state's ``prevent_destroy`` outlives the block that set it."""

from __future__ import annotations

import dataclasses
import re

import pytest
from plan_factories import config, desired, live

from finopsmetrics_cli.apply import writes_for
from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.diff import FieldChange
from finopsmetrics_cli.plan.model import Plan, PlanOptions
from finopsmetrics_cli.plan.planner import build_plan
from finopsmetrics_cli.state.api import LiveObject, Write

ONE_HINT = (
    "to destroy it, first apply it with lifecycle.prevent_destroy: false "
    "(the state remembers the last applied value: removing the block is not enough)"
)


def protected(address: str, spec: dict[str, object]) -> LiveObject:
    return dataclasses.replace(live(address, spec), prevent_destroy=True)


def refused(*args: object, message: str) -> PlanError:
    with pytest.raises(PlanError, match=f"^{re.escape(message)}$") as info:
        build_plan(*args)  # type: ignore[arg-type]
    return info.value


def test_a_removed_block_cannot_destroy_a_remembered_protected_object() -> None:
    current = [protected("budget.a", {"amount": 1}), live("budget.b", {"amount": 1})]
    error = refused(config(desired("budget.b", {"amount": 1})), current, PlanOptions(),
                    message="lifecycle.prevent_destroy forbids destroying budget.a")
    assert error.hint == ONE_HINT
    refused(config(), current, PlanOptions(allow_destroy=True),  # the whole file removed
            message="lifecycle.prevent_destroy forbids destroying budget.a")


def test_destroy_flag_and_replace_respect_the_remembered_flag() -> None:
    current = [protected("budget.a", {"amount": 1, "currency": "USD"}),
               protected("budget.c", {"amount": 1}), live("budget.b", {"amount": 1})]
    declared_false = config(desired("budget.a", {"amount": 1, "currency": "EUR"}),
                            desired("budget.b", {"amount": 1}), desired("budget.c", {"amount": 1}))
    error = refused(declared_false, current, PlanOptions(destroy=True, allow_destroy=True),
                    message="lifecycle.prevent_destroy forbids destroying budget.a, budget.c")
    assert error.hint is not None and error.hint.startswith("to destroy them, first apply them ")
    # the immutable currency forces a replace; declaring false in the same plan is not enough
    refused(declared_false, current, PlanOptions(),
            message="lifecycle.prevent_destroy forbids destroying budget.a")
    refused(declared_false, current, PlanOptions(replace=("budget.c",)),
            message="lifecycle.prevent_destroy forbids destroying budget.a, budget.c")


def test_setting_the_flag_is_an_update_that_apply_records() -> None:
    current = [live("budget.a", {"amount": 1})]
    plan = build_plan(config(desired("budget.a", {"amount": 1}, prevent_destroy=True)), current,
                      PlanOptions())
    (change,) = plan.changes
    assert (change.action, change.before, change.after) == ("update", {"amount": 1},
                                                            {"amount": 1})
    assert change.fields == (FieldChange("lifecycle.prevent_destroy", "change", False, True),)
    assert change.prevent_destroy is True
    assert plan.summary.line() == "Plan: 0 to add, 1 to change, 0 to destroy."
    assert writes_for(plan) == [Write("update", "budget", "a", {"amount": 1}, "config", True)]
    assert Plan.from_dict(plan.to_dict()).changes == plan.changes  # saved plans keep it


def test_lifting_protection_then_destroying() -> None:
    current = [protected("budget.a", {"amount": 1}), live("budget.b", {"amount": 1})]
    declared = config(desired("budget.a", {"amount": 2}), desired("budget.b", {"amount": 1}))
    lift = build_plan(declared, current, PlanOptions())
    (change,) = lift.changes
    assert change.fields == (FieldChange("amount", "change", 1, 2),
                             FieldChange("lifecycle.prevent_destroy", "change", True, False))
    assert change.prevent_destroy is False
    lifted = [live("budget.a", {"amount": 2}), live("budget.b", {"amount": 1})]
    gone = build_plan(config(desired("budget.b", {"amount": 1})), lifted, PlanOptions())
    assert [(c.action, c.address) for c in gone.changes] == [("delete", "budget.a")]


def test_unchanged_flag_plans_nothing_and_creates_carry_it() -> None:
    current = [protected("budget.a", {"amount": 1})]
    same = build_plan(config(desired("budget.a", {"amount": 1}, prevent_destroy=True)), current,
                      PlanOptions())
    assert same.changes == ()
    created = build_plan(config(desired("budget.n", {"amount": 1}, prevent_destroy=True)), [],
                         PlanOptions())
    assert [(c.action, c.prevent_destroy, c.fields) for c in created.changes] == [
        ("create", True, ())
    ]


def test_other_managers_objects_are_never_planned_for_destroy() -> None:
    tf = dataclasses.replace(protected("budget.t", {"amount": 1}), manager="terraform")
    plan = build_plan(config(desired("budget.b", {"amount": 1})),
                      [tf, live("budget.b", {"amount": 1})], PlanOptions())
    assert plan.changes == ()


def test_saved_plans_without_the_field_keep_what_the_state_has() -> None:
    plan = build_plan(config(desired("budget.a", {"amount": 2})), [live("budget.a", {"amount": 1})],
                      PlanOptions())
    data = plan.to_dict()
    assert data["changes"][0]["prevent_destroy"] is False
    del data["changes"][0]["prevent_destroy"]  # a plan file from before the field existed
    (write,) = writes_for(Plan.from_dict(data))
    assert write.prevent_destroy is None
