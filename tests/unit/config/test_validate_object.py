"""The single-object path used by Terraform and Pulumi (through the engine)."""

from __future__ import annotations

import pytest

from finopsmetrics_cli.config.model import Settings
from finopsmetrics_cli.config.validate import validate_desired, validate_object
from finopsmetrics_cli.errors import ValidationFailed


def test_returns_the_canonical_spec() -> None:
    spec = validate_object("budget", "ml", {"amount": 100, "alerts": [{"threshold": "80%"}]})
    assert spec["amount"] == 100.0 and spec["alerts"][0]["threshold"] == 0.8
    assert "name" not in spec


def test_desired_object_with_references_and_lifecycle() -> None:
    obj = validate_desired(
        "budget",
        "ml",
        {"amount": 5, "owner": "platform", "lifecycle": {"prevent_destroy": True}},
        known_addresses={"team.platform"},
    )
    assert obj.address == "budget.ml" and obj.location is None
    assert obj.references == ("team.platform",)
    assert obj.lifecycle.prevent_destroy is True


def test_errors_carry_paths_inside_the_spec_and_no_location() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_object(
            "budget", "ml", {"amount": -1, "alerts": [{"threshold": "80%", "chanels": []}]}
        )
    got = [(d.code, d.path, d.location) for d in info.value.diagnostics]
    assert got == [("E228", ("amount",), None), ("E120", ("alerts", 0, "chanels"), None)]
    assert info.value.diagnostics[1].hint == "did you mean 'channels'?"


def test_references_checked_against_known_addresses_set_or_predicate() -> None:
    spec = {"amount": 1, "alerts": [{"threshold": 0.5, "channels": ["ops", "email"]}]}
    with pytest.raises(ValidationFailed) as info:
        validate_object("budget", "b", spec, known_addresses=set())
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.path) == ("E301", ("alerts", 0, "channels", 0))
    assert validate_object(
        "budget", "b", spec, known_addresses=lambda a: a == "notification_channel.ops"
    )
    assert validate_object("budget", "b", spec)  # no knowledge: references not checked


def test_condition_errors_and_settings_attributes() -> None:
    body = {"condition": "resource.gpu_count > 4", "action": "prevent"}
    with pytest.raises(ValidationFailed) as info:
        validate_object("policy", "p", body)
    assert [(d.code, d.path) for d in info.value.diagnostics] == [("C201", ("condition",))]
    settings = Settings(attributes={"resource": {"gpu_count": "number"}})
    assert validate_object("policy", "p", body, settings=settings)["condition"]


def test_unknown_kind() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_object("budgt", "x", {})
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.message, diag.hint) == (
        "E102",
        "unknown kind 'budgt'",
        "did you mean 'budget'?",
    )
