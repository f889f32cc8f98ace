"""Shared fixtures for the condition language tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conditions"


def load_fixture(name: str) -> list[dict[str, Any]]:
    data = YAML(typ="safe").load((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(data, list) and data
    return data


@pytest.fixture
def duck() -> Iterator[Any]:
    import duckdb  # noqa: TID251 - tests run real DuckDB

    con = duckdb.connect()
    try:
        yield con
    finally:
        con.close()
