"""The single-object API the Terraform and Pulumi bridges use, on a real DuckDB state."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import ConflictError, PlanError, ValidationFailed

BUDGET = {"amount": 100, "period": "monthly", "currency": "USD"}


@pytest.fixture
def tf(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "state.duckdb", actor="tf-user", source="terraform")


def test_create_update_delete_with_history(tf: Engine) -> None:
    created = tf.create(
        "budget", "b", {**BUDGET, "alerts": [{"threshold": "80%"}]}, manager="terraform"
    )
    assert (created.manager, created.version) == ("terraform", 1)
    assert created.spec["alerts"][0]["threshold"] == 0.8  # canonical, as apply stores it
    assert created.spec == created.applied_spec
    same = tf.update("budget", "b", {**BUDGET, "alerts": [{"threshold": 0.8}]}, manager="terraform")
    assert same.version == 1  # nothing changed: nothing written
    updated = tf.update("budget", "b", {**BUDGET, "amount": 200}, manager="terraform")
    assert (updated.version, updated.spec["amount"]) == (2, 200.0)
    tf.delete("budget", "b", manager="terraform")
    tf.delete("budget", "b", manager="terraform")  # already gone: fine
    assert tf.read("budget.b") is None
    assert [(h.action, h.actor, h.source) for h in tf.history("budget.b")] == [
        ("delete", "tf-user", "terraform"),
        ("update", "tf-user", "terraform"),
        ("create", "tf-user", "terraform"),
    ]


def test_other_managers_objects_conflict_unless_adopted(tf: Engine, tmp_path: Path) -> None:
    pulumi = Engine(tmp_path / "state.duckdb", actor="pu", source="pulumi")
    pulumi.create("budget", "b", BUDGET, manager="pulumi")
    with pytest.raises(ConflictError, match=r"^budget\.b is managed by pulumi$"):
        tf.update("budget", "b", BUDGET, manager="terraform")
    with pytest.raises(ConflictError, match=r"^budget\.b is managed by pulumi$"):
        tf.create("budget", "b", BUDGET, manager="terraform")
    with pytest.raises(ConflictError, match=r"^budget\.b is managed by pulumi, not by terraform"):
        tf.delete("budget", "b", manager="terraform")
    adopted = tf.update("budget", "b", BUDGET, manager="terraform", adopt=True)
    assert adopted.manager == "terraform"
    assert tf.history("budget.b", limit=1)[0].action == "adopt"
    with pytest.raises(PlanError, match=r"^budget\.b already exists$"):
        tf.create("budget", "b", BUDGET, manager="terraform")


def test_unmanaged_objects_are_claimed(tf: Engine) -> None:
    console = tf.create("budget", "hand", BUDGET, manager=None)
    assert (console.manager, console.applied_spec) == (None, None)
    claimed = tf.update("budget", "hand", BUDGET, manager="terraform")
    assert claimed.manager == "terraform"
    assert tf.history("budget.hand", limit=1)[0].action == "import"


def test_edit_live_is_drift(tf: Engine) -> None:
    tf.create("budget", "b", BUDGET, manager="terraform")
    console = Engine(tf.location, actor="alice", source="api")
    edited = console.edit_live("budget.b", {**BUDGET, "amount": 999})
    assert edited.manager == "terraform" and edited.drifted
    assert edited.applied_spec["amount"] == 100.0 and edited.spec["amount"] == 999.0
    (item,) = tf.drift().items
    assert (item.address, item.manager, item.actor, item.source) == (
        "budget.b",
        "terraform",
        "alice",
        "api",
    )
    with pytest.raises(PlanError, match=r"^budget\.nope does not exist$"):
        console.edit_live("budget.nope", BUDGET)


def test_validation_and_references_against_live_state(tf: Engine) -> None:
    with pytest.raises(ValidationFailed) as failed:
        tf.create("budget", "bad", {**BUDGET, "amount": -1}, manager="terraform")
    assert failed.value.diagnostics[0].path == ("amount",)
    with pytest.raises(ValidationFailed):
        tf.create("budget", "b", {**BUDGET, "owner": "no-such-team"}, manager="terraform")
    tf.create("team", "ml", {"owners": ["a@example.com"]}, manager="terraform")
    owned = tf.create("budget", "b", {**BUDGET, "owner": "ml"}, manager="terraform")
    assert owned.spec["owner"] == "ml"
    assert tf.validate_object("budget", "x", {**BUDGET, "currency": "eur"})["currency"] == "EUR"


def test_requires_replace_and_forget(tf: Engine) -> None:
    assert tf.requires_replace("budget", BUDGET, {**BUDGET, "currency": "EUR"}) == ["currency"]
    assert tf.requires_replace("budget", BUDGET, {**BUDGET, "amount": 5}) == []
    tf.create("budget", "b", BUDGET, manager="terraform")
    tf.forget("budget.b")
    assert tf.read("budget.b") is None
    assert tf.history("budget.b", limit=1)[0].action == "forget"
    with pytest.raises(PlanError, match=r"^budget\.b is not in state$"):
        tf.forget("budget.b")


def test_condition_errors_name_the_object(tf: Engine) -> None:
    with pytest.raises(ValidationFailed) as failed:
        tf.validate_object(
            "policy", "max-gpu", {"condition": "resource.gpu_count > 4", "action": "prevent"}
        )
    (diag,) = failed.value.diagnostics
    assert (diag.code, diag.path, diag.message) == (
        "C201",
        ("condition",),
        "policy 'max-gpu': condition: unknown attribute 'resource.gpu_count'",
    )


def test_threads_of_one_process_write_and_read_one_state(tmp_path: Path) -> None:
    """Terraform applies resources in parallel: single-object calls (attached to the
    process's shared DuckDB) interleave with whole-state reads (own connections)."""
    import threading

    location = tmp_path / "state.duckdb"
    errors: list[str] = []

    def work(worker: int) -> None:
        engine = Engine(location, actor=f"w{worker}", source="terraform", lock_timeout=60)
        try:
            for i in range(3):
                engine.create("budget", f"b{worker}-{i}", BUDGET, manager="terraform")
                assert engine.read(f"budget.b{worker}-{i}") is not None
                engine.list_objects()
        except Exception as exc:  # collected: a thread's assertion would be lost
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = Engine(location)
    assert (len(engine.list_objects()), engine.info().serial) == (12, 12)


def test_create_over_an_unmanaged_object_needs_adopt(tf: Engine) -> None:
    tf.create("budget", "hand", BUDGET, manager=None)
    with pytest.raises(ConflictError, match=r"^budget\.hand already exists, unmanaged$") as caught:
        tf.create("budget", "hand", {**BUDGET, "amount": 5}, manager="terraform")
    assert caught.value.hint == "adopt it explicitly to take it over (--adopt, or adopt=True)"
    assert tf.read("budget.hand").manager is None  # type: ignore[union-attr]
    claimed = tf.create("budget", "hand", BUDGET, manager="terraform", adopt=True)
    assert claimed.manager == "terraform"
    assert tf.history("budget.hand", limit=1)[0].action == "import"


def test_update_under_a_former_manager_name_renames_the_manager(tf: Engine) -> None:
    tf.create("budget", "b", BUDGET, manager="pulumi")
    tf.create("budget", "other", BUDGET, manager="terraform")
    renamed = tf.update(
        "budget", "b", BUDGET, manager="pulumi:finops/dev", previous_manager="pulumi"
    )
    assert (renamed.manager, renamed.version) == ("pulumi:finops/dev", 2)
    with pytest.raises(ConflictError, match=r"^budget\.other is managed by terraform$"):
        tf.update(
            "budget", "other", BUDGET, manager="pulumi:finops/dev", previous_manager="pulumi"
        )


def test_validate_object_alone_skips_references_and_the_state(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "never" / "state.duckdb")
    spec = {**BUDGET, "owner": "ml-team"}
    with pytest.raises(ValidationFailed) as caught:
        engine.validate_object("budget", "b", spec)
    assert [d.code for d in caught.value.diagnostics] == ["E301"]
    assert engine.validate_object("budget", "b", spec, references=False)["owner"] == "ml-team"
    assert not (tmp_path / "never").exists()
