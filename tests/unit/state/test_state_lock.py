from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from state_helpers import budget

from finopsmetrics_cli.errors import FinopsError, LockError
from finopsmetrics_cli.state import force_unlock, lock_holder, open_reader, open_writer
from finopsmetrics_cli.state.lock import FileLock, parse_duration


def lock_path(state_path: Path) -> Path:
    return state_path.with_name("state.duckdb.lock")


def test_lock_file_names_the_holder_and_goes_away(state_path: Path) -> None:
    with open_writer(state_path, actor="alice@laptop", operation="apply") as writer:
        holder = lock_holder(state_path)
        assert holder is not None
        assert (holder.who, holder.operation, holder.host) == (
            "alice@laptop",
            "apply",
            socket.gethostname(),
        )
        record = json.loads(lock_path(state_path).read_text())
        assert record["ID"] == holder.id and record["Pid"] == holder.pid
        writer.commit([budget("a")], actor="alice", source="cli")
    assert lock_holder(state_path) is None
    assert sorted(p.name for p in state_path.parent.iterdir()) == ["state.duckdb"]


def test_second_writer_fails_naming_the_holder(state_path: Path) -> None:
    with open_writer(state_path, actor="alice@laptop", operation="apply"):
        holder = lock_holder(state_path)
        assert holder is not None
        expected = (
            f"state {state_path} is locked: ID {holder.id}, held by alice@laptop for 'apply' "
            f"(pid {holder.pid} on {holder.host}) since {holder.created_at:%Y-%m-%d %H:%M:%S}Z"
        )
        with pytest.raises(LockError, match=f"^{re.escape(expected)}$") as caught:
            with open_writer(state_path, actor="bob", operation="apply"):
                pass  # pragma: no cover
        assert caught.value.hint == "wait for it to finish or pass --lock-timeout to wait longer"
        with pytest.raises(LockError, match=r" is locked after waiting 0\.3s: ID "):
            with open_writer(state_path, actor="bob", operation="apply", lock_timeout=0.3):
                pass  # pragma: no cover


def test_waiting_writer_gets_the_lock_when_it_is_released(state_path: Path) -> None:
    lock = FileLock.for_state(state_path)
    lock.acquire(who="alice", operation="apply")
    timer = threading.Timer(0.4, lock.release)
    timer.start()
    started = time.monotonic()
    with open_writer(state_path, actor="bob", operation="apply", lock_timeout=10) as writer:
        assert 0.3 < time.monotonic() - started < 5
        assert writer.commit([budget("a")], actor="bob", source="cli") == 1
    timer.join()


def test_lock_is_released_when_the_block_raises(state_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with open_writer(state_path, actor="alice", operation="apply"):
            raise RuntimeError("boom")
    assert lock_holder(state_path) is None


def test_readers_ignore_the_writer_lock(state_path: Path) -> None:
    with open_writer(state_path, actor="alice", operation="apply") as writer:
        writer.commit([budget("a")], actor="alice", source="cli")
        with open_reader(state_path) as reader:
            assert reader.info().serial == 1


def test_dead_holder_is_reported_with_force_unlock_hint(state_path: Path) -> None:
    script = (
        "import sys; from finopsmetrics_cli.state.lock import FileLock; from pathlib import Path\n"
        "print(FileLock.for_state(Path(sys.argv[1])).acquire(who='ci', operation='apply').id)"
    )
    dead = subprocess.run(
        [sys.executable, "-c", script, str(state_path)], capture_output=True, text=True, check=True
    )
    lock_id = dead.stdout.strip()
    with pytest.raises(LockError) as caught:
        with open_writer(state_path, actor="bob", operation="apply"):
            pass  # pragma: no cover
    assert caught.value.message.startswith(
        f"state {state_path} is locked: ID {lock_id}, held by ci for 'apply'"
    )
    assert caught.value.message.endswith(" is no longer running on this host")
    assert caught.value.hint == (
        "the holder died without releasing the lock; if no other operation is running, "
        f"remove it with `finopsmetrics state force-unlock {lock_id}`"
    )
    removed = force_unlock(state_path, lock_id)
    assert removed.id == lock_id and lock_holder(state_path) is None
    with open_writer(state_path, actor="bob", operation="apply"):
        pass


def test_force_unlock_only_removes_the_named_lock(state_path: Path) -> None:
    with pytest.raises(
        LockError, match=f"^state {re.escape(str(state_path))} is not locked; nothing to unlock$"
    ):
        force_unlock(state_path, "abc")
    lock = FileLock.for_state(state_path)
    held = lock.acquire(who="alice", operation="apply")
    with pytest.raises(LockError, match=r"^lock ID 'abc' does not match the current lock: ID "):
        force_unlock(state_path, "abc")
    assert lock_holder(state_path) == held
    force_unlock(state_path, held.id)
    assert lock_holder(state_path) is None


def test_release_never_removes_someone_elses_lock(state_path: Path) -> None:
    first = FileLock.for_state(state_path)
    first_info = first.acquire(who="alice", operation="apply")
    force_unlock(state_path, first_info.id)
    second = FileLock.for_state(state_path)
    second_info = second.acquire(who="bob", operation="apply")
    first.release()  # alice finishes late: bob's lock must stand
    assert lock_holder(state_path) == second_info
    second.release()
    assert lock_holder(state_path) is None


def test_unreadable_lock_file_still_blocks_and_can_be_removed(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    lock_path(state_path).write_text("{not json")
    with pytest.raises(LockError, match=r"is locked: ID unknown, held by unknown"):
        with open_writer(state_path, actor="bob", operation="apply"):
            pass  # pragma: no cover
    force_unlock(state_path, "unknown")
    assert lock_holder(state_path) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("30", 30.0),
        ("2.5", 2.5),
        ("30s", 30.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("500ms", 0.5),
        (" 5 s ", 5.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-1", "3d", "1m30s"])
def test_parse_duration_refuses_nonsense(text: str) -> None:
    with pytest.raises(
        FinopsError, match=f"^invalid duration for --lock-timeout: {re.escape(repr(text))}$"
    ):
        parse_duration(text)


def test_sigterm_releases_the_lock(state_path: Path) -> None:
    script = (
        "import sys, time; from finopsmetrics_cli.state import open_writer\n"
        "with open_writer(sys.argv[1], actor='ci', operation='apply'):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(state_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "locked\n"
    assert lock_holder(state_path) is not None
    child.terminate()
    assert child.wait(timeout=30) == 128 + 15
    assert lock_holder(state_path) is None
