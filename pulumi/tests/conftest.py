"""Fixtures for the Pulumi SDK tests: Pulumi's mock monitor that records every
registration, and a real DuckDB state in a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_host import ProviderHost
from pulumi_mocks import RecordingMocks, RecordingMonitor


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RecordingMonitor]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FINOPSMETRICS_STATE", raising=False)
    recorder = RecordingMocks()
    monitor = RecordingMonitor(recorder)
    pulumi.runtime.set_mocks(
        recorder, project="finops", stack="dev", preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config({})
    yield monitor


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.duckdb"


@pytest.fixture
def hosts() -> Iterator[Callable[..., ProviderHost]]:
    """Start Pulumi's dynamic-provider host (one per configuration, as each run has one)."""
    started: list[ProviderHost] = []

    def start(**options: Any) -> ProviderHost:
        host = ProviderHost(**options)
        started.append(host)
        return host

    yield start
    for host in started:
        host.close()
