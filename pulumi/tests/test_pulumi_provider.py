"""The dynamic provider driven over gRPC by Pulumi's own provider host, against a
real DuckDB state: check/diff/create/read/update/delete, drift, import,
validation failures and ownership conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import ValidationFailed

from pulumi_host import UNKNOWN, KindClient, ProviderHost

pytestmark = pytest.mark.pulumi

NAME = "ML Training Q1 2025"
ADDRESS = f"budget.{NAME}"
SEED_BUDGET = {
    "name": NAME,
    "amount": 50000,
    "period": "monthly",
    "filters": {"service": "ml-training", "environment": "production"},
    "alerts": [{"threshold": "80%", "channels": ["slack", "email"]}],
}


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    running = ProviderHost()
    yield running
    running.close()


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "state.duckdb")


@pytest.fixture
def budgets(host: ProviderHost, store: str) -> KindClient:
    return KindClient(host, "budget", store)


def spec_of(props: dict[str, Any]) -> dict[str, Any]:
    hidden = {"name", "address", "object_version", "manager", "__provider", "__store", "__adopt"}
    return {k: v for k, v in props.items() if k not in hidden}


def created(budgets: KindClient, **changes: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = budgets.check({**SEED_BUDGET, **changes})
    assert failures == []
    id_, outs = budgets.create(inputs)
    return id_, inputs, outs


def test_check_returns_the_engines_canonical_spec(budgets: KindClient, store: str) -> None:
    inputs, failures = budgets.check(SEED_BUDGET)
    assert failures == []
    canonical = Engine(store).validate_object(
        "budget", NAME, {k: v for k, v in SEED_BUDGET.items() if k != "name"}
    )
    assert spec_of(inputs) == canonical
    assert inputs["alerts"][0]["threshold"] == 0.8  # "80%" normalised by the engine
    assert inputs["__store"] == store


def test_check_failures_name_the_property(budgets: KindClient, store: str) -> None:
    bad = {**SEED_BUDGET, "amount": -5, "alerts": [{"threshold": "lots", "channels": ["slack"]}]}
    inputs, failures = budgets.check(bad)
    assert [prop for prop, _ in failures] == ["amount", "alerts[0].threshold"]
    assert failures[0][1] == (
        "budget 'ML Training Q1 2025': amount: must be greater than zero, got -5 [E228]"
    )
    with pytest.raises(ValidationFailed) as caught:  # the same diagnostics as the engine's own
        Engine(store).validate_object("budget", NAME, spec_of(bad))
    assert [d.message for d in caught.value.diagnostics] == [
        reason.rsplit(" [", 1)[0] for _, reason in failures
    ]
    assert Engine(store).list_objects() == []  # nothing written


def test_check_with_an_unknown_value_defers_validation(budgets: KindClient) -> None:
    inputs, failures = budgets.check({**SEED_BUDGET, "amount": UNKNOWN})
    assert failures == []
    assert inputs["amount"] == UNKNOWN


def test_create_goes_through_the_engine_as_pulumi(budgets: KindClient, store: str) -> None:
    id_, inputs, outs = created(budgets)
    assert id_ == ADDRESS
    assert outs["address"] == ADDRESS and outs["manager"] == "pulumi"
    assert outs["object_version"] == 1
    live = Engine(store).read(ADDRESS)
    assert live is not None and live.manager == "pulumi" and live.spec == spec_of(inputs)
    [entry] = Engine(store).history(ADDRESS)
    assert (entry.action, entry.source, entry.manager) == ("create", "pulumi", "pulumi")


def test_diff_no_change_update_and_replace(budgets: KindClient, store: str) -> None:
    id_, inputs, outs = created(budgets)
    assert budgets.diff(id_, outs, inputs).changes == "DIFF_NONE"

    bigger, _ = budgets.check({**SEED_BUDGET, "amount": 60000})
    diff = budgets.diff(id_, outs, bigger)
    assert (diff.changes, diff.replaces) == ("DIFF_SOME", [])
    outs = budgets.update(id_, outs, bigger)
    assert outs["amount"] == 60000 and outs["object_version"] == 2
    assert Engine(store).read(ADDRESS).spec["amount"] == 60000  # type: ignore[union-attr]

    euros, _ = budgets.check({**SEED_BUDGET, "currency": "EUR"})
    diff = budgets.diff(id_, outs, euros)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (
        "DIFF_SOME",
        ["currency"],
        True,
    )

    renamed, _ = budgets.check({**SEED_BUDGET, "amount": 60000, "name": "ML Training Q2 2025"})
    assert budgets.diff(id_, outs, renamed).replaces == ["name"]


def test_diff_with_unknowns_is_unknown(budgets: KindClient) -> None:
    id_, inputs, outs = created(budgets)
    diff = budgets.diff(id_, outs, {**inputs, "amount": UNKNOWN})
    assert diff.changes == "DIFF_UNKNOWN"


def test_refresh_sees_drift_and_update_reverts_it(budgets: KindClient, store: str) -> None:
    id_, inputs, outs = created(budgets)
    Engine(store, source="cli").edit_live(ADDRESS, {**spec_of(inputs), "amount": 99})
    assert Engine(store).read(ADDRESS).drifted  # type: ignore[union-attr]

    read_id, live_outs, live_inputs = budgets.read(id_, outs)
    assert read_id == ADDRESS
    assert live_outs["amount"] == 99 and live_inputs["amount"] == 99
    assert live_outs["object_version"] == 2

    diff = budgets.diff(id_, live_outs, inputs)
    assert (diff.changes, diff.replaces) == ("DIFF_SOME", [])
    outs = budgets.update(id_, live_outs, inputs)
    assert outs["amount"] == 50000
    live = Engine(store).read(ADDRESS)
    assert live is not None and not live.drifted and live.spec["amount"] == 50000


def test_read_of_a_deleted_object_reports_it_gone(budgets: KindClient, store: str) -> None:
    id_, _, outs = created(budgets)
    budgets.delete(id_, outs)
    assert Engine(store).read(ADDRESS) is None
    assert budgets.read(id_, outs)[0] == ""
    assert [e.action for e in Engine(store).history(ADDRESS)] == [
        "delete",
        "create",
    ]  # newest first
    budgets.delete(id_, outs)  # already gone: still a success


def test_import_reads_the_live_spec_and_adopts_on_update(budgets: KindClient, store: str) -> None:
    spec = spec_of(budgets.check(SEED_BUDGET)[0])
    Engine(store, source="cli").create("budget", NAME, spec, manager="config")

    id_, outs, inputs = budgets.import_(ADDRESS, {**SEED_BUDGET, "__adopt": True})
    assert id_ == ADDRESS and spec_of(inputs) == spec and inputs["name"] == NAME
    assert outs["manager"] == "config"

    assert outs["manager"] == "config"  # reading changes nothing

    program, _ = budgets.check({**SEED_BUDGET, "amount": 1000})  # import_ since removed
    outs = budgets.update(id_, outs, program)
    assert outs["manager"] == "pulumi" and "__adopt" not in outs
    assert Engine(store).history(ADDRESS)[0].action == "adopt"  # newest first


def test_update_of_an_object_another_tool_took_is_a_conflict(
    budgets: KindClient, store: str
) -> None:
    id_, inputs, outs = created(budgets)
    Engine(store, source="cli").update(
        "budget", NAME, spec_of(inputs), manager="config", adopt=True
    )
    program, _ = budgets.check({**SEED_BUDGET, "amount": 1000})
    with pytest.raises(grpc.RpcError, match="is managed by config"):
        budgets.update(id_, outs, program)


def test_create_over_an_object_of_another_tool_is_a_conflict(
    budgets: KindClient, store: str
) -> None:
    spec = spec_of(budgets.check(SEED_BUDGET)[0])
    Engine(store, source="terraform").create("budget", NAME, spec, manager="terraform")
    inputs, _ = budgets.check(SEED_BUDGET)
    with pytest.raises(grpc.RpcError) as caught:
        budgets.create(inputs)
    details = caught.value.details()  # type: ignore[attr-defined]
    assert details.rstrip().endswith(
        "FinopsProviderError: budget.ML Training Q1 2025 is managed by terraform "
        "(hint: to take it over, declare it with opts=pulumi.ResourceOptions(import_=ADDRESS))"
    )
    assert "engine.py" not in details  # the engine's internals stay out of Pulumi's output
    assert Engine(store).read(ADDRESS).manager == "terraform"  # type: ignore[union-attr]


def test_a_held_state_lock_fails_the_write_naming_its_holder(
    budgets: KindClient, store: str
) -> None:
    from finopsmetrics_cli.state import lock_for

    inputs, _ = budgets.check(SEED_BUDGET)
    lock = lock_for(store)
    lock.acquire(who="ci-runner@build-7", operation="apply")
    try:
        with pytest.raises(grpc.RpcError) as caught:
            budgets.create(inputs)
    finally:
        lock.release()
    last_line = caught.value.details().rstrip().splitlines()[-1]  # type: ignore[attr-defined]
    assert last_line.startswith("pulumi_finopsmetrics._provider.FinopsProviderError: state ")
    assert "held by ci-runner@build-7 for 'apply'" in last_line
    assert last_line.endswith(
        "(hint: wait for it to finish, or set FINOPSMETRICS_LOCK_TIMEOUT (seconds) to wait longer)"
    )
    assert Engine(store).read(ADDRESS) is None
