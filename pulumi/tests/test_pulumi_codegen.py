"""The generated SDK is derived from the registry and kept in sync with it."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from finopsmetrics_cli.models.base import KindInfo, KindModel, StrictModel, kinds
from finopsmetrics_cli.models.types import Threshold
from pulumi_finopsmetrics import _codegen
from pulumi_finopsmetrics._codegen import RESOURCES_DIR, analyse, class_name, generate, singular
from pydantic import Field

pytestmark = pytest.mark.pulumi


def test_committed_sources_and_reference_match_the_registry() -> None:
    files = generate()
    stale = [
        str(path) for path, text in files.items() if not path.exists() or path.read_text() != text
    ]
    extra = sorted(str(p) for p in set(RESOURCES_DIR.glob("*.py")) - set(files))
    assert (stale, extra) == ([], []), "run: .venv/bin/python -m pulumi_finopsmetrics._codegen"


def test_names_follow_the_kind_and_field_path() -> None:
    assert class_name("anomaly_detector") == "AnomalyDetector"
    assert [singular(w) for w in ("alerts", "policies", "widgets", "model", "address")] == [
        "alert",
        "policy",
        "widget",
        "model",
        "address",
    ]


class _Alert(StrictModel):
    """An alert."""

    threshold: Threshold = Field(description="When.")
    priority: Literal["low", "high"] | None = None


class _Window(StrictModel):
    start: str


class _Thing(KindModel):
    """A thing for the generator."""

    amount: float = Field(gt=0, description="How much.")
    alerts: list[_Alert] = Field(default_factory=list)
    window: _Window | None = None
    labels: dict[str, str | list[str]] = Field(default_factory=dict)
    extra: Any = None
    position: tuple[int, int] | None = None
    channels: list[str] = Field(
        default_factory=list, json_schema_extra={"x-shorthand": {"type": "string"}}
    )


def test_a_model_becomes_typed_args_and_a_resource() -> None:
    code = analyse(KindInfo("tiny_thing", "tiny_things", _Thing, description="A thing."))
    assert code.cls == "TinyThing"
    props = {p.name: p for p in code.props}
    assert set(props) == {"amount", "alerts", "window", "labels", "extra", "position", "channels"}
    assert props["position"].input_type == "Sequence[pulumi.Input[int]]"
    assert props["channels"].input_type == "Union[Sequence[pulumi.Input[str]], str]"
    assert props["channels"].output_type == "Any"  # stored as a list, written either way
    assert props["amount"].required and props["amount"].input_type == "float"
    assert props["alerts"].input_type == (
        "Sequence[pulumi.Input[pulumi.InputType[TinyThingAlertArgs]]]"
    )
    assert props["window"].input_type == "pulumi.InputType[TinyThingWindowArgs]"
    assert (
        props["labels"].input_type
        == "Mapping[str, pulumi.Input[Union[str, Sequence[pulumi.Input[str]]]]]"
    )
    assert props["extra"].input_type == "Any"
    alert = {a.name: a for a in code.args}["TinyThingAlertArgs"]
    threshold, priority = alert.props
    assert (threshold.input_type, threshold.required) == ("Union[float, str]", True)
    assert priority.doc == "One of ``low``, ``high``."
    source = _codegen.render_module(code)
    compile(source, "tiny_thing.py", "exec")
    assert "class TinyThingAlertArgs:" in source and "amount: pulumi.Input[float]," in source


def test_a_field_that_shadows_a_resource_attribute_is_refused() -> None:
    class Clash(KindModel):
        urn: str

    with pytest.raises(
        ValueError, match=r"kind clash: fields \['urn'\] clash with resource arguments"
    ):
        analyse(KindInfo("clash", "clashes", Clash))


def test_the_seed_args_classes_exist() -> None:
    import pulumi_finopsmetrics as finopsmetrics

    registered = {info.kind for info in kinds()}
    expected = {
        "budget": "BudgetAlertArgs",
        "policy": "PolicyActionArgs",
        "dashboard": "DashboardWidgetArgs",
        "anomaly_detector": "AnomalyDetectorModelArgs",
    }
    for kind, args in expected.items():
        if kind in registered:
            assert hasattr(finopsmetrics, args), args
