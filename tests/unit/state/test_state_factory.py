from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from state_helpers import Commit, budget

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state import (
    lock_for,
    open_reader,
    open_writer,
    remote,
    resolve_state_location,
)
from finopsmetrics_cli.state.lock import FileLock
from finopsmetrics_cli.state.store import StateStoreReader, StateStoreWriter, open_local_writer


def test_location_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPSMETRICS_STATE", raising=False)
    assert resolve_state_location(None) == ".finopsmetrics/state.duckdb"
    monkeypatch.setenv("FINOPSMETRICS_STATE", "/env/state.duckdb")
    assert resolve_state_location(None) == "/env/state.duckdb"
    assert resolve_state_location("cli.duckdb") == "cli.duckdb"


def test_local_locations_open_the_duckdb_store(state_path: Path) -> None:
    reader = open_reader(state_path)
    assert isinstance(reader, StateStoreReader)
    reader.close()
    with open_writer(state_path, actor="t", operation="t") as writer:
        assert isinstance(writer, StateStoreWriter)
    lock = lock_for(state_path)
    assert isinstance(lock, FileLock) and lock.path == state_path.with_name("state.duckdb.lock")


def test_s3_locations_go_to_the_remote_module(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    @contextmanager
    def fake_writer(location: str, **options: Any) -> Iterator[str]:
        calls.append(("writer", location, options))
        yield "remote-writer"

    monkeypatch.setattr(
        remote, "open_s3_reader", lambda location: calls.append(("reader", location)) or "r"
    )
    monkeypatch.setattr(remote, "open_s3_writer", fake_writer)
    monkeypatch.setattr(remote, "s3_lock", lambda location: calls.append(("lock", location)) or "l")
    assert open_reader("s3://bucket/key.duckdb") == "r"
    with open_writer("s3://bucket/key.duckdb", actor="a", operation="apply", lock_timeout=3) as w:
        assert w == "remote-writer"
    assert lock_for("s3://bucket/key.duckdb") == "l"
    assert calls == [
        ("reader", "s3://bucket/key.duckdb"),
        (
            "writer",
            "s3://bucket/key.duckdb",
            {"actor": "a", "operation": "apply", "lock_timeout": 3},
        ),
        ("lock", "s3://bucket/key.duckdb"),
    ]


def test_hooks_for_remote_state(state_path: Path, commit: Commit) -> None:
    """``prepare`` runs under the lock before the store opens; ``after_commit`` after commits."""
    commit([budget("a")])
    events: list[str] = []
    lock = FileLock(state_path.with_name("custom.lock"))

    def prepare(path: Path) -> None:
        events.append(f"prepare locked={lock.holder() is not None}")

    def uploaded(path: Path) -> None:
        events.append(f"after_commit wal={path.with_name(path.name + '.wal').exists()}")

    with open_local_writer(
        state_path, actor="t", lock=lock, prepare=prepare, after_commit=uploaded
    ) as w:
        w.commit([budget("b")], actor="t", source="cli")
        w.commit([], actor="t", source="cli")  # nothing written, nothing to upload
    assert events == ["prepare locked=True", "after_commit wal=False"]
    assert lock.holder() is None


HOLD_RO = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def test_commit_waits_for_readers_in_other_processes(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_RO, str(state_path), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdout.readline() == "open\n"
    try:
        with open_local_writer(state_path, actor="t", busy_timeout=0.2) as writer:
            message = (
                r"^state file .* is open in another process; gave up after 0\.2s "
                r"\(IO Error: Could not set lock"
            )
            with pytest.raises(StateError, match=message):
                writer.commit([budget("b")], actor="t", source="cli")
        assert commit([budget("b")]) == 2  # waits (up to 10 s) for the reader to finish
    finally:
        reader.wait(timeout=30)


def test_reader_of_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with (
        open_reader(tmp_path) as reader,
        pytest.raises(StateError, match=f"^state file {re.escape(str(tmp_path))} cannot be opened"),
    ):
        reader.info()


def test_state_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    path = tmp_path / "plain" / "state.duckdb"
    with pytest.raises(
        StateError,
        match=r"^cannot lock state .*/plain/state\.duckdb: (File exists|Not a directory)",
    ):
        with open_writer(path, actor="t", operation="t"):
            pass  # pragma: no cover
