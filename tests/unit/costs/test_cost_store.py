"""The cost store file: creation, refusals, read-only access and where it lives."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb  # noqa: TID251 - tests open the store directly
import pytest

from finopsmetrics_cli.config.model import Settings
from finopsmetrics_cli.costs import migrations
from finopsmetrics_cli.costs.focus import STORE_COLUMNS
from finopsmetrics_cli.costs.store import CostStore, resolve_cost_store_path
from finopsmetrics_cli.errors import CostDataError


def test_missing_store_read_only_says_run_sync(tmp_path: Path) -> None:
    store = CostStore(tmp_path / "costs.duckdb")
    with pytest.raises(CostDataError) as info, store.connect():
        pass
    assert info.value.message == (
        f"no cost data: the cost store {tmp_path / 'costs.duckdb'} does not exist"
    )
    assert info.value.hint == "run `finopsmetrics costs sync`"
    assert not (tmp_path / "costs.duckdb").exists()


def test_created_with_columns_and_views(tmp_path: Path) -> None:
    store = CostStore(tmp_path / "sub" / "costs.duckdb")
    with store.connect(read_only=False) as conn:
        table = conn.execute("DESCRIBE cost_rows").fetchall()
        view = conn.execute("DESCRIBE costs").fetchall()
        enriched = conn.execute("DESCRIBE costs_enriched").fetchall()
        version = conn.execute("SELECT schema_version FROM meta").fetchone()
    expected = [(c.name, c.sql_type.replace(", ", ",")) for c in STORE_COLUMNS]
    assert [(r[0], r[1].replace(", ", ",")) for r in table] == expected
    assert [r[0] for r in view] == [c.name for c in STORE_COLUMNS]
    assert [r[0] for r in enriched][: len(STORE_COLUMNS)] == [c.name for c in STORE_COLUMNS]
    assert version == (migrations.schema_version(),)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["costs.duckdb"]


def test_read_only_connection_refuses_writes(tmp_path: Path) -> None:
    store = CostStore(tmp_path / "costs.duckdb")
    with store.connect(read_only=False):
        pass
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM costs").fetchone() == (0,)
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.execute("DELETE FROM cost_rows")


def test_sessions_run_in_utc(tmp_path: Path) -> None:
    store = CostStore(tmp_path / "costs.duckdb")
    with store.connect(read_only=False) as conn:
        value = conn.execute(
            "SELECT CAST(TIMESTAMPTZ '2024-03-01 00:30:00+02' AS TIMESTAMP)"
        ).fetchone()
    assert str(value[0]) == "2024-02-29 22:30:00"  # type: ignore[index]


def test_newer_schema_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "costs.duckdb"
    with CostStore(path).connect(read_only=False) as conn:
        conn.execute("UPDATE meta SET schema_version = 99")
    before = path.read_bytes()
    for read_only in (True, False):
        with (
            pytest.raises(
                CostDataError,
                match=re.escape(
                    f"cost store {path} has schema version 99, newer than this finopsmetrics"
                ),
            ),
            CostStore(path).connect(read_only=read_only),
        ):
            pass
    assert path.read_bytes() == before


def test_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with (
        pytest.raises(CostDataError, match=r"is not a finopsmetrics cost store"),
        CostStore(other).connect(read_only=False),
    ):
        pass
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CostDataError) as info, CostStore(garbage).connect():
        pass
    assert "cannot be opened: it is not a DuckDB database" in info.value.message
    assert info.value.hint is not None and "costs sync --full" in info.value.hint
    assert garbage.read_bytes() == b"not a database at all" * 100


def test_older_schema_upgraded_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "costs.duckdb"
    with CostStore(path).connect(read_only=False):
        pass
    extra = migrations.Migration("test: a later table", ("CREATE TABLE later (x INTEGER)",))
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, extra])
    with CostStore(path).connect() as conn:  # read-only callers get it upgraded too
        assert conn.execute("SELECT schema_version FROM meta").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM later").fetchone() == (0,)


def test_resolve_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPSMETRICS_COSTS", raising=False)
    settings = Settings(raw={"costs": {"store": "from-settings.duckdb"}})
    assert resolve_cost_store_path(None, None) == Path(".finopsmetrics/costs.duckdb")
    assert resolve_cost_store_path(None, settings) == Path("from-settings.duckdb")
    monkeypatch.setenv("FINOPSMETRICS_COSTS", "from-env.duckdb")
    assert resolve_cost_store_path(None, settings) == Path("from-env.duckdb")
    assert resolve_cost_store_path("explicit.duckdb", settings) == Path("explicit.duckdb")


def test_empty_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "costs.duckdb"
    path.write_bytes(b"")
    for read_only in (True, False):
        with pytest.raises(CostDataError) as info, CostStore(path).connect(read_only=read_only):
            pass
        assert info.value.message == f"cost store {path} is empty (0 bytes); it was left untouched"
    assert path.read_bytes() == b""
