"""The real ``finopsmetrics`` executable on state files it must refuse, and on a good one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb  # noqa: TID251 - the test tampers with the state file directly
import pytest

from finopsmetrics_cli.state import migrations, open_writer
from finopsmetrics_cli.state.api import Write

BIN = Path(sys.executable).with_name("finopsmetrics")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args, "--no-color"], capture_output=True, text=True, env=env, timeout=120
    )


def files(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.duckdb"
    with open_writer(path, actor="alice", operation="apply") as writer:
        writer.commit(
            [Write("create", "budget", "team", {"amount": 1}, "config")],
            actor="alice",
            source="cli",
        )
    return path


@pytest.mark.parametrize(
    "command", [["list"], ["show", "budget.team"], ["history"], ["rm", "budget.team"]]
)
def test_newer_schema_is_refused_by_every_state_command(state: Path, command: list[str]) -> None:
    with duckdb.connect(str(state)) as conn:
        conn.execute("UPDATE meta SET schema_version = 7")
    before = files(state.parent)
    result = cli("state", *command, "--state", str(state))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: state file {state} has schema version 7, newer than this finopsmetrics 0.1.0 "
        f"understands (up to {migrations.schema_version()}); it was left untouched\n"
    )
    assert "Traceback" not in result.stderr
    assert files(state.parent) == before


def test_corrupted_state_is_refused_untouched(state: Path) -> None:
    data = bytearray(state.read_bytes())
    data[:64] = b"\xff" * 64  # wreck the header
    state.write_bytes(bytes(data))
    before = files(state.parent)
    for command in (["list"], ["rm", "budget.team"]):
        result = cli("state", *command, "--state", str(state))
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: state file {state} cannot be opened: ")
        assert "Traceback" not in result.stderr
    assert files(state.parent) == before


def test_json_listing_and_forget_through_the_executable(state: Path) -> None:
    listed = json.loads(cli("state", "list", "--format", "json", "--state", str(state)).stdout)
    assert [o["address"] for o in listed["objects"]] == ["budget.team"]
    forgotten = cli("state", "rm", "budget.team", "--state", str(state), "--format", "json")
    assert forgotten.returncode == 0, forgotten.stderr
    assert json.loads(forgotten.stdout) == {
        "format_version": 1,
        "forgotten": "budget.team",
        "serial": 2,
    }
    history = json.loads(cli("state", "history", "--format", "json", "--state", str(state)).stdout)
    assert [(e["action"], e["serial"]) for e in history["entries"]] == [
        ("forget", 2),
        ("create", 1),
    ]
