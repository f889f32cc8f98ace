"""The validated configuration: what the loader produces and the engine plans from.

Kept apart from the raw YAML (``config.loader``) as dbt keeps "unparsed" shapes
apart from its manifest: nothing here knows about YAML nodes except the
:class:`Location` each object was declared at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from finopsmetrics_cli.errors import Location


@dataclass(frozen=True, slots=True)
class ObjectLifecycle:
    prevent_destroy: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DesiredObject:
    """One object as the config declares it, validated and normalised.

    ``spec`` is the canonical JSON-able spec (``KindModel.canonical_spec``):
    equal specs mean "no change", whatever the YAML spelling was.
    ``references`` are the addresses this object names (for apply order).
    """

    kind: str
    name: str
    spec: dict[str, Any]
    lifecycle: ObjectLifecycle = ObjectLifecycle()
    location: Location | None = None
    references: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Top-level ``settings:``."""

    max_destroy: int | None = None
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Config:
    """A whole validated configuration (one file, several, or a directory)."""

    objects: dict[str, DesiredObject]
    settings: Settings = Settings()
    files: tuple[str, ...] = ()
    digest: str = ""

    def by_kind(self, kind: str) -> list[DesiredObject]:
        return [o for o in self.objects.values() if o.kind == kind]
