from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from state_helpers import Commit, budget

from finopsmetrics_cli.errors import PlanError, StateError
from finopsmetrics_cli.state import migrations, open_reader, open_writer
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.store import StateStoreReader


def test_missing_file_reads_as_empty_state_and_is_not_created(state_path: Path) -> None:
    with open_reader(state_path) as reader:
        info = reader.info()
        assert (info.lineage, info.serial, info.objects) == ("", 0, 0)
        assert info.schema_version == migrations.schema_version()
        assert reader.list() == []
        assert reader.history() == []
        assert reader.get("budget.x") is None
        assert reader.last_change("budget.x") is None
    assert not state_path.exists()
    assert not state_path.parent.exists()


def test_writer_creates_state_with_lineage_and_serial_zero(state_path: Path) -> None:
    with open_writer(state_path, actor="tester", operation="test") as writer:
        info = writer.info()
        assert info.serial == 0
        uuid.UUID(info.lineage)
        assert writer.commit([], actor="tester", source="cli") == 0
    assert state_path.exists()
    assert sorted(p.name for p in state_path.parent.iterdir()) == ["state.duckdb"]


def test_commit_creates_objects_and_history(state_path: Path, commit: Commit) -> None:
    before = datetime.now(UTC)
    assert commit([budget("a"), budget("b", 5, manager=None)], git_commit="abc123") == 1
    with open_reader(state_path) as reader:
        a = reader.get("budget.a")
        assert a is not None
        assert a.spec == {"amount": 100, "currency": "USD", "period": "monthly"}
        assert list(a.spec) == ["amount", "currency", "period"]
        assert (a.manager, a.applied_spec, a.version) == ("config", a.spec, 1)
        assert (a.created_by, a.updated_by, a.updated_source) == ("tester", "tester", "cli")
        assert before <= a.created_at == a.updated_at <= datetime.now(UTC)
        b = reader.get("budget.b")
        assert b is not None and b.manager is None and b.applied_spec is None
        history = reader.history()
        assert [(h.id, h.serial, h.address, h.action) for h in history] == [
            (2, 1, "budget.b", "create"),
            (1, 1, "budget.a", "create"),
        ]
        assert history[1].before is None and history[1].after == a.spec
        assert (history[1].actor, history[1].source, history[1].git_commit) == (
            "tester",
            "cli",
            "abc123",
        )
        assert history[1].manager == "config" and history[0].manager is None


def test_lineage_is_stable_and_serial_counts_commits(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    with open_reader(state_path) as reader:
        lineage = reader.info().lineage
    commit([budget("a", 200, action="update")])
    commit([])  # nothing to write: the serial stays
    with open_reader(state_path) as reader:
        info = reader.info()
    assert (info.lineage, info.serial, info.objects) == (lineage, 2, 1)


def test_update_keeps_creation_and_bumps_version(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    commit([budget("a", 200, action="update")], actor="other", source="terraform")
    with open_reader(state_path) as reader:
        a = reader.get("budget.a")
        assert a is not None
        assert (a.spec["amount"], a.applied_spec, a.version) == (200, a.spec, 2)
        assert (a.created_by, a.updated_by, a.updated_source) == ("tester", "other", "terraform")
        assert a.created_at < a.updated_at
        change = reader.last_change("budget.a")
        assert change is not None
        assert (change.action, change.before["amount"], change.after["amount"]) == (
            "update",
            100,
            200,
        )


def test_edit_changes_live_spec_only_and_shows_as_drift(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    commit([Write("edit", "budget", "a", {"amount": 1}, None)], actor="console-user")
    with open_reader(state_path) as reader:
        a = reader.get("budget.a")
        assert a is not None
        assert (a.spec, a.manager, a.applied_spec["amount"]) == ({"amount": 1}, "config", 100)
        assert a.drifted and a.updated_by == "console-user" and a.version == 2


def test_import_and_adopt_without_spec_keep_the_live_spec(state_path: Path, commit: Commit) -> None:
    commit([budget("a", manager=None), budget("b", manager="terraform")])
    commit(
        [
            Write("import", "budget", "a", None, "config"),
            Write("adopt", "budget", "b", None, "config"),
        ]
    )
    with open_reader(state_path) as reader:
        for obj in reader.list():
            assert (obj.manager, obj.applied_spec, obj.spec["amount"]) == ("config", obj.spec, 100)
        assert [h.action for h in reader.history(limit=2)] == ["adopt", "import"]


def test_replace_is_a_new_creation(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    commit([budget("a", 7, action="replace")], actor="someone")
    with open_reader(state_path) as reader:
        a = reader.get("budget.a")
        assert a is not None and a.created_by == "someone" and a.created_at == a.updated_at


@pytest.mark.parametrize("action", ["delete", "forget"])
def test_delete_and_forget_remove_the_row_and_keep_history(
    state_path: Path, commit: Commit, action: str
) -> None:
    commit([budget("a"), budget("b")])
    commit([Write(action, "budget", "a", None, "config")])  # type: ignore[arg-type]
    with open_reader(state_path) as reader:
        assert [o.address for o in reader.list()] == ["budget.b"]
        entry = reader.last_change("budget.a")
        assert entry is not None
        assert (entry.action, entry.before["amount"], entry.after) == (action, 100, None)


def test_writes_to_one_address_apply_in_order(state_path: Path, commit: Commit) -> None:
    commit(
        [
            budget("a"),
            budget("a", 2, action="update"),
            Write("delete", "budget", "a", None, "config"),
            budget("a", 3),
        ]
    )
    with open_reader(state_path) as reader:
        a = reader.get("budget.a")
        assert a is not None and a.spec["amount"] == 3 and a.version == 1
        assert [h.action for h in reader.history("budget.a")] == [
            "create",
            "delete",
            "update",
            "create",
        ]


@pytest.mark.parametrize(
    ("writes", "message"),
    [
        ([budget("a")], "cannot create budget.a: it already exists in state (managed by config)"),
        ([budget("zz", action="update")], "cannot update budget.zz: it is not in state"),
        (
            [Write("forget", "budget", "zz", None, None)],
            "cannot forget budget.zz: it is not in state",
        ),
        ([budget("n", manager="chef")], "cannot create budget.n: unknown manager 'chef'"),
        (
            [Write("update", "budget", "a", None, "config")],
            "cannot update budget.a: a spec (a mapping) is required",
        ),
        ([Write("burn", "budget", "a", {}, None)], "cannot write budget.a: unknown action 'burn'"),  # type: ignore[arg-type]
        (
            [budget("n"), Write("create", "budget", "bad", {"x": object()}, None)],
            "cannot store budget.bad: its spec is not plain JSON data "
            "(Unable to serialize unknown type: <class 'object'>)",
        ),
    ],
)
def test_invalid_writes_fail_and_write_nothing(
    state_path: Path, commit: Commit, writes: list[Write], message: str
) -> None:
    commit([budget("a")])
    with pytest.raises(StateError, match=f"^{re.escape(message)}$"):
        commit(writes)
    with open_reader(state_path) as reader:
        assert (reader.info().serial, len(reader.list()), len(reader.history())) == (1, 1, 1)


def test_stale_expected_serial_is_refused_with_nothing_written(
    state_path: Path, commit: Commit
) -> None:
    commit([budget("a")])
    commit([budget("b")], expected_serial=1)
    message = "saved plan is stale: it was made at state serial 1, but the state is now at serial 2"
    with pytest.raises(PlanError, match=f"^{message}$"):
        commit([budget("c")], expected_serial=1)
    with open_reader(state_path) as reader:
        assert reader.info().serial == 2 and reader.get("budget.c") is None


def test_other_lineage_is_refused(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    with open_reader(state_path) as reader:
        lineage = reader.info().lineage
    with pytest.raises(
        PlanError,
        match=r"^saved plan is stale: it was made for state lineage x, but .* has lineage ",
    ):
        commit([budget("c")], expected_lineage="x")
    assert commit([budget("c")], expected_lineage=lineage, expected_serial=1) == 2


def test_history_is_append_only_newest_first(state_path: Path, commit: Commit) -> None:
    for i in range(5):
        commit([budget(f"b{i}")])
    commit([budget("b0", 1, action="update")])
    with open_reader(state_path) as reader:
        history = reader.history()
        assert [h.id for h in history] == [6, 5, 4, 3, 2, 1]
        assert [h.serial for h in history] == [6, 5, 4, 3, 2, 1]
        assert [h.address for h in reader.history(limit=2)] == ["budget.b0", "budget.b4"]
        assert [h.action for h in reader.history("budget.b0")] == ["update", "create"]
        last = reader.last_changes(["budget.b0", "budget.b1", "budget.nope"])
        assert {a: (h.action, h.serial) for a, h in last.items()} == {
            "budget.b0": ("update", 6),
            "budget.b1": ("create", 2),
        }
        assert len(reader.last_changes()) == 5


def test_list_filters_and_orders_by_address(state_path: Path, commit: Commit) -> None:
    commit(
        [
            budget("z"),
            budget("a", manager="terraform"),
            Write("create", "tag_policy", "m", {"required": ["team"]}, "config"),
        ]
    )
    with open_reader(state_path) as reader:
        assert [o.address for o in reader.list()] == ["budget.a", "budget.z", "tag_policy.m"]
        assert [o.address for o in reader.list(kind="budget")] == ["budget.a", "budget.z"]
        assert [o.address for o in reader.list(manager="config")] == ["budget.z", "tag_policy.m"]
        assert reader.list(kind="budget", manager="pulumi") == []


def test_specs_round_trip_exactly(state_path: Path, commit: Commit) -> None:
    spec = {"z": 0.1, "a": [1, 2.5, None, True], "é": "ünïcode ✓", "n": {"deep": {"x": 10**15}}}
    commit([Write("create", "budget", "u", spec, "config")])
    with open_reader(state_path) as reader:
        obj = reader.get("budget.u")
        assert obj is not None and obj.spec == spec and list(obj.spec) == list(spec)


def test_readers_in_one_process_survive_a_commit(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    with open_reader(state_path) as first, open_reader(state_path) as second:
        assert first.info().serial == second.info().serial == 1
        commit([budget("b")])  # closes their read-only connections for the commit
        assert first.info().serial == 2 and len(second.list()) == 2


def test_readers_in_several_processes_read_at_once(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    script = (
        "import sys; from finopsmetrics_cli.state import open_reader\n"
        "r = open_reader(sys.argv[1]); print(r.info().serial, len(r.list())); r.close()"
    )
    with open_reader(state_path) as reader:
        assert reader.info().serial == 1  # holds its read-only connection
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(state_path)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        assert [run.communicate(timeout=30)[0] for run in runs] == ["1 1\n"] * 3


HOLD_RW = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def test_reader_waits_for_a_writer_in_another_process(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RW, str(state_path), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "open\n"
    try:
        with StateStoreReader(state_path, busy_timeout=0.2) as impatient:
            with pytest.raises(
                StateError,
                match=r"^state file .* is being written by another process; "
                r"gave up after 0\.2s \(IO Error: Could not set lock",
            ):
                impatient.info()
        with StateStoreReader(state_path, busy_timeout=20) as patient:
            assert patient.info().serial == 1
    finally:
        holder.wait(timeout=30)


def test_threads_of_one_process_read_while_another_commits(
    state_path: Path, commit: Commit
) -> None:
    commit([budget(f"b{i}") for i in range(50)])
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        with open_reader(state_path) as reader:
            while not done.is_set():
                try:
                    info = reader.info()
                    objects = reader.list()
                    assert len(objects) >= info.objects - 50 and len(objects) % 50 == 0
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for round_ in range(1, 6):
            commit([budget(f"r{round_}_{i}") for i in range(50)])
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=60)
    assert errors == []
    with open_reader(state_path) as reader:
        assert (reader.info().serial, reader.info().objects) == (6, 300)


def test_list_pairs_each_applied_spec_with_its_object(state_path: Path, commit: Commit) -> None:
    """Equal applied specs are shared, unmanaged ones None, drifted ones each their own."""
    commit([budget("a"), budget("b", 2), budget("c", 3, manager=None), budget("d", 4)])
    commit([Write("edit", "budget", n, {"amount": v}, None) for n, v in (("b", 20), ("d", 40))])
    with open_reader(state_path) as reader:
        objs = {o.name: o for o in reader.list()}
    assert objs["a"].applied_spec is objs["a"].spec
    assert objs["c"].applied_spec is None and objs["c"].spec["amount"] == 3
    for name, live, applied in (("b", 20, 2), ("d", 40, 4)):
        assert objs[name].spec == {"amount": live} and objs[name].applied_spec is not None
        assert objs[name].applied_spec["amount"] == applied and objs[name].drifted


def test_list_hands_out_known_specs_whose_stored_text_matches(
    state_path: Path, commit: Commit
) -> None:
    """``known`` specs stand in for byte-identical stored ones; any other is parsed."""
    commit([budget("a"), budget("b", 2), budget("c", 3), budget("d", 4)])
    commit([Write("edit", "budget", "d", {"amount": 40}, None)])
    same = budget("a").spec
    reordered = {"currency": "USD", "amount": 2, "period": "monthly"}  # equal, other text
    other = budget("c", 30).spec
    drifted = budget("d", 4).spec  # the applied spec, not the live one
    known = {
        "budget.a": same,
        "budget.b": reordered,
        "budget.c": other,
        "budget.d": drifted,
        "budget.zz": {"amount": 1},
    }
    with open_reader(state_path) as reader:
        plain = reader.list()
        objs = {o.name: o for o in reader.list(known=known)}
    assert list(objs.values()) == plain
    assert objs["a"].spec is same and objs["a"].applied_spec is same
    assert objs["b"].spec is not reordered and objs["b"].spec == reordered
    assert objs["c"].spec is not other and objs["c"].spec["amount"] == 3
    assert objs["d"].spec == {"amount": 40} and objs["d"].applied_spec == drifted
    assert objs["d"].drifted
