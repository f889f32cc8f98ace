"""The plan: pure, serialisable data. Building one has no side effects.

A :class:`Plan` holds everything ``apply`` needs (the full spec after each
change), so a saved plan file is self-contained: ``apply PLANFILE`` never
re-reads the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from finopsmetrics_cli.plan.diff import FieldChange

#: JSON documents (plan, drift, validate, apply, state, evaluate) carry the integer 1.
FORMAT_VERSION = 1

ChangeAction = Literal["create", "update", "delete", "replace", "import", "adopt", "refresh"]

#: What each action counts as in ``Plan: N to add, N to change, N to destroy.``
#: An import counts as "to import", and also "to change" when it changes fields
#: (as Terraform 1.5+ counts ``import`` blocks).
_COUNTS: dict[str, tuple[int, int, int]] = {
    "create": (1, 0, 0),
    "update": (0, 1, 0),
    "delete": (0, 0, 1),
    "replace": (1, 0, 1),
    "import": (0, 0, 0),
    "adopt": (0, 1, 0),
    "refresh": (0, 1, 0),
}


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """The knobs of ``finopsmetrics plan`` (Terraform's, where Terraform has one)."""

    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    destroy: bool = False
    adopt: bool = False
    refresh_only: bool = False
    allow_destroy: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "replace": list(self.replace),
            "destroy": self.destroy,
            "adopt": self.adopt,
            "refresh_only": self.refresh_only,
            "allow_destroy": self.allow_destroy,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanOptions:
        return cls(
            targets=tuple(data.get("targets", ())),
            replace=tuple(data.get("replace", ())),
            destroy=bool(data.get("destroy", False)),
            adopt=bool(data.get("adopt", False)),
            refresh_only=bool(data.get("refresh_only", False)),
            allow_destroy=bool(data.get("allow_destroy", False)),
        )


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One object's change. ``after`` is the full spec to write (None for delete).

    ``prevent_destroy`` is the ``lifecycle.prevent_destroy`` the apply records
    with it (None: the state keeps what it has).
    """

    address: str
    kind: str
    name: str
    action: ChangeAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()
    forces_replacement: tuple[str, ...] = ()
    previous_manager: str | None = None
    reason: str = ""
    prevent_destroy: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "fields": [f.to_dict() for f in self.fields],
            "forces_replacement": list(self.forces_replacement),
            "previous_manager": self.previous_manager,
            "reason": self.reason,
            "prevent_destroy": self.prevent_destroy,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedChange:
        return cls(
            address=data["address"],
            kind=data["kind"],
            name=data["name"],
            action=data["action"],
            before=data.get("before"),
            after=data.get("after"),
            fields=tuple(FieldChange.from_dict(f) for f in data.get("fields", ())),
            forces_replacement=tuple(data.get("forces_replacement", ())),
            previous_manager=data.get("previous_manager"),
            reason=data.get("reason", ""),
            prevent_destroy=data.get("prevent_destroy"),
        )


@dataclass(frozen=True, slots=True)
class OutsideChange:
    """An object changed outside of code since its manager last applied it.

    ``change`` is ``update`` (fields differ from the applied spec), ``delete``
    (gone from live) or ``manager`` (another tool took it over). ``actor``,
    ``source`` and ``at`` come from the last history entry.
    """

    address: str
    kind: str
    name: str
    change: Literal["update", "delete", "manager"]
    fields: tuple[FieldChange, ...] = ()
    manager: str | None = None
    actor: str | None = None
    source: str | None = None
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "fields": [f.to_dict() for f in self.fields],
            "manager": self.manager,
            "actor": self.actor,
            "source": self.source,
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutsideChange:
        return cls(
            address=data["address"],
            kind=data["kind"],
            name=data["name"],
            change=data["change"],
            fields=tuple(FieldChange.from_dict(f) for f in data.get("fields", ())),
            manager=data.get("manager"),
            actor=data.get("actor"),
            source=data.get("source"),
            at=data.get("at"),
        )

    def describe_who(self) -> str:
        """``by alice (source terraform) at 2026-11-27 10:00:00Z`` or ``by an unknown actor``."""
        if not self.actor:
            return "by an unknown actor"
        return f"by {self.actor} (source {self.source}) at {self.at}"


@dataclass(frozen=True, slots=True)
class Summary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    import_: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.import_)

    def line(self) -> str:
        """Terraform's wording: "N to import, " leads only when there are imports."""
        if not self.has_changes:
            return "No changes."
        imports = f"{self.import_} to import, " if self.import_ else ""
        return (
            f"Plan: {imports}{self.add} to add, {self.change} to change, {self.destroy} to destroy."
        )

    def to_dict(self) -> dict[str, int]:
        return {"add": self.add, "change": self.change, "destroy": self.destroy,
                "import": self.import_}


@dataclass(frozen=True, slots=True)
class Plan:
    """Changes in apply order, plus what changed outside of code.

    ``lineage``/``serial`` are the state the plan was made against; apply
    refuses it ("saved plan is stale") once either has moved.
    """

    changes: tuple[PlannedChange, ...]
    outside_changes: tuple[OutsideChange, ...] = ()
    lineage: str = ""
    serial: int = 0
    #: the digest, or a function computing it (see ``config_digest``)
    digest_source: str | Callable[[], str] = field(default="", repr=False, compare=False)
    options: PlanOptions = field(default_factory=PlanOptions)
    state: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def config_digest(self) -> str:
        """sha256 of the configuration planned (``Config.digest``), computed when first read:
        text output never shows it, and hashing 10,000 specs costs ~0.1 s."""
        source = self.digest_source
        if callable(source):
            source = source()
            object.__setattr__(self, "digest_source", source)
        return source

    @property
    def summary(self) -> Summary:
        add = change = destroy = imports = 0
        for c in self.changes:
            a, ch, d = _COUNTS[c.action]
            if c.action == "import":
                imports, ch = imports + 1, int(bool(c.fields))
            add, change, destroy = add + a, change + ch, destroy + d
        return Summary(add, change, destroy, imports)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "lineage": self.lineage,
            "serial": self.serial,
            "config_digest": self.config_digest,
            "state": self.state,
            "options": self.options.to_dict(),
            "summary": self.summary.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
            "outside_changes": [o.to_dict() for o in self.outside_changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            changes=tuple(PlannedChange.from_dict(c) for c in data["changes"]),
            outside_changes=tuple(
                OutsideChange.from_dict(o) for o in data.get("outside_changes", ())
            ),
            lineage=data.get("lineage", ""),
            serial=int(data.get("serial", 0)),
            digest_source=data.get("config_digest", ""),
            options=PlanOptions.from_dict(data.get("options", {})),
            state=data.get("state", ""),
            format_version=major_version(data.get("format_version", FORMAT_VERSION)),
        )


def major_version(value: object) -> int:
    """``1``, or ``"1.0"`` as earlier plan files spelled it -> 1 (0 when unreadable)."""
    text = str(value).split(".", 1)[0]
    return int(text) if text.isdigit() else 0


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did; ``serial`` is the state serial after it."""

    added: int
    changed: int
    destroyed: int
    serial: int
    imported: int = 0

    def line(self) -> str:
        """Terraform's wording: "N imported, " leads only when there were imports."""
        imported = f"{self.imported} imported, " if self.imported else ""
        return (
            f"Apply complete! Resources: {imported}{self.added} added, {self.changed} changed, "
            f"{self.destroyed} destroyed."
        )
