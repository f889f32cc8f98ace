"""Wire <-> spec conversion: names, nulls, blocks, dynamic values, plans."""

from __future__ import annotations

import json

from terraform_provider_finopsmetrics.convert import (
    plan_wire,
    spec_to_wire,
    wire_path,
    wire_to_spec,
)
from terraform_provider_finopsmetrics.schema import kind_schema
from tf.types import Unknown


def test_spec_round_trips_through_the_wire_form() -> None:
    ks = kind_schema("dashboard")
    spec = {
        "role": "cfo",
        "widgets": [{"type": "budget_status", "config": {"show_all_budgets": True}}],
    }
    wire = spec_to_wire(ks, spec)
    assert wire["description"] is None and "widgets" not in wire
    type_json, widgets = wire["widget"]  # a block list with a dynamic attribute travels typed
    assert json.loads(type_json)[0] == "tuple"
    assert widgets[0]["config"] == {"show_all_budgets": True}
    assert wire_to_spec(ks, wire) == spec


def test_absent_blocks_and_nulls_are_left_out_of_the_spec() -> None:
    ks = kind_schema("policy")
    wire = spec_to_wire(ks, {"condition": "true", "action": {"type": "notify"}})
    assert wire_to_spec(ks, {**wire, "action": None}) == {"condition": "true"}


def test_plan_fills_computed_fields_from_the_canonical_spec_only() -> None:
    ks = kind_schema("budget")
    config = spec_to_wire(ks, {"amount": 10, "alerts": [{"threshold": 0.5}]})
    canonical = {
        "amount": 10,
        "currency": "USD",
        "period": "monthly",
        "alerts": [{"threshold": 0.5, "type": "actual", "channels": [], "recipients": []}],
    }
    planned = plan_wire(ks, config, canonical)
    assert planned["currency"] == "USD" and planned["amount"] == 10
    assert planned["alerts"][0]["type"] == "actual"
    assert planned["owner"] is None
    unknown = plan_wire(ks, {**config, "amount": Unknown}, None)
    assert unknown["currency"] is Unknown and unknown["amount"] is Unknown


def test_diagnostic_paths_become_attribute_paths() -> None:
    assert wire_path(kind_schema("budget"), ("alerts", 1, "threshold")) == [
        "alerts",
        (1,),
        "threshold",
    ]
    assert wire_path(kind_schema("dashboard"), ("widgets", 0, "size")) == ["widget", (0,), "size"]
    assert wire_path(kind_schema("budget"), ("filters", "service")) == ["filters", ("service",)]
