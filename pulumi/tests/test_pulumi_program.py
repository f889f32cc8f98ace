"""Programs under Pulumi's mocks: resources register with the right type and inputs."""

from __future__ import annotations

import base64
import runpy
from pathlib import Path
from typing import Any

import dill
import pulumi
import pulumi_finopsmetrics as finopsmetrics
import pytest
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.models.base import KindModel, kinds
from pulumi_finopsmetrics._codegen import class_name
from pulumi_finopsmetrics._provider import FinopsProvider

from pulumi_mocks import PROGRAMS, EngineMocks, RecordingMocks, RecordingMonitor

pytestmark = pytest.mark.pulumi


def _inputs(monitor: RecordingMonitor, name: str) -> dict[str, Any]:
    return dict(monitor.mocks.resources[name].inputs)


@pulumi.runtime.test
def test_seed_program_registers_budget_and_policy(mocks: RecordingMonitor, tmp_path: Path) -> Any:
    program = runpy.run_path(str(PROGRAMS / "seed_8_2.py"))

    def check(values: list[Any]) -> None:
        budget_id, policy_name = values
        assert budget_id == "Budget.ML Training Q1 2025"
        assert policy_name == "GPU Instance Approval"
        budget = mocks.requests["ml-training-budget"]
        assert budget.type == "pulumi-python:dynamic/finopsmetrics:Budget"
        inputs = _inputs(mocks, "ml-training-budget")
        provider = inputs.pop("__provider")
        assert inputs == {
            "name": "ML Training Q1 2025",
            "amount": 50000,
            "period": "monthly",
            "filters": {"service": "ml-training", "environment": "production"},
            "alerts": [{"threshold": 0.8, "channels": ["slack", "email"]}],
            "__manager": "pulumi:finops/dev",
        }
        restored = dill.loads(base64.b64decode(provider))
        assert isinstance(restored, FinopsProvider) and restored.kind == "budget"
        policy = _inputs(mocks, "gpu-approval-policy")
        assert mocks.requests["gpu-approval-policy"].type.endswith("finopsmetrics:Policy")
        assert policy["action"] == {"type": "require_approval", "approvers": ["cto@company.com"]}
        assert "resource.instance_family IN" in policy["condition"]

    return pulumi.Output.all(program["budget"].id, program["policy"].name).apply(check)


@pulumi.runtime.test
def test_name_defaults_to_the_resource_name(mocks: RecordingMonitor) -> Any:
    budget = finopsmetrics.Budget("team-budget", amount=10)
    return budget.name.apply(lambda name: _expect(name, "team-budget"))


@pulumi.runtime.test
def test_no_state_location_travels_with_a_resource(
    mocks: RecordingMonitor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The provider host resolves the state on every run; a stored path would break
    every stack whose checkout moves."""
    pulumi.runtime.set_config("finopsmetrics:store", str(tmp_path / "shared.duckdb"))
    monkeypatch.setenv("FINOPSMETRICS_STATE", "relative/state.duckdb")
    budget = finopsmetrics.Budget("b", amount=10)
    return budget.id.apply(lambda _: _expect(sorted(_inputs(mocks, "b")), EXPECTED_KEYS))


EXPECTED_KEYS = ["__manager", "__provider", "amount", "name"]  # None inputs are not sent


@pytest.mark.parametrize(("project", "stack"), [("finops", "dev"), ("billing-2", "prod.eu")])
def test_the_manager_names_the_project_and_stack(project: str, stack: str) -> None:
    recorder = RecordingMocks()
    monitor = RecordingMonitor(recorder)
    pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run() -> Any:
        return finopsmetrics.Team("t").id

    run()
    assert recorder.resources["t"].inputs["__manager"] == f"pulumi:{project}/{stack}"


@pulumi.runtime.test
def test_protect_adopt_and_replace_on_changes_reach_the_provider(mocks: RecordingMonitor) -> Any:
    budget = finopsmetrics.Budget(
        "kept",
        name="kept",
        amount=10,
        adopt=True,
        opts=pulumi.ResourceOptions(protect=True, replace_on_changes=["amount"]),
    )

    def check(_: Any) -> None:
        request = mocks.requests["kept"]
        assert request.protect is True
        inputs = _inputs(mocks, "kept")
        assert (inputs["__adopt"], inputs["__replace_on_changes"]) == (True, ["amount"])

    return budget.id.apply(check)


@pulumi.runtime.test
def test_args_accept_plain_dicts_too(mocks: RecordingMonitor) -> Any:
    budget = finopsmetrics.Budget("b", amount=1, alerts=[{"threshold": "80%"}])
    return budget.id.apply(lambda _: _expect(_inputs(mocks, "b")["alerts"], [{"threshold": "80%"}]))


def test_a_missing_required_argument_is_a_type_error(mocks: RecordingMonitor) -> None:
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'amount'"):
        finopsmetrics.Budget("b")  # type: ignore[call-arg]


def test_every_kind_has_a_resource_class_with_the_model_fields() -> None:
    infos = list(kinds())
    assert len(infos) >= 2
    for info in infos:
        cls = getattr(finopsmetrics, class_name(info.kind))
        assert issubclass(cls, finopsmetrics.FinopsResource)
        assert cls.KIND == info.kind
        fields = [f for f in info.model.model_fields if f not in KindModel.META_FIELDS]
        assert list(cls.PROPERTIES) == fields
        assert cls.__doc__ and cls.__init__.__doc__


def _expect(actual: Any, expected: Any) -> None:
    assert actual == expected


@pulumi.runtime.test
def test_get_reads_an_existing_object_by_address(mocks: RecordingMonitor, tmp_path: Path) -> Any:
    existing = finopsmetrics.Budget.get("existing", "budget.ml-training-q1")

    def check(id_: str) -> None:
        assert id_ == "budget.ml-training-q1"
        args = mocks.mocks.resources["existing"]
        assert args.resource_id == "budget.ml-training-q1"
        assert "name" not in args.inputs and "__store" not in args.inputs

    return existing.id.apply(check)


def test_seed_program_creates_live_objects_through_the_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "finops.duckdb"
    monkeypatch.setenv("FINOPSMETRICS_STATE", str(store))
    pulumi.runtime.set_mocks(EngineMocks(), project="finops", stack="dev", preview=False)
    pulumi.runtime.set_all_config({})

    @pulumi.runtime.test
    def run() -> Any:
        program = runpy.run_path(str(PROGRAMS / "seed_8_2.py"))
        return pulumi.Output.all(program["budget"].id, program["budget"].alerts)

    run()
    engine = Engine(store)
    budget = engine.read("budget.ML Training Q1 2025")
    assert budget is not None and budget.manager == "pulumi:finops/dev"
    assert budget.spec["amount"] == 50000
    assert budget.spec["alerts"][0]["threshold"] == 0.8
    assert budget.spec["alerts"][0]["channels"] == ["slack", "email"]
    policy = engine.read("policy.GPU Instance Approval")
    assert policy is not None and policy.spec["action"]["type"] == "require_approval"
    assert {e.source for e in engine.history()} == {"pulumi"}


@pulumi.runtime.test
def test_the_documented_program_is_the_seed_program(mocks: RecordingMonitor) -> Any:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "pulumi" / "index.md").read_text()
    program = doc.split("```python\n", 1)[1].split("```", 1)[0]
    seed = (PROGRAMS / "seed_8_2.py").read_text()
    code = [line for line in seed.splitlines() if line and not line.lstrip().startswith("#")]
    assert [line for line in program.splitlines() if line] == code
    namespace: dict[str, Any] = {}
    exec(compile(program, "docs/pulumi/index.md", "exec"), namespace)
    return namespace["budget"].id
