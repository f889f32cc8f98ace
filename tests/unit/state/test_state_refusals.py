"""Files the store does not understand are refused and left byte-for-byte untouched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb  # noqa: TID251 - tests tamper with state files directly
import pytest
from state_helpers import Commit, budget

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state import migrations, open_reader, open_writer
from finopsmetrics_cli.state.migrations import Migration


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the directory with its bytes and mtime (ns)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def refuse_everywhere(state_path: Path, message: str) -> None:
    """Reader and writer both refuse with ``message``; nothing in the directory changes."""
    before = snapshot(state_path.parent)
    with open_reader(state_path) as reader:
        with pytest.raises(StateError, match=f"^{re.escape(message)}$"):
            reader.info()
    with pytest.raises(StateError, match=f"^{re.escape(message)}$"):
        with open_writer(state_path, actor="tester", operation="test"):
            pass  # pragma: no cover - never reached
    assert snapshot(state_path.parent) == before  # untouched, and the lock was released


def test_newer_schema_is_refused_untouched(state_path: Path, commit: Commit) -> None:
    commit([budget("a")])
    with duckdb.connect(str(state_path)) as conn:
        conn.execute("UPDATE meta SET schema_version = 99")
    refuse_everywhere(
        state_path,
        f"state file {state_path} has schema version 99, newer than this finopsmetrics 0.1.0 "
        f"understands (up to {migrations.schema_version()}); it was left untouched",
    )


def test_corrupted_file_is_refused_untouched(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    state_path.write_bytes(b"\x00garbage, not a database\xff" * 300)
    refuse_everywhere(
        state_path,
        f"state file {state_path} cannot be opened: it is not a valid DuckDB database or was "
        f'written by a newer DuckDB (IO Error: The file "{state_path}" exists, but it is not a '
        "valid DuckDB database file!); it was left untouched",
    )


def test_truncated_state_is_refused_untouched(state_path: Path, commit: Commit) -> None:
    commit([budget(f"b{i}") for i in range(200)])
    data = state_path.read_bytes()
    state_path.write_bytes(data[: len(data) // 3])
    before = snapshot(state_path.parent)
    with open_reader(state_path) as reader, pytest.raises(StateError):
        reader.list()
    with pytest.raises(StateError), open_writer(state_path, actor="t", operation="t"):
        pass  # pragma: no cover
    assert snapshot(state_path.parent) == before


def test_empty_file_is_refused_untouched(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    state_path.touch()
    refuse_everywhere(
        state_path, f"state file {state_path} is empty (0 bytes); it was left untouched"
    )


def test_foreign_duckdb_database_is_refused_untouched(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    with duckdb.connect(str(state_path)) as conn:
        conn.execute("CREATE TABLE sales (amount INTEGER)")
    refuse_everywhere(
        state_path,
        f"{state_path} is a DuckDB database but not a finopsmetrics state (no meta table); "
        "it was left untouched",
    )


@pytest.fixture
def second_migration() -> Iterator[None]:
    """Pretend a newer finopsmetrics added a column."""
    step = Migration("objects get a note", ("ALTER TABLE objects ADD COLUMN note VARCHAR",))
    migrations.MIGRATIONS.append(step)
    try:
        yield
    finally:
        migrations.MIGRATIONS.remove(step)


def test_older_schema_is_read_through_a_copy_and_upgraded_by_a_writer(
    state_path: Path, commit: Commit, second_migration: None
) -> None:
    migrations.MIGRATIONS.pop()  # build the file with the old code ...
    old = migrations.schema_version()
    commit([budget("a")])
    migrations.MIGRATIONS.append(
        Migration("objects get a note", ("ALTER TABLE objects ADD COLUMN note VARCHAR",))
    )
    before = snapshot(state_path.parent)
    with open_reader(state_path) as reader:  # ... and read it with the new code
        assert reader.info().schema_version == old  # the file's version: it is not rewritten
        assert [o.address for o in reader.list()] == ["budget.a"]
    assert snapshot(state_path.parent) == before
    commit([budget("b")])
    with duckdb.connect(str(state_path), read_only=True) as conn:
        assert conn.execute("SELECT schema_version, serial FROM meta").fetchone() == (old + 1, 2)
        assert conn.execute("SELECT count(note) FROM objects").fetchone() == (0,)


def test_schema_version_is_the_number_of_migrations(state_path: Path, commit: Commit) -> None:
    commit([])
    with duckdb.connect(str(state_path), read_only=True) as conn:
        version, created_with, tool = conn.execute(
            "SELECT schema_version, created_with, tool_version FROM meta"
        ).fetchone()
    assert (version, created_with, tool) == (len(migrations.MIGRATIONS), "0.1.0", "0.1.0")
