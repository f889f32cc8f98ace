"""Engine.write_objects: many single-object writes in one commit, each checked as alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.engine import Engine, ObjectWrite
from finopsmetrics_cli.errors import ConflictError, FinopsError, PlanError, ValidationFailed
from finopsmetrics_cli.state import lock_for

BUDGET = {"amount": 100, "period": "monthly"}


@pytest.fixture
def tf(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "state.duckdb", actor="tf-user", source="terraform")


def create(name: str, spec: dict[str, object] | None = None) -> ObjectWrite:
    return ObjectWrite("create", "budget", name, spec or BUDGET, "terraform")


def test_one_commit_one_serial_a_history_row_each(tf: Engine) -> None:
    tf.create("budget", "old", BUDGET, manager="terraform")
    before = tf.info().serial
    results = tf.write_objects(
        [
            create("a"),
            ObjectWrite("update", "budget", "old", {**BUDGET, "amount": 5}, "terraform"),
            ObjectWrite("create", "team", "t", {"owners": ["x@example.com"]}, "terraform"),
        ]
    )
    assert [getattr(r, "address", r) for r in results] == ["budget.a", "budget.old", "team.t"]
    assert tf.info().serial == before + 1
    assert [(h.address, h.action, h.serial) for h in tf.history(limit=3)] == [
        ("team.t", "create", before + 1),
        ("budget.old", "update", before + 1),
        ("budget.a", "create", before + 1),
    ]
    old = tf.read("budget.old")
    assert old is not None and (old.version, old.spec["amount"]) == (2, 5)


def test_a_refused_request_writes_nothing_and_the_others_commit(tf: Engine) -> None:
    tf.create("budget", "taken", BUDGET, manager="pulumi")
    results = tf.write_objects(
        [
            create("fine"),
            create("bad", {"amount": -1, "period": "monthly"}),
            create("taken"),
            ObjectWrite("update", "budget", "missing", BUDGET, "terraform"),
            ObjectWrite("delete", "budget", "gone", None, "terraform"),
        ]
    )
    fine, bad, taken, missing, gone = results
    assert fine is not None and not isinstance(fine, FinopsError) and fine.version == 1
    assert isinstance(bad, ValidationFailed)
    assert isinstance(taken, ConflictError) and taken.message == "budget.taken is managed by pulumi"
    assert isinstance(missing, PlanError)
    assert missing.message == "budget.missing does not exist"
    assert gone is None  # already gone: nothing to do, as delete()
    assert [o.name for o in tf.list_objects()] == ["fine", "taken"]
    assert [h.address for h in tf.history()] == ["budget.fine", "budget.taken"]


def test_an_unchanged_update_returns_the_object_unwritten(tf: Engine) -> None:
    tf.create("budget", "same", BUDGET, manager="terraform")
    serial = tf.info().serial
    (same,) = tf.write_objects([ObjectWrite("update", "budget", "same", BUDGET, "terraform")])
    assert same is not None and not isinstance(same, FinopsError) and same.version == 1
    assert tf.info().serial == serial


def test_references_count_earlier_writes_of_the_batch(tf: Engine) -> None:
    team = ObjectWrite("create", "team", "ml-team", {"owners": ["x@example.com"]}, "terraform")
    owned = create("owned", {**BUDGET, "owner": "ml-team"})
    _, second = tf.write_objects([team, owned])
    assert not isinstance(second, FinopsError), second
    tf.write_objects([create("x")])
    gone, dangling = tf.write_objects(
        [
            ObjectWrite("delete", "team", "ml-team", None, "terraform"),
            create("dangling", {**BUDGET, "owner": "ml-team"}),
        ]
    )
    assert gone is None
    assert isinstance(dangling, ValidationFailed)
    assert [d.code for d in dangling.diagnostics] == ["E301"]


def test_a_repeated_address_is_written_after_the_first(tf: Engine) -> None:
    serial = tf.info().serial
    created, updated = tf.write_objects(
        [create("b"), ObjectWrite("update", "budget", "b", {**BUDGET, "amount": 7}, "terraform")]
    )
    assert not isinstance(created, FinopsError) and not isinstance(updated, FinopsError)
    assert created is not None and updated is not None
    assert (created.version, updated.version, updated.spec["amount"]) == (1, 2, 7)
    assert tf.info().serial == serial + 2


def test_a_held_lock_refuses_every_request(tmp_path: Path) -> None:
    state = tmp_path / "state.duckdb"
    Engine(state).create("budget", "b", BUDGET, manager="terraform")
    lock = lock_for(state)
    lock.acquire(who="someone@else", operation="apply")
    try:
        results = Engine(state).write_objects([create("x"), create("y")])
    finally:
        lock.release()
    assert len({id(r) for r in results}) == 1
    assert isinstance(results[0], FinopsError)
    assert results[0].message.startswith(f"state {state} is locked: ID ")
    assert Engine(state).read("budget.x") is None


def test_validate_object_with_the_callers_own_known_addresses(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "never" / "state.duckdb")
    owned = {**BUDGET, "owner": "ml-team"}
    asked: list[str] = []

    def known(address: str) -> bool:
        asked.append(address)
        return address == "team.ml-team"

    assert engine.validate_object("budget", "b", owned, known=known)["owner"] == "ml-team"
    with pytest.raises(ValidationFailed) as caught:
        engine.validate_object("budget", "b", {**BUDGET, "owner": "nobody"}, known=known)
    assert [d.code for d in caught.value.diagnostics] == ["E301"]
    assert "team.ml-team" in asked and "team.nobody" in asked
    assert not (tmp_path / "never").exists()  # the state was never opened


def test_a_writing_session_holds_the_lock_across_its_writes(tf: Engine, tmp_path: Path) -> None:
    serial = tf.info().serial
    other = Engine(tf.location, actor="someone", source="cli")
    with tf.writing("terraform writes") as session:
        (first,) = session.write([create("a")])
        with pytest.raises(FinopsError, match=r"^state .* is locked: .*'terraform writes'"):
            other.create("budget", "x", BUDGET, manager="config")
        second, refused = session.write([create("b"), create("a")])
    assert not isinstance(first, FinopsError) and not isinstance(second, FinopsError)
    assert isinstance(refused, PlanError) and refused.message == "budget.a already exists"
    assert tf.info().serial == serial + 2  # one commit per write call
    other.create("budget", "x", BUDGET, manager="config")  # the lock is released after
    assert [o.name for o in tf.list_objects()] == ["a", "b", "x"]
