"""The ``prevent_destroy`` column: what each write records, the round trip, the migration."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import duckdb  # noqa: TID251 - the test reads the column itself
import pytest
from state_helpers import Commit, budget

from finopsmetrics_cli.state import migrations, open_reader
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.changes import apply_writes
from finopsmetrics_cli.state.snapshot import SnapshotReader

NOW = datetime(2026, 1, 1)
SPEC = {"amount": 1}


def flags(*writes: Write) -> list[bool | None]:
    """The recorded flag after each prefix of ``writes`` (None once the row is gone)."""
    out: list[bool | None] = []
    rows: dict = {}  # type: ignore[type-arg]
    for write in writes:
        rows, _ = apply_writes(rows, [write], now=NOW, actor="me", source="api")
        row = rows["budget.a"]
        out.append(None if row is None else row.prevent_destroy)
    return out


def test_each_action_records_or_keeps_the_flag() -> None:
    assert flags(
        Write("create", "budget", "a", SPEC, "config", True),
        Write("update", "budget", "a", SPEC, "config"),  # no opinion: kept
        Write("edit", "budget", "a", {"amount": 2}, "config", False),  # out of band: kept
        Write("adopt", "budget", "a", SPEC, "terraform"),  # a takeover keeps it too
        Write("update", "budget", "a", SPEC, "terraform", False),
        Write("replace", "budget", "a", SPEC, "terraform", True),
        Write("delete", "budget", "a", None, "terraform"),
        Write("create", "budget", "a", SPEC, None),  # a new object starts unprotected
    ) == [True, True, True, True, False, True, None, False]


def test_round_trip_through_the_store_and_a_snapshot(state_path: Path, commit: Commit) -> None:
    protect = dataclasses.replace(budget("a"), prevent_destroy=True)
    commit([protect, budget("b")])
    with open_reader(state_path) as reader:
        assert [(o.address, o.prevent_destroy) for o in reader.list()] == [
            ("budget.a", True), ("budget.b", False)
        ]
        snapshot = reader.snapshot()  # type: ignore[attr-defined]
    with SnapshotReader(state_path, snapshot) as cached:
        assert [o.prevent_destroy for o in cached.list()] == [True, False]
    commit([dataclasses.replace(budget("a", 5, action="update"), prevent_destroy=False)])
    with open_reader(state_path) as reader:
        assert reader.get("budget.a").prevent_destroy is False  # type: ignore[union-attr]


def test_a_file_from_before_the_column_reads_unprotected_and_is_upgraded(
    state_path: Path, commit: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    commit([])  # a version-1 file, and one object as version 1 stored it
    monkeypatch.undo()
    with duckdb.connect(str(state_path)) as conn:
        conn.execute(
            "INSERT INTO objects VALUES ('budget.a', 'budget', 'a', '{\"amount\":1}', 'config', "
            "'{\"amount\":1}', 1, now(), 'me', now(), 'me', 'cli')"
        )
    with open_reader(state_path) as reader:  # read through a migrated copy
        assert reader.info().schema_version == 1
        assert [o.prevent_destroy for o in reader.list()] == [False]
    commit([dataclasses.replace(budget("a", 7, action="update"), prevent_destroy=True)])
    with duckdb.connect(str(state_path), read_only=True) as conn:
        assert conn.execute("SELECT schema_version FROM meta").fetchone() == (
            migrations.schema_version(),
        )
        assert conn.execute("SELECT address, prevent_destroy FROM objects").fetchall() == [
            ("budget.a", True)
        ]


def test_protection_is_migration_two() -> None:
    """Later migrations append after it; files in the wild number it 2."""
    assert migrations.MIGRATIONS[1].statements == (
        "ALTER TABLE objects ADD COLUMN prevent_destroy BOOLEAN NOT NULL DEFAULT false",
    )
