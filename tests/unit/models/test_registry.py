"""The registry: 23 kinds declared once, consistent metadata, every field documented."""

from __future__ import annotations

import ast
import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from finopsmetrics_cli.models import (
    KindModel,
    all_sections,
    get_kind,
    kind_for_section,
    kinds,
    make_address,
    split_address,
)
from finopsmetrics_cli.models.errors import ERROR_CODES, code_for, custom_error, error_path
from finopsmetrics_cli.tools.fieldtypes import sub_model

SPEC_KINDS = [
    "budget",
    "policy",
    "tag_rule",
    "virtual_tag",
    "anomaly_detector",
    "dashboard",
    "notification_channel",
    "notification_rule",
    "report",
    "approval_workflow",
    "automation_rule",
    "ownership_rule",
    "lifecycle_rule",
    "cost_allocation",
    "business_mapping",
    "compliance_framework",
    "scenario",
    "saas_license_policy",
    "commitment_policy",
    "scheduling_policy",
    "team",
    "plugin",
    "cost_source",
]
MODELS_DIR = Path(__file__).resolve().parents[3] / "src" / "finopsmetrics_cli" / "models"


def test_every_spec_kind_is_registered_once() -> None:
    assert sorted(info.kind for info in kinds()) == sorted(SPEC_KINDS)


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        ("budgets", "budget"),
        ("policies", "policy"),
        ("tags.auto_tagging_rules", "tag_rule"),
        ("tag_rules", "tag_rule"),
        ("tagging_rules", "tag_rule"),
        ("virtual_tags", "virtual_tag"),
        ("anomaly_detectors", "anomaly_detector"),
        ("dashboards", "dashboard"),
        ("notification_channels", "notification_channel"),
        ("notification_rules", "notification_rule"),
        ("slack_approvals", "notification_rule"),
        ("reports", "report"),
        ("approval_workflows", "approval_workflow"),
        ("automation_policy.rules", "automation_rule"),
        ("automation_rules", "automation_rule"),
        ("ownership_rules", "ownership_rule"),
        ("resource_policies", "lifecycle_rule"),
        ("cost_allocations", "cost_allocation"),
        ("shared_service_attribution", "cost_allocation"),
        ("business_mapping.products", "business_mapping"),
        ("business_mapping.features", "business_mapping"),
        ("compliance_checks", "compliance_framework"),
        ("scenarios", "scenario"),
        ("saas_policies", "saas_license_policy"),
        ("commitment_policies", "commitment_policy"),
        ("scheduling_policies", "scheduling_policy"),
        ("teams", "team"),
        ("plugins", "plugin"),
    ],
)
def test_sections(section: str, kind: str) -> None:
    assert kind_for_section(section) == kind
    assert all_sections()[section] == kind


def test_no_section_is_both_a_section_and_a_dotted_prefix() -> None:
    sections = set(all_sections())
    prefixes = {s.partition(".")[0] for s in sections if "." in s}
    assert not prefixes & sections


def test_section_metadata() -> None:
    assert get_kind("lifecycle_rule").name_key == "rule"
    assert get_kind("budget").name_key == "name"
    assert get_kind("cost_allocation").single_object_sections == ("shared_service_attribution",)
    assert get_kind("business_mapping").defaults_for("business_mapping.features") == {
        "entity_type": "feature"
    }
    assert get_kind("business_mapping").defaults_for("business_mappings") == {}


def test_one_module_per_family_and_each_kind_declared_once() -> None:
    declared: list[str] = []
    for path in MODELS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "register_kind":
                declared.append(node.args[0].value)  # type: ignore[attr-defined]
    assert sorted(declared) == sorted(SPEC_KINDS)


def _all_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for field in model.model_fields.values():
            nested = sub_model(field.annotation)
            if nested:
                visit(nested[0])

    for info in kinds():
        visit(info.model)
    return seen


def test_every_field_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in _all_models()
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert missing == []


def test_every_model_forbids_unknown_keys_and_has_a_docstring() -> None:
    for model in _all_models():
        assert model.model_config.get("extra") == "forbid", model
        assert (model.__doc__ or "").strip(), model


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _resolve(model: type[BaseModel], path: str) -> Any:
    """Follow a dotted path (``*`` = list item / map value) through the model fields."""
    current: Any = model
    for part in path.split("."):
        if part == "*":
            current = _unwrap(current)
            origin, args = get_origin(current), get_args(current)
            assert origin in (list, dict), f"{path}: '*' on a non-collection"
            current = args[-1]
            continue
        current = _unwrap(current)
        assert isinstance(current, type) and issubclass(current, BaseModel), (
            f"{path}: {part} not in a model"
        )
        assert part in current.model_fields, f"{path}: unknown field {part}"
        current = current.model_fields[part].annotation
    return current


@pytest.mark.parametrize("info", list(kinds()), ids=lambda i: i.kind)
def test_declared_paths_exist(info: Any) -> None:
    for ref in info.references:
        _resolve(info.model, ref.path)
        assert ref.target in SPEC_KINDS
    for path in (*info.immutable, *info.secret_fields, *info.condition_fields):
        _resolve(info.model, path)


def test_error_types_used_in_models_are_registered() -> None:
    used: set[str] = set()
    for path in MODELS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "custom_error":
                used.add(node.args[0].value)  # type: ignore[attr-defined]
    assert used <= set(ERROR_CODES)
    assert set(ERROR_CODES) - used == set(), "codes nobody raises"


def test_error_codes_are_unique_and_helpers() -> None:
    codes = [entry.code for entry in ERROR_CODES.values()]
    assert len(codes) == len(set(codes))
    assert code_for("widget_overlap") == "E224"
    assert code_for("missing") is None
    assert error_path({"loc": ("widgets",), "ctx": {"at": (1, "position")}}) == (
        "widgets",
        1,
        "position",
    )
    assert error_path({"loc": ("amount",)}) == ("amount",)
    with pytest.raises(KeyError):
        custom_error("no_such_type", "x")
    err = custom_error("widget_overlap", "w {index}", at=(1, "position"), index=1)
    assert err.context == {
        "index": 1,
        "at": (1, "position"),
        "hint": "give each widget its own cells (position [x, y], size [w, h])",
    }
    assert str(err) == "w 1"
    assert custom_error("not_positive", "x", hint="h").context == {"hint": "h"}


def test_addresses() -> None:
    assert split_address("budget.ml.training") == ("budget", "ml.training")
    assert make_address("budget", "x") == "budget.x"
    with pytest.raises(ValueError, match=r"^invalid address 'budget': expected KIND.NAME"):
        split_address("budget")


def test_canonical_spec_leaves_out_name_and_lifecycle() -> None:
    model = get_kind("team").model
    obj = model.model_validate({"name": "web", "lifecycle": {"prevent_destroy": True}})
    assert "name" not in obj.canonical_spec()
    assert "lifecycle" not in obj.canonical_spec()
    assert obj.lifecycle is not None and obj.lifecycle.prevent_destroy


def test_coerce_body_rejects_non_mappings() -> None:
    info = get_kind("budget")
    with pytest.raises(ValueError, match="expected a mapping of fields for this object, got list"):
        info.coerce("budgets", "x", [1, 2])


def test_coerce_renames_name_key_and_fills_section_defaults() -> None:
    data = get_kind("lifecycle_rule").coerce(
        "resource_policies",
        "r1",
        {"rule": "r1", "scope": "all", "age_threshold": "1d", "action": "x"},
    )
    assert data["name"] == "r1" and "rule" not in data
    data = get_kind("business_mapping").coerce(
        "business_mapping.products", "app", {"services": ["a"]}
    )
    assert data["entity_type"] == "product"


def test_derived_names_follow_content_not_position() -> None:
    info = get_kind("tag_rule")
    a = {"pattern": "^prod-.*", "tags": {"environment": "production"}}
    b = {"resource_type": "s3_bucket", "infer_from": "bucket_name", "tags": {"team": "auto_detect"}}
    names = [info.name_of(x, "tagging_rules") for x in (a, b)]
    assert [info.name_of(x, "tagging_rules") for x in (b, a)] == names[::-1]
    assert names[0].startswith("tag_rule-") and len(names[0]) == len("tag_rule-") + 8
    # equivalent spellings and another section spelling: the same name
    same = {"pattern": "^prod-.*", "tags": {"environment": "production"}, "enabled": True}
    assert info.name_of(same, "tagging_rules") == names[0]
    assert info.name_of(a, "tags.auto_tagging_rules") == names[0]
    assert info.name_of({**a, "tags": {"environment": "prod"}}) != names[0]


def test_natural_keys() -> None:
    assert get_kind("notification_rule").name_of({"persona": "CFO", "channels": ["email"]}) == "cfo"
    assert (
        get_kind("notification_rule").name_of({"action": "ri_purchase"})
        == "slack-approval-ri_purchase"
    )
    assert get_kind("cost_allocation").name_of({"resource_id": "rds-1"}) == "rds-1"


def test_kind_models_subclass_kindmodel() -> None:
    for info in kinds():
        assert issubclass(info.model, KindModel)
        assert info.description


def test_object_names_are_checked() -> None:
    model = get_kind("team").model
    assert model.model_validate({"name": "ML Training Q1 2025"}).name == "ML Training Q1 2025"
    try:
        model.model_validate({"name": "web "})
    except ValueError as exc:
        assert "name 'web ' must have no surrounding spaces" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("accepted a name with a trailing space")


def test_ignore_changes_names_spec_fields() -> None:
    from tests.unit.models.helpers import one_error, spec

    spec("budget", amount=1, lifecycle={"ignore_changes": ["amount", "alerts.0.threshold"]})
    assert one_error("budget", amount=1, lifecycle={"ignore_changes": ["amount", "amout"]}) == (
        "invalid_choice",
        "lifecycle.ignore_changes.1",
        "ignore_changes names 'amout', which is not a field of this kind; did you mean 'amount'?",
    )
    assert (
        one_error("budget", amount=1, lifecycle={"ignore_changes": ["name"]})[0] == "invalid_choice"
    )
