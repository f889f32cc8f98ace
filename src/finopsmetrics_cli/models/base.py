"""The kind registry: every kind is declared once, here-registered, and
everything else (JSON Schema, docs, Terraform schema, Pulumi args, reference
checks, apply order) is derived from the declaration.

A kind is a pydantic model subclassing :class:`KindModel`, decorated with
:func:`register_kind`::

    @register_kind("budget", section="budgets", seed="8.1, 8.3",
                   references=(Ref("alerts.*.channels.*", "notification_channel",
                                   builtins=CHANNEL_TYPES),),
                   immutable=("currency",))
    class Budget(KindModel):
        \"\"\"A spending limit over a period, with alerts.\"\"\"
        amount: PositiveMoney
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base of every model in the file format: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class Lifecycle(StrictModel):
    """Meta-arguments understood by plan, as in Terraform."""

    prevent_destroy: bool = Field(
        False, description="Fail any plan that would destroy or replace this object."
    )
    ignore_changes: list[str] = Field(
        default_factory=list,
        description="Spec fields (dotted paths) whose live changes are neither drift nor updated.",
    )


class KindModel(StrictModel):
    """Base of every kind. ``name`` and ``lifecycle`` are addressing and meta,
    not spec: they are never part of the canonical spec that is stored and diffed."""

    name: str = Field(description="Unique name within the kind; the address is KIND.NAME.")
    lifecycle: Lifecycle | None = Field(None, description="prevent_destroy and ignore_changes.")

    META_FIELDS: ClassVar[frozenset[str]] = frozenset({"name", "lifecycle"})

    def canonical_spec(self) -> dict[str, Any]:
        """The normalised, JSON-able spec that state stores and plans diff."""
        return self.model_dump(mode="json", exclude_none=True, exclude=set(self.META_FIELDS))


@dataclass(frozen=True, slots=True)
class Ref:
    """A field that names another object.

    ``path`` is dotted with ``*`` for every list element or mapping value
    (``"alerts.*.channels.*"``). ``target`` is the referenced kind.
    ``builtins`` are values that are valid without a declared object (for
    instance the channel types ``slack`` or ``email``).
    ``required`` False means an undeclared value is only checked when objects
    of the target kind are declared at all (personas, roles).
    """

    path: str
    target: str
    builtins: frozenset[str] = frozenset()
    required: bool = True


@dataclass(frozen=True, slots=True)
class KindInfo:
    """Everything the tool knows about one kind, derived from its declaration."""

    kind: str
    section: str
    model: type[KindModel]
    seed: str = ""
    aliases: tuple[str, ...] = ()
    references: tuple[Ref, ...] = ()
    immutable: tuple[str, ...] = ()
    secret_fields: tuple[str, ...] = ()
    condition_fields: tuple[str, ...] = ()
    derive_name: Callable[[dict[str, Any]], str] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sections(self) -> tuple[str, ...]:
        """Every section spelling that maps to this kind (``tags.auto_tagging_rules`` too)."""
        return (self.section, *self.aliases)


_KINDS: dict[str, KindInfo] = {}
_SECTIONS: dict[str, str] = {}

M = TypeVar("M", bound=type[KindModel])


def register_kind(
    kind: str,
    *,
    section: str,
    seed: str = "",
    aliases: tuple[str, ...] = (),
    references: tuple[Ref, ...] = (),
    immutable: tuple[str, ...] = (),
    secret_fields: tuple[str, ...] = (),
    condition_fields: tuple[str, ...] = (),
    derive_name: Callable[[dict[str, Any]], str] | None = None,
) -> Callable[[M], M]:
    """Class decorator that adds a kind to the registry."""

    def decorate(model: M) -> M:
        if kind in _KINDS:
            raise RuntimeError(f"kind {kind!r} registered twice")
        info = KindInfo(
            kind=kind,
            section=section,
            model=model,
            seed=seed,
            aliases=aliases,
            references=references,
            immutable=immutable,
            secret_fields=secret_fields,
            condition_fields=condition_fields,
            derive_name=derive_name,
            description=(model.__doc__ or "").strip(),
        )
        _KINDS[kind] = info
        for sec in info.sections:
            _SECTIONS[sec] = kind
        return model

    return decorate


def _ensure_loaded() -> None:
    # Importing the package registers every kind module (see models/__init__.py).
    from finopsmetrics_cli import models  # noqa: F401


def kinds() -> Iterator[KindInfo]:
    """All registered kinds, in declaration order."""
    _ensure_loaded()
    return iter(list(_KINDS.values()))


def get_kind(kind: str) -> KindInfo:
    """Look up a kind by name; ``KeyError`` if unknown."""
    _ensure_loaded()
    return _KINDS[kind]


def kind_for_section(section: str) -> str | None:
    """The kind a top-level (or dotted nested, e.g. ``tags.auto_tagging_rules``) section holds."""
    _ensure_loaded()
    return _SECTIONS.get(section)


def all_sections() -> dict[str, str]:
    """Section spelling -> kind."""
    _ensure_loaded()
    return dict(_SECTIONS)


def split_address(address: str) -> tuple[str, str]:
    """``"budget.ml-training"`` -> ``("budget", "ml-training")``; names may contain dots."""
    kind, sep, name = address.partition(".")
    if not sep or not kind or not name:
        raise ValueError(f"invalid address {address!r}: expected KIND.NAME, e.g. budget.ml-training")
    return kind, name


def make_address(kind: str, name: str) -> str:
    return f"{kind}.{name}"
