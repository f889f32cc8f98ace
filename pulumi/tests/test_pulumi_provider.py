"""The dynamic provider driven by Pulumi's own provider host over gRPC, in the order
the engine calls it, against a real DuckDB state: check/diff/create/read/update/
delete, drift, validation failures, ownership conflicts and the state lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pulumi_finopsmetrics as finopsmetrics
import pytest
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import ValidationFailed

from pulumi_host import (
    UNKNOWN,
    CheckFailed,
    ProviderHost,
    Registration,
    Stack,
    error_line,
    registrations,
)

pytestmark = pytest.mark.pulumi

NAME = "ML Training Q1 2025"
ADDRESS = f"budget.{NAME}"
MANAGER = "pulumi:finops/dev"
SEED_BUDGET: dict[str, Any] = {
    "name": NAME,
    "amount": 50000,
    "period": "monthly",
    "filters": {"service": "ml-training", "environment": "production"},
    "alerts": [{"threshold": "80%", "channels": ["slack", "email"]}],
}
HIDDEN = {"name", "address", "object_version", "manager", "__provider", "__manager", "__adopt"}


def budget(**changes: Any) -> dict[str, Registration]:
    args = {**SEED_BUDGET, **changes}
    return registrations(lambda: finopsmetrics.Budget("ml-training-budget", **args))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "state.duckdb"


@pytest.fixture
def stack(hosts: Callable[..., ProviderHost], store: Path) -> Stack:
    return Stack(hosts(config={"finopsmetrics:store": str(store)}))


def spec_of(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in HIDDEN}


def test_check_returns_the_engines_canonical_spec(stack: Stack, store: Path) -> None:
    inputs = stack.check(budget()["ml-training-budget"])
    canonical = Engine(store).validate_object("budget", NAME, spec_of(SEED_BUDGET))
    assert spec_of(inputs) == canonical
    assert inputs["alerts"][0]["threshold"] == 0.8  # "80%" normalised by the engine
    assert inputs["__manager"] == MANAGER and "__store" not in inputs
    assert not store.exists()  # checking an object opens no state


def test_check_failures_name_the_property(stack: Stack, store: Path) -> None:
    changes: dict[str, Any] = {"amount": -5, "alerts": [{"threshold": "lots"}]}
    bad = budget(**changes)
    with pytest.raises(CheckFailed) as caught:
        stack.check(bad["ml-training-budget"])
    failures = caught.value.failures
    assert [prop for prop, _ in failures] == ["amount", "alerts[0].threshold"]
    assert failures[0][1] == (
        "budget 'ML Training Q1 2025': amount: must be greater than zero, got -5 [E228]"
    )
    with pytest.raises(ValidationFailed) as engine:  # the same diagnostics as the engine's own
        Engine(store).validate_object("budget", NAME, spec_of({**SEED_BUDGET, **changes}))
    assert [d.message for d in engine.value.diagnostics] == [
        reason.rsplit(" [", 1)[0] for _, reason in failures
    ]
    assert not store.exists()  # nothing written


def test_check_with_an_unknown_value_defers_validation(stack: Stack) -> None:
    reg = budget()["ml-training-budget"]
    reg.inputs["amount"] = UNKNOWN
    assert stack.check(reg)["amount"] == UNKNOWN


def test_create_goes_through_the_engine_as_the_stack(stack: Stack, store: Path) -> None:
    assert stack.up(budget()) == {"ml-training-budget": "create"}
    outs = stack.outputs("ml-training-budget")
    assert stack.resources["ml-training-budget"].id == ADDRESS
    assert (outs["address"], outs["manager"], outs["object_version"]) == (ADDRESS, MANAGER, 1)
    live = Engine(store).read(ADDRESS)
    assert live is not None and live.manager == MANAGER and live.spec == spec_of(outs)
    [entry] = Engine(store).history(ADDRESS)
    assert (entry.action, entry.source, entry.manager) == ("create", "pulumi", MANAGER)


def test_update_in_place_and_replace_of_an_immutable_field(stack: Stack, store: Path) -> None:
    stack.up(budget())
    assert stack.preview(budget()) == {"ml-training-budget": "same"}

    assert stack.up(budget(amount=60000)) == {"ml-training-budget": "update"}
    outs = stack.outputs("ml-training-budget")
    assert outs["amount"] == 60000 and outs["object_version"] == 2
    assert Engine(store).read(ADDRESS).spec["amount"] == 60000  # type: ignore[union-attr]

    euros = budget(amount=60000, currency="EUR")
    news = stack.check(euros["ml-training-budget"])
    diff = stack.diff("ml-training-budget", news)
    # Same address: the old object must go before the new one can be created.
    assert (list(diff.replaces), diff.deleteBeforeReplace) == (["currency"], True)
    stack.calls.clear()
    assert stack.up(euros) == {"ml-training-budget": "replace"}
    assert stack.calls == [
        "Check ml-training-budget",
        "Diff ml-training-budget",
        "Delete ml-training-budget",
        "Create ml-training-budget",
    ]
    assert Engine(store).read(ADDRESS).spec["currency"] == "EUR"  # type: ignore[union-attr]


def test_diff_with_unknowns_is_unknown(stack: Stack) -> None:
    stack.up(budget())
    reg = budget()["ml-training-budget"]
    reg.inputs["amount"] = UNKNOWN
    diff = stack.diff("ml-training-budget", stack.check(reg))
    assert diff.changes == diff.DIFF_UNKNOWN


def test_refresh_sees_drift_and_update_reverts_it(stack: Stack, store: Path) -> None:
    stack.up(budget())
    spec = spec_of(stack.outputs("ml-training-budget"))
    Engine(store, source="cli").edit_live(ADDRESS, {**spec, "amount": 99})

    stack.refresh()
    resource = stack.resources["ml-training-budget"]
    assert resource.outputs["amount"] == 99 and resource.inputs["amount"] == 99
    assert resource.outputs["object_version"] == 2

    assert stack.up(budget()) == {"ml-training-budget": "update"}
    live = Engine(store).read(ADDRESS)
    assert live is not None and not live.drifted and live.spec["amount"] == 50000


def test_refresh_of_a_deleted_object_drops_it(stack: Stack, store: Path) -> None:
    stack.up(budget())
    gone = stack.resources["ml-training-budget"]
    Engine(store, source="pulumi").delete("budget", NAME, manager=MANAGER)
    stack.refresh()
    assert list(stack) == []
    stack.delete("ml-training-budget", gone)  # already gone: still a success
    assert [e.action for e in Engine(store).history(ADDRESS)] == ["delete", "create"]


def test_update_of_an_object_another_tool_took_is_a_conflict(stack: Stack, store: Path) -> None:
    stack.up(budget())
    spec = spec_of(stack.outputs("ml-training-budget"))
    Engine(store, source="cli").update("budget", NAME, spec, manager="config", adopt=True)
    with pytest.raises(grpc.RpcError) as caught:
        stack.up(budget(amount=1000))
    assert error_line(caught.value) == (
        "pulumi_finopsmetrics._provider.FinopsProviderError: budget.ML Training Q1 2025 is "
        "managed by config (hint: pass adopt=True to the resource to take it over)"
    )


def test_create_over_an_object_of_another_tool_is_a_conflict(stack: Stack, store: Path) -> None:
    spec = Engine(store).validate_object("budget", NAME, spec_of(SEED_BUDGET))
    Engine(store, source="terraform").create("budget", NAME, spec, manager="terraform")
    with pytest.raises(grpc.RpcError) as caught:
        stack.up(budget())
    details = caught.value.details()  # type: ignore[attr-defined]
    assert error_line(caught.value) == (
        "pulumi_finopsmetrics._provider.FinopsProviderError: budget.ML Training Q1 2025 is "
        "managed by terraform (hint: pass adopt=True to the resource to take it over)"
    )
    assert "engine.py" not in details  # the engine's internals stay out of Pulumi's output
    assert Engine(store).read(ADDRESS).manager == "terraform"  # type: ignore[union-attr]


def test_a_held_state_lock_fails_the_write_naming_its_holder(stack: Stack, store: Path) -> None:
    from finopsmetrics_cli.state import lock_for

    lock = lock_for(str(store))
    lock.acquire(who="ci-runner@build-7", operation="apply")
    try:
        with pytest.raises(grpc.RpcError) as caught:
            stack.up(budget())
    finally:
        lock.release()
    last_line = error_line(caught.value)
    assert last_line.startswith("pulumi_finopsmetrics._provider.FinopsProviderError: state ")
    assert "held by ci-runner@build-7 for 'apply'" in last_line
    assert last_line.endswith(
        "(hint: wait for it to finish, or set FINOPSMETRICS_LOCK_TIMEOUT (seconds) to wait longer)"
    )
    assert Engine(store).read(ADDRESS) is None
