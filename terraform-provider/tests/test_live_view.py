"""LiveView: one read of the state serves a burst of calls, and is never stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from terraform_provider_finopsmetrics.live import LiveView

from finopsmetrics_cli.engine import Engine

BUDGET = {"amount": 100, "period": "monthly"}


def view_of(state: Path) -> tuple[Engine, LiveView]:
    engine = Engine(state, source="terraform")
    return engine, LiveView(engine.location, engine.read)


def amount(view: LiveView, address: str = "budget.b") -> float | None:
    live = view.get(address)
    return None if live is None else live.spec["amount"]


def test_a_change_by_another_process_between_two_reads_is_seen(tmp_path: Path) -> None:
    engine, view = view_of(tmp_path / "state.duckdb")
    engine.create("budget", "b", BUDGET, manager="terraform")
    engine.create("budget", "c", BUDGET, manager="terraform")
    assert (amount(view), amount(view, "budget.c")) == (100, 100)
    # The view keeps the file open for reading; an idle view lets it go, so this
    # writer gets in (it would give up after 10 s of DuckDB refusing it).
    edit = (
        "import sys; from finopsmetrics_cli.engine import Engine; "
        "e = Engine(sys.argv[1]); e.edit_live('budget.b', {'amount': 250, 'period': 'monthly'})"
    )
    done = subprocess.run(
        [sys.executable, "-c", edit, str(engine.location)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert amount(view) == 250


def test_a_write_in_this_process_is_seen_by_the_next_read(tmp_path: Path) -> None:
    engine, view = view_of(tmp_path / "state.duckdb")
    engine.create("budget", "b", BUDGET, manager="terraform")
    assert amount(view) == 100
    other = Engine(engine.location, source="api")  # not through the view's owner
    other.edit_live("budget.b", {**BUDGET, "amount": 300})
    assert amount(view) == 300
    other.delete("budget", "b", manager="terraform")
    assert view.get("budget.b") is None


def test_a_state_not_created_yet_is_not_remembered_as_empty(tmp_path: Path) -> None:
    engine, view = view_of(tmp_path / "new" / "state.duckdb")
    assert view.get("budget.b") is None
    assert not (tmp_path / "new").exists()  # reading created nothing
    Engine(engine.location).create("budget", "b", BUDGET, manager="terraform")
    assert amount(view) == 100


def test_while_another_writer_holds_the_lock_every_read_is_its_own(tmp_path: Path) -> None:
    from finopsmetrics_cli.state import lock_for

    engine, view = view_of(tmp_path / "state.duckdb")
    engine.create("budget", "b", BUDGET, manager="terraform")
    assert amount(view) == 100
    lock = lock_for(engine.location)
    lock.acquire(who="someone@else", operation="apply")
    try:
        assert amount(view) == 100  # answered, and the file let go for the writer
        opened = subprocess.run(  # a read-write open succeeds at once: nobody holds the file
            [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
             str(engine.location)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert opened.returncode == 0, opened.stderr
    finally:
        lock.release()
    assert amount(view) == 100


def test_exists_answers_from_the_copy_and_sees_writes(tmp_path: Path) -> None:
    engine, view = view_of(tmp_path / "state.duckdb")
    engine.create("budget", "b", BUDGET, manager="terraform")
    assert view.exists("budget.b") and not view.exists("budget.c")  # no copy: read alone
    assert amount(view) == 100  # now a copy is held
    assert view.exists("budget.b") and not view.exists("budget.c")
    engine.create("budget", "c", BUDGET, manager="terraform")
    assert view.exists("budget.c")
