from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from state_helpers import Commit

from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / ".finopsmetrics" / "state.duckdb"


@pytest.fixture
def commit(state_path: Path) -> Commit:
    """Commit writes to the test state as ``tester`` from ``cli`` (taking the lock)."""

    def run(writes: Sequence[Write], **options: Any) -> int:
        options.setdefault("actor", "tester")
        options.setdefault("source", "cli")
        with open_writer(state_path, actor="tester", operation="test") as writer:
            return writer.commit(writes, **options)

    return run
