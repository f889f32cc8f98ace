"""Every kind through the SDK: every object of the repository's example (all 23
kinds), declared as a Pulumi resource with the same values, is validated by the
engine to the same canonical spec as the YAML gives, and its outputs come back
typed as the generated classes declare them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_finopsmetrics as finopsmetrics
import pytest
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.models.base import kinds
from pulumi_finopsmetrics._codegen import class_name
from pulumi_finopsmetrics._provider import FinopsProvider

from pulumi_mocks import CheckingMocks

pytestmark = pytest.mark.pulumi

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finopsmetrics.yaml"


def test_sdk_objects_validate_to_the_yaml_objects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "state.duckdb"
    monkeypatch.setenv("FINOPSMETRICS_STATE", str(store))
    engine = Engine(store)
    config = engine.load_config([EXAMPLE])
    engine.plan_and_apply(config)  # what the objects refer to is live, as after `apply`
    mocks = CheckingMocks()
    pulumi.runtime.set_mocks(mocks, project="finops", stack="dev", preview=False)
    pulumi.runtime.set_all_config({})

    @pulumi.runtime.test
    def program() -> Any:
        resources = [
            getattr(finopsmetrics, class_name(obj.kind))(obj.address, name=obj.name, **obj.spec)
            for obj in config.objects.values()
        ]
        outputs = [getattr(r, p) for r in resources for p in ("id", "manager", *r.PROPERTIES)]
        return pulumi.Output.all(*outputs)

    program()
    assert sorted(mocks.checked) == sorted(config.objects)
    provider = FinopsProvider("budget")
    for address, desired in config.objects.items():
        assert provider.split(mocks.checked[address]) == (desired.name, desired.spec), address
    assert {o.kind for o in config.objects.values()} == {info.kind for info in kinds()}
