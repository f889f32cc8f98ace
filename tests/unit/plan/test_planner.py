from __future__ import annotations

import pytest
from plan_factories import config, desired, entry, live

from finopsmetrics_cli.errors import ConflictError, PlanError
from finopsmetrics_cli.plan.diff import FieldChange
from finopsmetrics_cli.plan.model import ApplyResult, PlanOptions
from finopsmetrics_cli.plan.planner import build_plan

CH = {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK}"}


def actions(plan) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(c.action, c.address) for c in plan.changes]


def test_create_in_reference_order() -> None:
    cfg = config(
        desired("budget.b", {"amount": 1}, refs=("notification_channel.c",)),
        desired("notification_channel.c", CH),
    )
    plan = build_plan(cfg, [], PlanOptions())
    assert actions(plan) == [("create", "notification_channel.c"), ("create", "budget.b")]
    assert plan.summary.line() == "Plan: 2 to add, 0 to change, 0 to destroy."


def test_no_changes() -> None:
    plan = build_plan(config(desired("budget.a", {"amount": 1})), [live("budget.a", {"amount": 1})],
                      PlanOptions())
    assert plan.changes == ()
    assert plan.summary.line() == "No changes."


def test_update_is_field_level() -> None:
    plan = build_plan(
        config(desired("budget.a", {"amount": 2, "alerts": [{"threshold": 0.9}]})),
        [live("budget.a", {"amount": 1, "alerts": [{"threshold": 0.8}]})],
        PlanOptions(),
    )
    (change,) = plan.changes
    assert change.action == "update"
    assert change.fields == (
        FieldChange("alerts[0].threshold", "change", 0.8, 0.9),
        FieldChange("amount", "change", 1, 2),
    )


def test_deletes_in_reverse_reference_order() -> None:
    current = [
        live("notification_channel.c", CH),
        live("budget.b", {"amount": 1, "alerts": [{"channels": ["c"]}]}),
        live("budget.keep", {"amount": 1}),
    ]
    edges_cfg = config(desired("budget.keep", {"amount": 1}))
    plan = build_plan(edges_cfg, current, PlanOptions())
    assert {a for _, a in actions(plan)} == {"notification_channel.c", "budget.b"}
    assert plan.summary.line() == "Plan: 0 to add, 0 to change, 2 to destroy."


def test_other_managers_objects_are_not_deleted_but_conflict_when_declared() -> None:
    current = [live("budget.tf", {"amount": 1}, manager="terraform"),
               live("budget.mine", {"amount": 1})]
    plan = build_plan(config(desired("budget.mine", {"amount": 1})), current, PlanOptions())
    assert plan.changes == ()
    cfg = config(desired("budget.mine", {"amount": 1}), desired("budget.tf", {"amount": 2}))
    with pytest.raises(ConflictError, match=r"budget\.tf \(managed by terraform\)"):
        build_plan(cfg, current, PlanOptions())
    adopted = build_plan(cfg, current, PlanOptions(adopt=True))
    assert actions(adopted) == [("adopt", "budget.tf")]
    assert adopted.changes[0].previous_manager == "terraform"


def test_unmanaged_live_object_is_imported() -> None:
    plan = build_plan(config(desired("budget.x", {"amount": 1})),
                      [live("budget.x", {"amount": 1}, manager=None)], PlanOptions())
    assert actions(plan) == [("import", "budget.x")]
    assert plan.summary.line() == "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."
    assert plan.summary.to_dict() == {"add": 0, "change": 0, "destroy": 0, "import": 1}


def test_import_that_changes_fields_also_counts_as_change() -> None:
    """As Terraform 1.5+ counts an import block whose configuration differs."""
    plan = build_plan(config(desired("budget.x", {"amount": 2}), desired("budget.y", {})),
                      [live("budget.x", {"amount": 1}, manager=None)], PlanOptions())
    assert plan.summary.line() == "Plan: 1 to import, 1 to add, 1 to change, 0 to destroy."


def test_apply_result_line_names_imports_only_when_there_are_some() -> None:
    assert ApplyResult(2, 1, 0, 7, imported=1).line() == (
        "Apply complete! Resources: 1 imported, 2 added, 1 changed, 0 destroyed.")
    assert ApplyResult(2, 1, 0, 7).line() == (
        "Apply complete! Resources: 2 added, 1 changed, 0 destroyed.")


def test_replace_flag_and_prevent_destroy() -> None:
    cfg = config(desired("budget.a", {"amount": 1}))
    current = [live("budget.a", {"amount": 1})]
    plan = build_plan(cfg, current, PlanOptions(replace=("budget.a",)))
    assert actions(plan) == [("replace", "budget.a")]
    assert plan.summary.line() == "Plan: 1 to add, 0 to change, 1 to destroy."
    guarded = config(desired("budget.a", {"amount": 1}, prevent_destroy=True))
    with pytest.raises(PlanError, match=r"^lifecycle.prevent_destroy forbids destroying budget"):
        build_plan(guarded, current, PlanOptions(replace=("budget.a",)))


def test_destroy_and_mass_deletion_guard() -> None:
    cfg = config(desired("budget.a", {"amount": 1}), desired("budget.b", {"amount": 1}))
    current = [live("budget.a", {"amount": 1}), live("budget.b", {"amount": 1})]
    with pytest.raises(PlanError, match=r"^the plan would destroy every managed object \(2\)$"):
        build_plan(cfg, current, PlanOptions(destroy=True))
    plan = build_plan(cfg, current, PlanOptions(destroy=True, allow_destroy=True))
    assert plan.summary.line() == "Plan: 0 to add, 0 to change, 2 to destroy."
    current.append(live("budget.c", {"amount": 1}))
    small = config(desired("budget.c", {"amount": 1}), max_destroy=1)
    with pytest.raises(PlanError, match=r"more than settings\.max_destroy \(1\)"):
        build_plan(small, current, PlanOptions())


def test_target_includes_dependencies_only() -> None:
    cfg = config(
        desired("budget.b", {"amount": 1}, refs=("notification_channel.c",)),
        desired("notification_channel.c", CH),
        desired("budget.other", {"amount": 1}),
    )
    plan = build_plan(cfg, [], PlanOptions(targets=("budget.b",)))
    assert actions(plan) == [("create", "notification_channel.c"), ("create", "budget.b")]
    with pytest.raises(PlanError, match=r"^--target budget\.nope: no such object"):
        build_plan(cfg, [], PlanOptions(targets=("budget.nope",)))


def test_ignore_changes_is_neither_update_nor_drift() -> None:
    cfg = config(desired("budget.a", {"amount": 1, "p": "x"}, ignore=("amount",)))
    current = [live("budget.a", {"amount": 5, "p": "x"}, applied={"amount": 1, "p": "x"})]
    plan = build_plan(cfg, current, PlanOptions(), last_change=lambda a: entry(a, "edit"))
    assert plan.changes == () and plan.outside_changes == ()


def test_outside_change_and_refresh_only() -> None:
    cfg = config(desired("budget.a", {"amount": 1}))
    current = [live("budget.a", {"amount": 5}, applied={"amount": 1})]
    plan = build_plan(cfg, current, PlanOptions(), last_change=lambda a: entry(a, "edit"))
    (outside,) = plan.outside_changes
    assert (outside.change, outside.actor, outside.source) == ("update", "alice", "api")
    assert outside.fields == (FieldChange("amount", "change", 1, 5),)
    assert actions(plan) == [("update", "budget.a")]
    refresh = build_plan(cfg, current, PlanOptions(refresh_only=True), last_change=lambda a: None)
    assert actions(refresh) == [("refresh", "budget.a")]
    assert refresh.changes[0].after == {"amount": 5}


def test_deleted_outside_of_code_is_reported_and_recreated() -> None:
    cfg = config(desired("budget.a", {"amount": 1}))
    plan = build_plan(cfg, [], PlanOptions(),
                      last_change=lambda a: entry(a, "delete", manager="terraform"))
    assert [o.change for o in plan.outside_changes] == ["delete"]
    assert actions(plan) == [("create", "budget.a")]
