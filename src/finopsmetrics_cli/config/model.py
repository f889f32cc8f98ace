"""The validated configuration: what the loader produces and the engine plans from.

Kept apart from the raw YAML (``config.loader``) as dbt keeps "unparsed" shapes
apart from its manifest: nothing here knows about YAML nodes except the
:class:`Location` each object was declared at.
"""

from __future__ import annotations

from collections.abc import Callable
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
    #: a Location, or a function finding it: a plan over 10,000 objects never asks
    #: where they are, so the loader leaves the line scan until someone does
    where: Location | Callable[[], Location | None] | None = field(
        default=None, compare=False, repr=False
    )
    references: tuple[str, ...] = ()
    address: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", f"{self.kind}.{self.name}")  # read ~5x per plan

    @property
    def location(self) -> Location | None:
        """Where the config declares it (None for objects not from a file)."""
        where = self.where
        return where() if callable(where) else where


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
    #: the digest when already known; otherwise computed on first read of ``digest``
    known_digest: str = field(default="", repr=False, compare=False)

    @property
    def digest(self) -> str:
        """sha256 over the canonical objects and settings (``config.validate.digest``):
        formatting and order never change it. Computed when first read (plan's text
        output never needs it; it costs ~0.1 s over 10,000 objects)."""
        if not self.known_digest:
            from finopsmetrics_cli.config.validate import digest

            object.__setattr__(self, "known_digest", digest(self.objects, self.settings))
        return self.known_digest

    def by_kind(self, kind: str) -> list[DesiredObject]:
        return [o for o in self.objects.values() if o.kind == kind]
