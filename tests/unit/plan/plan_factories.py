"""Factories for plan tests: desired and live objects built directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from finopsmetrics_cli.config.model import Config, DesiredObject, ObjectLifecycle, Settings
from finopsmetrics_cli.state.api import HistoryEntry, LiveObject

T0 = datetime(2026, 11, 27, 10, 0, 0)


def desired(
    address: str,
    spec: dict[str, Any],
    *,
    refs: tuple[str, ...] = (),
    prevent_destroy: bool = False,
    ignore: tuple[str, ...] = (),
) -> DesiredObject:
    kind, name = address.split(".", 1)
    return DesiredObject(kind, name, spec, ObjectLifecycle(prevent_destroy, ignore), None, refs)


def live(
    address: str,
    spec: dict[str, Any],
    *,
    manager: str | None = "config",
    applied: dict[str, Any] | None = None,
) -> LiveObject:
    kind, name = address.split(".", 1)
    applied_spec = applied if applied is not None else (spec if manager else None)
    return LiveObject(kind, name, spec, manager, applied_spec, 1, T0, "me", T0, "me", "cli")


def config(*objects: DesiredObject, max_destroy: int | None = None) -> Config:
    return Config({o.address: o for o in objects}, Settings(max_destroy=max_destroy), (), "d1")


def entry(address: str, action: str, *, actor: str = "alice", source: str = "api",
          manager: str | None = "config", before: dict[str, Any] | None = None) -> HistoryEntry:
    return HistoryEntry(1, 3, address, action, before, None, manager, actor, source, T0, None)
