"""The fast path's gate: string keys only, nesting at most MAX_DEPTH below the root."""

from __future__ import annotations

from typing import Any

import pytest

from finopsmetrics_cli.config.source import MAX_DEPTH, _plain_and_shallow


def _nest(levels: int, shape: str) -> Any:
    """``levels`` containers inside one another: dicts, lists, or alternating."""
    value: Any = "leaf"
    for i in range(levels):
        if shape == "dict" or (shape == "mixed" and i % 2):
            value = {"k": value}
        else:
            value = [value]
    return value


@pytest.mark.parametrize("shape", ["dict", "list", "mixed"])
def test_depth_limit_is_exact(shape: str) -> None:
    assert _plain_and_shallow(_nest(MAX_DEPTH + 1, shape)) is True
    assert _plain_and_shallow(_nest(MAX_DEPTH + 2, shape)) is False


@pytest.mark.parametrize(
    "data",
    [
        {"a": [{"b": {1: "x"}}]},
        {"a": [{"b": {"c": {None: 1}}}]},
        {True: 1},
        {"a": {(1, 2): 3}},
        [{"ok": 1}, {2.5: "x"}],
    ],
)
def test_a_non_string_key_anywhere_is_refused(data: Any) -> None:
    assert _plain_and_shallow(data) is False


@pytest.mark.parametrize("data", [("a",), b"x", {"a", "b"}])
def test_a_root_that_yaml_never_yields_is_refused(data: Any) -> None:
    assert _plain_and_shallow(data) is False


@pytest.mark.parametrize(
    "data",
    [None, "s", 1, {}, [], {"a": [1, 2.5, None, True, "s", [], {}]}, [[{"a": {"b": [1]}}]]],
)
def test_plain_data_passes(data: Any) -> None:
    assert _plain_and_shallow(data) is True
