"""The engine's plan/apply/drift against a real DuckDB state (configs built directly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.config.model import Config, DesiredObject, ObjectLifecycle, Settings
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.model import PlanOptions
from finopsmetrics_cli.plan.planfile import read_plan_file, write_plan_file
from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write

CHANNEL = {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK}"}


def obj(address: str, spec: dict[str, object], refs: tuple[str, ...] = (),
        ignore: tuple[str, ...] = ()) -> DesiredObject:
    kind, name = address.split(".", 1)
    return DesiredObject(kind, name, spec, ObjectLifecycle(False, ignore), None, refs)


def cfg(*objects: DesiredObject) -> Config:
    return Config({o.address: o for o in objects}, Settings(), (), "digest")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "state.duckdb", actor="tester")


BASE = cfg(
    obj("notification_channel.ops", CHANNEL),
    obj("budget.ml", {"amount": 100, "alerts": [{"threshold": 0.8, "channels": ["ops"]}]},
        refs=("notification_channel.ops",)),
)


def test_apply_then_no_changes(engine: Engine) -> None:
    plan = engine.plan(BASE)
    assert plan.lineage == "" and plan.serial == 0
    assert [c.address for c in plan.changes] == ["notification_channel.ops", "budget.ml"]
    result = engine.apply(plan)
    assert result.line() == "Apply complete! Resources: 2 added, 0 changed, 0 destroyed."
    assert result.serial == 1
    again = engine.plan(BASE)
    assert again.summary.line() == "No changes." and again.serial == 1
    history = engine.history("budget.ml")
    assert [(h.action, h.actor, h.source, h.manager) for h in history] == [
        ("create", "tester", "cli", "config")
    ]
    assert engine.read("notification_channel.ops").spec["webhook_url"] == "${env:SLACK_WEBHOOK}"


def test_saved_plan_goes_stale(engine: Engine, tmp_path: Path) -> None:
    engine.apply(engine.plan(BASE))
    changed = cfg(*BASE.objects.values(), obj("budget.new", {"amount": 5}))
    path = tmp_path / "plan.bin"
    write_plan_file(engine.plan(changed), path)
    engine.apply(engine.plan(cfg(*BASE.objects.values(), obj("budget.other", {"amount": 1}))))
    with pytest.raises(PlanError, match=r"^saved plan is stale: it was made at state serial 1, "
                                        r"but the state is now at serial 2$"):
        engine.apply(read_plan_file(path))


def test_plan_from_other_lineage_is_stale(tmp_path: Path) -> None:
    first, second = Engine(tmp_path / "a.duckdb"), Engine(tmp_path / "b.duckdb")
    first.apply(first.plan(BASE))
    second.apply(second.plan(cfg(obj("budget.x", {"amount": 1}))))
    plan = first.plan(cfg(*BASE.objects.values(), obj("budget.y", {"amount": 1})))
    with pytest.raises(PlanError, match=r"^saved plan is stale: it was made for state lineage"):
        second.apply(plan)


def test_outside_edit_is_drift_with_who(engine: Engine) -> None:
    engine.apply(engine.plan(BASE))
    with open_writer(engine.location, actor="console-user") as writer:
        writer.commit([Write("edit", "budget", "ml", {"amount": 999, "alerts": [
            {"threshold": 0.8, "channels": ["ops"]}]}, "config")],
            actor="console-user", source="api")
    report = engine.drift(BASE)
    (item,) = report.items
    assert (item.address, item.change, item.actor, item.source) == (
        "budget.ml", "update", "console-user", "api")
    assert [(f.path, f.old, f.new) for f in item.fields] == [("amount", 100, 999)]
    plan = engine.plan(BASE)
    assert [(c.action, [f.path for f in c.fields]) for c in plan.changes] == [
        ("update", ["amount"])]
    refresh = engine.plan(BASE, PlanOptions(refresh_only=True))
    engine.apply(refresh)
    assert not engine.drift(BASE).has_drift
    assert engine.read("budget.ml").applied_spec["amount"] == 999


def test_plan_and_apply_cancelled_writes_nothing(engine: Engine) -> None:
    plan, result = engine.plan_and_apply(BASE, confirm=lambda p: False)
    assert result is None and plan.summary.add == 2
    assert engine.info().serial == 0 and engine.list_objects() == []
    plan, result = engine.plan_and_apply(BASE, confirm=lambda p: True)
    assert result is not None and result.added == 2


def test_delete_order_is_reversed(engine: Engine) -> None:
    engine.apply(engine.plan(BASE))
    plan = engine.plan(cfg(obj("budget.keep", {"amount": 1})), PlanOptions(allow_destroy=True))
    assert [(c.action, c.address) for c in plan.changes] == [
        ("create", "budget.keep"), ("delete", "budget.ml"), ("delete", "notification_channel.ops")
    ]
