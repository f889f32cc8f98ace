"""Factories shared by the state tests (a unique module name: test dirs are not packages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from finopsmetrics_cli.state.api import Write

Commit = Callable[..., int]


def budget(
    name: str, amount: int = 100, manager: str | None = "config", action: str = "create"
) -> Write:
    spec: dict[str, Any] = {"amount": amount, "currency": "USD", "period": "monthly"}
    return Write(action, "budget", name, spec, manager)  # type: ignore[arg-type]
