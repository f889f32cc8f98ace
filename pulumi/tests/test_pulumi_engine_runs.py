"""What a real ``pulumi preview`` / ``up`` / ``refresh`` / ``destroy`` runs: programs
registered under Pulumi's mocks, their inputs sent to Pulumi's own dynamic-provider
host in the engine's order, over a real DuckDB state. Each test is one way a real
stack behaves that imitating the engine loosely did not show."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dill
import grpc
import pulumi
import pulumi_finopsmetrics as finopsmetrics
import pytest
from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.engine import Engine
from pulumi_finopsmetrics._provider import FinopsProvider
from typer.testing import CliRunner

from pulumi_host import CheckFailed, ProviderHost, Resource, Stack, error_line, registrations

pytestmark = pytest.mark.pulumi

STORE = "finopsmetrics:store"
FIXTURES = Path(__file__).parent / "fixtures"
ERROR = "pulumi_finopsmetrics._provider.FinopsProviderError: "
Hosts = Callable[..., ProviderHost]


def team_and_budget(amount: float = 1000) -> None:
    """The pattern the docs recommend: one object names another through its output."""
    team = finopsmetrics.Team("ml-team", owners=["lead@company.com"])
    finopsmetrics.Budget("ml-budget", amount=amount, period="monthly", owner=team.name)


def budget_only(
    name: str = "shared-budget", amount: float = 1000, adopt: bool | None = None, **opts: Any
) -> Callable[[], None]:
    def program() -> None:
        options = pulumi.ResourceOptions(**opts) if opts else None
        extra = {} if adopt is None else {"adopt": adopt}
        finopsmetrics.Budget("budget", name=name, amount=amount, opts=options, **extra)

    return program


def stack_on(hosts: Hosts, store: Path, name: str = "dev") -> Stack:
    return Stack(hosts(config={STORE: str(store)}), name=name)


def legacy_stack(hosts: Hosts, store: Path) -> Stack:
    """A stack as an earlier version left it (fixture) and its object, managed by ``pulumi``."""
    legacy = json.loads((FIXTURES / "legacy_budget_state.json").read_text())
    spec = {k: v for k, v in legacy["inputs"].items() if not k.startswith("__") and k != "name"}
    Engine(store, source="pulumi").create("budget", "legacy-budget", spec, manager="pulumi")
    stack = stack_on(hosts, store)
    inputs, outputs = legacy["inputs"], legacy["outputs"]
    stack.resources["budget"] = Resource("Budget", legacy["id"], inputs, outputs)
    return stack


# 1 -------------------------------------------------------------------------


def test_first_preview_with_one_object_naming_another(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    program = stack.register(team_and_budget)
    assert program["ml-budget"].inputs["owner"] == "ml-team"  # known in a preview

    assert stack.preview(program) == {"ml-team": "create", "ml-budget": "create"}
    assert not store.exists()  # a preview writes nothing, and opens no state
    assert stack.up(program) == {"ml-team": "create", "ml-budget": "create"}
    assert stack.calls == [
        "Check ml-team",
        "Check ml-budget",
        "Check ml-team",
        "Create ml-team",
        "Check ml-budget",
        "Create ml-budget",
    ]
    live = Engine(store).read("budget.ml-budget")
    assert live is not None and live.spec["owner"] == "ml-team"


def test_references_are_still_enforced_when_the_object_is_written(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    Engine(store, source="cli").create("team", "platform", {}, manager="config")

    def dangling() -> None:
        finopsmetrics.Budget("b", amount=10, owner="ml-tema")

    with pytest.raises(grpc.RpcError) as caught:
        stack.up(stack.register(dangling))
    assert error_line(caught.value) == (
        f"{ERROR}budget 'b': owner names team 'ml-tema', which is not declared [E301] "
        "(hint: declare it under teams:)"
    )
    assert Engine(store).read("budget.b") is None


# 2 -------------------------------------------------------------------------


def test_a_moved_state_is_found_where_the_stack_now_points(
    hosts: Hosts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default state, ``.finopsmetrics/state.duckdb`` beside the program: the engine
    starts the provider host in the program's directory, as it runs the program."""
    first = tmp_path / "checkout-1"
    (first / ".finopsmetrics").mkdir(parents=True)
    monkeypatch.chdir(first)
    stack = Stack(hosts(cwd=first))
    stack.up(stack.register(team_and_budget))
    assert len(Engine(first / ".finopsmetrics" / "state.duckdb").list_objects()) == 2
    stored = json.dumps([(r.inputs, r.outputs) for r in stack.resources.values()])
    assert str(tmp_path) not in stored  # no path is stored with a resource

    # The checkout moves (another CI workspace, another machine).
    moved = tmp_path / "checkout-2"
    shutil.move(first, moved)
    monkeypatch.chdir(moved)
    stack.host = hosts(cwd=moved)
    stack.refresh()
    assert list(stack) == ["ml-team", "ml-budget"]
    stack.destroy()
    assert Engine(moved / ".finopsmetrics" / "state.duckdb").list_objects() == []


def test_a_state_that_does_not_exist_is_an_error_not_an_empty_success(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    stack.up(stack.register(team_and_budget))
    stack.host = hosts(config={STORE: str(tmp_path / "elsewhere.duckdb")})
    expected = (
        f"{ERROR}the finopsmetrics state {tmp_path / 'elsewhere.duckdb'} does not exist "
        "(hint: point this stack at the state its objects live in: "
        "pulumi config set finopsmetrics:store PATH (or set FINOPSMETRICS_STATE))"
    )
    with pytest.raises(grpc.RpcError) as refreshing:
        stack.refresh()
    assert error_line(refreshing.value) == expected
    with pytest.raises(grpc.RpcError) as destroying:
        stack.destroy()
    assert error_line(destroying.value) == expected
    assert not (tmp_path / "elsewhere.duckdb").exists()
    assert len(Engine(store).list_objects()) == 2  # still live: nothing claimed gone


def test_the_environment_names_the_state_when_the_stack_config_does_not(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "env.duckdb"
    stack = Stack(hosts(env={"FINOPSMETRICS_STATE": str(store)}))
    stack.up(stack.register(budget_only()))
    assert Engine(store).read("budget.shared-budget") is not None


# 3 -------------------------------------------------------------------------


def test_adopt_takes_an_existing_object_over_at_create(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    engine = Engine(store, source="cli")
    engine.create("budget", "shared-budget", {"amount": 1000}, manager="config")
    stack = stack_on(hosts, store)

    assert stack.up(stack.register(budget_only(adopt=True))) == {"budget": "create"}
    live = engine.read("budget.shared-budget")
    assert live is not None and live.manager == "pulumi:finops/dev"
    assert [e.action for e in engine.history("budget.shared-budget")] == ["adopt", "create"]
    assert stack.preview(stack.register(budget_only())) == {"budget": "same"}  # adopt dropped
    stack.destroy()  # it is this stack's now
    assert engine.read("budget.shared-budget") is None


def test_import_is_refused_in_the_program_with_the_way_that_works() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        registrations(budget_only(import_="budget.shared-budget"))
    assert str(caught.value) == (
        "Budget 'budget': import_ does not work with finopsmetrics resources (Pulumi dynamic "
        "providers cannot import); declare the object as it is with adopt=True instead"
    )


def test_why_import_cannot_work_the_import_step_reads_with_the_id_alone(
    hosts: Hosts, tmp_path: Path
) -> None:
    """The engine's import step sends no inputs, so the host cannot find the provider."""
    stack = stack_on(hosts, tmp_path / "state.duckdb")
    with pytest.raises(grpc.RpcError) as caught:
        stack.read_id_only("budget", "Budget", "budget.shared-budget")
    assert error_line(caught.value) == "KeyError: '__provider'"


# 4 -------------------------------------------------------------------------


def test_create_never_silently_takes_an_unmanaged_object(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    engine = Engine(store, source="console")
    engine.create("budget", "shared-budget", {"amount": 5}, manager=None)
    stack = stack_on(hosts, store)
    with pytest.raises(grpc.RpcError) as caught:
        stack.up(stack.register(budget_only()))
    assert error_line(caught.value) == (
        f"{ERROR}budget.shared-budget already exists, unmanaged "
        "(hint: pass adopt=True to the resource to take it over)"
    )
    live = engine.read("budget.shared-budget")
    assert live is not None and live.manager is None and live.spec["amount"] == 5
    assert [e.action for e in engine.history("budget.shared-budget")] == ["create"]
    assert list(stack) == []  # nothing for a destroy to delete


# 5 -------------------------------------------------------------------------


def test_two_stacks_of_one_program_never_share_objects(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    dev = stack_on(hosts, store, "dev")
    prod = stack_on(hosts, store, "prod")
    dev.up(dev.register(budget_only()))
    with pytest.raises(grpc.RpcError) as caught:
        prod.up(prod.register(budget_only()))
    assert error_line(caught.value) == (
        f"{ERROR}budget.shared-budget is managed by pulumi:finops/dev "
        "(hint: pass adopt=True to the resource to take it over)"
    )
    prod.up(prod.register(budget_only(name="prod-budget")))
    managers = {o.address: o.manager for o in Engine(store).list_objects()}
    assert managers == {
        "budget.shared-budget": "pulumi:finops/dev",
        "budget.prod-budget": "pulumi:finops/prod",
    }
    prod.destroy()  # only its own
    assert [o.address for o in Engine(store).list_objects()] == ["budget.shared-budget"]


def test_the_cli_shows_and_names_the_stack_manager(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    first = stack_on(hosts, store)
    first.up(first.register(budget_only()))
    runner = CliRunner()
    listed = runner.invoke(app, ["state", "list", "--state", str(store), "--no-color"])
    assert listed.exit_code == 0, listed.output
    assert "budget.shared-budget pulumi:finops/dev 1" in " ".join(listed.output.split())
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text("budgets:\n  - name: shared-budget\n    amount: 5\n")
    plan = runner.invoke(app, ["plan", str(config), "--state", str(store), "--no-color"])
    assert plan.exit_code == 1
    assert "budget.shared-budget (managed by pulumi:finops/dev)" in " ".join(plan.output.split())


def test_plan_and_drift_json_with_a_stack_manager_follow_their_schemas(tmp_path: Path) -> None:
    import jsonschema

    store = tmp_path / "state.duckdb"
    Engine(store, source="pulumi").create(
        "budget", "shared-budget", {"amount": 5}, manager="pulumi:finops/dev"
    )
    Engine(store, source="api").edit_live("budget.shared-budget", {"amount": 7})
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text("budgets:\n  - name: shared-budget\n    amount: 9\n")
    schemas = Path(__file__).resolve().parents[2] / "schemas"
    runner = CliRunner()
    for args, schema in (
        (["drift", "--state", str(store), "--format", "json"], "drift.schema.json"),
        (["plan", str(config), "--adopt", "--state", str(store), "--format", "json"],
         "plan.schema.json"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        assert "pulumi:finops/dev" in result.output
        jsonschema.validate(document, json.loads((schemas / schema).read_text()))


def test_objects_of_an_earlier_version_move_to_the_stack_manager_on_update(
    hosts: Hosts, tmp_path: Path
) -> None:
    """Earlier versions recorded every stack as ``pulumi``: those objects stay the
    stack's own (read, deleted as ``pulumi``) and take its name on their next update."""
    store = tmp_path / "state.duckdb"
    stack = legacy_stack(hosts, store)

    stack.refresh()  # an earlier version's state: __store dropped, the object found
    resource = stack.resources["budget"]
    assert "__store" not in resource.outputs and "__store" not in resource.inputs
    assert resource.outputs["manager"] == "pulumi"
    program = stack.register(budget_only(name="legacy-budget", amount=2000))
    assert stack.up(program) == {"budget": "update"}
    live = Engine(store).read("budget.legacy-budget")
    assert live is not None and (live.manager, live.spec["amount"]) == ("pulumi:finops/dev", 2000)
    assert Engine(store).history("budget.legacy-budget", limit=1)[0].action == "update"
    stack.destroy()
    assert Engine(store).read("budget.legacy-budget") is None


# 6 -------------------------------------------------------------------------


def test_a_secret_literal_is_never_echoed(hosts: Hosts, tmp_path: Path) -> None:
    def program() -> None:
        finopsmetrics.NotificationChannel(
            "alerts",
            type="webhook",
            webhook_url=pulumi.Output.secret("hunter2-not-a-reference"),
            headers={"X-Token": pulumi.Output.secret("tok-12345678")},
        )

    stack = stack_on(hosts, tmp_path / "state.duckdb")
    with pytest.raises(CheckFailed) as caught:
        stack.preview(stack.register(program))
    got = "a secret field holds a reference, ${env:NAME} or ${file:PATH}, got a literal string"
    hint = (
        "(hint: put the value in an environment variable and write ${env:NAME} (or ${file:/path}))"
    )
    assert caught.value.failures == [
        ("webhook_url", f"notification_channel 'alerts': webhook_url: {got} [E221] {hint}"),
        ("headers.X-Token", f"notification_channel 'alerts': headers.X-Token: {got} [E221] {hint}"),
    ]


# 7 -------------------------------------------------------------------------


def test_a_rename_creates_the_new_object_before_deleting_the_old(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    stack.up(stack.register(budget_only(name="q1")))
    Engine(store, source="terraform").create("budget", "taken", {"amount": 1}, manager="terraform")

    stack.calls.clear()
    with pytest.raises(grpc.RpcError):  # the new name is another tool's: create fails ...
        stack.up(stack.register(budget_only(name="taken")))
    assert stack.calls == ["Check budget", "Diff budget", "Create budget"]
    assert Engine(store).read("budget.q1") is not None  # ... and the old object is still there

    stack.calls.clear()
    assert stack.up(stack.register(budget_only(name="q2"))) == {"budget": "replace"}
    assert stack.calls == ["Check budget", "Diff budget", "Create budget", "Delete budget"]
    assert {o.name for o in Engine(store).list_objects(kind="budget")} == {"q2", "taken"}


# 8 -------------------------------------------------------------------------


def test_replace_on_changes_is_honoured(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)

    def program(amount: float, threshold: float) -> Callable[[], None]:
        def run() -> None:
            finopsmetrics.Budget(
                "budget",
                amount=amount,
                alerts=[finopsmetrics.BudgetAlertArgs(threshold=threshold)],
                opts=pulumi.ResourceOptions(replace_on_changes=["alerts[*].threshold"]),
            )

        return run

    stack.up(stack.register(program(100, 0.5)))
    assert stack.up(stack.register(program(200, 0.5))) == {"budget": "update"}
    news = stack.check(stack.register(program(200, 0.9))["budget"])
    diff = stack.diff("budget", news)
    assert (list(diff.replaces), diff.deleteBeforeReplace) == (["alerts"], True)
    assert stack.up(stack.register(program(200, 0.9))) == {"budget": "replace"}
    assert Engine(store).history("budget.budget", limit=2)[1].action == "delete"


# 9 -------------------------------------------------------------------------


def test_the_pickled_provider_in_existing_stacks_still_loads() -> None:
    """``__provider`` in every stack's state names ``pulumi_finopsmetrics._provider.
    FinopsProvider`` with one attribute, ``kind``: a persisted API."""
    legacy = json.loads((FIXTURES / "legacy_budget_state.json").read_text())
    restored = dill.loads(base64.b64decode(legacy["outputs"]["__provider"]))
    assert type(restored) is FinopsProvider and vars(restored) == {"kind": "budget"}
    assert restored.configured_store is None  # set only by the host's configure


def test_an_earlier_versions_stack_refreshes_and_destroys_through_the_host(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    stack = legacy_stack(hosts, store)
    assert stack.preview(stack.register(budget_only(name="legacy-budget"))) == {"budget": "same"}
    stack.refresh()
    assert stack.outputs("budget")["address"] == "budget.legacy-budget"
    stack.destroy()
    assert Engine(store).read("budget.legacy-budget") is None


# protect and prevent_destroy ---------------------------------------------------


def test_a_delete_the_engine_refuses_is_a_clean_pulumi_error(hosts: Hosts, tmp_path: Path) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    stack.up(stack.register(budget_only()))
    spec = Engine(store).read("budget.shared-budget").spec  # type: ignore[union-attr]
    Engine(store, source="cli").update(
        "budget", "shared-budget", spec, manager="config", adopt=True
    )
    with pytest.raises(grpc.RpcError) as caught:
        stack.destroy()
    assert error_line(caught.value) == (
        f"{ERROR}budget.shared-budget is managed by config, not by pulumi:finops/dev; "
        "refusing to delete it (hint: delete it with config)"
    )
    assert "engine.py" not in caught.value.details()  # type: ignore[attr-defined]
    assert Engine(store).read("budget.shared-budget") is not None


def test_protect_is_remembered_in_the_state_as_prevent_destroy(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    stack = stack_on(hosts, store)
    stack.up(stack.register(budget_only(protect=True)))
    assert Engine(store).read("budget.shared-budget").prevent_destroy  # type: ignore[union-attr]

    # protect dropped from the program: Pulumi forgets it, the state does not
    assert stack.up(stack.register(budget_only())) == {"budget": "same"}
    with pytest.raises(grpc.RpcError) as caught:
        stack.destroy()
    assert error_line(caught.value) == (
        f"{ERROR}lifecycle.prevent_destroy forbids destroying budget.shared-budget (hint: "
        "protection is remembered in the finopsmetrics state: declare the resource with "
        "opts=pulumi.ResourceOptions(protect=False) and run pulumi up first)"
    )
    assert Engine(store).read("budget.shared-budget") is not None

    assert stack.up(stack.register(budget_only(protect=False))) == {"budget": "update"}
    assert not Engine(store).read("budget.shared-budget").prevent_destroy  # type: ignore[union-attr]
    stack.destroy()
    assert Engine(store).read("budget.shared-budget") is None


def test_an_adopted_object_keeps_the_protection_its_configuration_gave_it(
    hosts: Hosts, tmp_path: Path
) -> None:
    store = tmp_path / "state.duckdb"
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(
        "budgets:\n  - name: shared-budget\n    amount: 1000\n"
        "    lifecycle: {prevent_destroy: true}\n"
    )
    engine = Engine(store, source="cli")
    engine.plan_and_apply(engine.load_config([config]))
    stack = stack_on(hosts, store)
    stack.up(stack.register(budget_only(adopt=True)))
    live = engine.read("budget.shared-budget")
    assert live is not None and live.manager == "pulumi:finops/dev" and live.prevent_destroy
    with pytest.raises(grpc.RpcError) as caught:
        stack.destroy()
    assert error_line(caught.value).startswith(
        f"{ERROR}lifecycle.prevent_destroy forbids destroying budget.shared-budget (hint: "
    )


def test_the_messages_the_guide_shows_are_the_ones_pulumi_prints(
    hosts: Hosts, tmp_path: Path
) -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "pulumi" / "index.md").read_text()
    shown = " ".join(guide.split())
    store = tmp_path / "state.duckdb"
    dev, prod = stack_on(hosts, store, "dev"), stack_on(hosts, store, "prod")
    dev.up(dev.register(budget_only(protect=True)))
    Engine(store, source="console").create("budget", "hand-made", {"amount": 1}, manager=None)
    printed = []
    for stack, program in (
        (prod, budget_only()),
        (prod, budget_only(name="hand-made")),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            stack.up(stack.register(program))
        printed.append(error_line(caught.value).removeprefix(ERROR))
    dev.up(dev.register(budget_only()))  # protect dropped: Pulumi forgets it, not the state
    with pytest.raises(grpc.RpcError) as caught:
        dev.destroy()
    printed.append(error_line(caught.value).removeprefix(ERROR))
    dev.host = hosts(config={STORE: "/ci/ws-2/.finopsmetrics/state.duckdb"})
    with pytest.raises(grpc.RpcError) as caught:
        dev.refresh()
    printed.append(error_line(caught.value).removeprefix(ERROR))
    printed[1] = printed[1].replace("hand-made", "shared-budget")
    for message in printed:
        assert message in shown, message
