from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / ".finopsmetrics" / "state.duckdb"


def budget(
    name: str, amount: int = 100, manager: str | None = "config", action: str = "create"
) -> Write:
    spec: dict[str, Any] = {"amount": amount, "currency": "USD", "period": "monthly"}
    return Write(action, "budget", name, spec, manager)  # type: ignore[arg-type]


Commit = Callable[..., int]


@pytest.fixture
def commit(state_path: Path) -> Commit:
    """Commit writes to the test state as ``tester`` from ``cli`` (taking the lock)."""

    def run(writes: Sequence[Write], **options: Any) -> int:
        options.setdefault("actor", "tester")
        options.setdefault("source", "cli")
        with open_writer(state_path, actor="tester", operation="test") as writer:
            return writer.commit(writes, **options)

    return run
