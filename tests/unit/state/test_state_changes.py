"""Write folding (``state.changes``) against a small independent model, and one DB round trip."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state import open_reader, open_writer
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.changes import apply_writes

NOW = datetime(2026, 1, 1)
NAMES = ("a", "b", "c")
ACTIONS = ("create", "update", "delete", "replace", "import", "adopt", "forget", "edit")

writes_strategy = st.lists(
    st.builds(
        Write,
        action=st.sampled_from(ACTIONS),
        kind=st.just("budget"),
        name=st.sampled_from(NAMES),
        spec=st.one_of(st.none(), st.fixed_dictionaries({"amount": st.integers(0, 9)})),
        manager=st.sampled_from([None, "config", "terraform"]),
    ),
    max_size=12,
)


def model(writes: list[Write]) -> dict[str, tuple[Any, ...]] | None:
    """(spec, manager, applied, version) per live address, or None if the batch is invalid."""
    live: dict[str, tuple[Any, ...]] = {}
    for w in writes:
        key = f"budget.{w.name}"
        old = live.get(key)
        if w.action == "create":
            if old is not None or w.spec is None:
                return None
            live[key] = (w.spec, w.manager, w.spec if w.manager else None, 1)
        elif old is None or (w.action in ("update", "replace", "edit") and w.spec is None):
            return None
        elif w.action in ("delete", "forget"):
            del live[key]
        elif w.action == "edit":
            live[key] = (w.spec, old[1], old[2], old[3] + 1)
        else:
            spec = w.spec if w.spec is not None else old[0]
            live[key] = (spec, w.manager, spec if w.manager else None, old[3] + 1)
    return live


@settings(max_examples=100, deadline=None)
@given(writes_strategy)
def test_folding_matches_the_model(writes: list[Write]) -> None:
    import json

    expected = model(writes)
    if expected is None:
        try:
            apply_writes({}, writes, now=NOW, actor="t", source="cli")
        except StateError:
            return
        raise AssertionError("an invalid batch was accepted")
    rows, history = apply_writes({}, writes, now=NOW, actor="t", source="cli")
    got = {
        a: (json.loads(r.spec), r.manager, json.loads(r.applied_spec) if r.applied_spec else None,
            r.version)
        for a, r in rows.items() if r is not None
    }  # fmt: skip
    assert got == expected
    assert [(h.address, h.action) for h in history] == [
        (f"budget.{w.name}", w.action) for w in writes
    ]
    for h, nxt in zip(history, history[1:], strict=False):
        if h.address == nxt.address:
            assert h.after == nxt.before  # the history of one address chains


@settings(max_examples=6, deadline=None)
@given(writes_strategy)
def test_the_store_lands_exactly_what_folding_computes(
    tmp_path_factory: Any, writes: list[Write]
) -> None:
    path: Path = tmp_path_factory.mktemp("s") / "state.duckdb"
    expected = model(writes)
    with open_writer(path, actor="t", operation="t") as writer:
        if expected is None:
            try:
                writer.commit(writes, actor="t", source="cli")
            except StateError:
                assert writer.info().serial == 0 and writer.history() == []
                return
            raise AssertionError("an invalid batch was accepted")
        writer.commit(writes, actor="t", source="cli")
    with open_reader(path) as reader:
        got = {o.address: (o.spec, o.manager, o.applied_spec, o.version) for o in reader.list()}
        assert got == expected
        assert len(reader.history()) == len(writes)
