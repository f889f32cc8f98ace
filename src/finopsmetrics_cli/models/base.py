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
        amount: PositiveNumber
        ...
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import Name, new_list


class StrictModel(BaseModel):
    """Base of every model in the file format: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True, defer_build=True)


class Lifecycle(StrictModel):
    """Meta-arguments understood by plan, as in Terraform."""

    prevent_destroy: StrictBool = Field(
        False, description="Fail any plan that would destroy or replace this object."
    )
    ignore_changes: list[str] = Field(
        default_factory=new_list,
        description="Spec fields (dotted paths) whose live changes are neither drift nor updated.",
    )


class KindModel(StrictModel):
    """Base of every kind. ``name`` and ``lifecycle`` are addressing and meta,
    not spec: they are never part of the canonical spec that is stored and diffed."""

    name: Name = Field(description="Unique name within the kind; the address is KIND.NAME.")
    lifecycle: Lifecycle | None = Field(None, description="prevent_destroy and ignore_changes.")

    META_FIELDS: ClassVar[frozenset[str]] = frozenset({"name", "lifecycle"})

    @model_validator(mode="after")
    def _ignore_changes_name_fields(self) -> Self:
        """``lifecycle.ignore_changes`` must name spec fields: a typo would
        silently ignore nothing."""
        if self.lifecycle is None or not self.lifecycle.ignore_changes:
            return self
        fields = [f for f in type(self).model_fields if f not in self.META_FIELDS]
        for index, path in enumerate(self.lifecycle.ignore_changes):
            head = path.split(".", 1)[0].split("[", 1)[0]  # amount, alerts.*, alerts[0]
            if head not in fields:
                close = difflib.get_close_matches(head, fields, n=1)
                raise custom_error(
                    "invalid_choice",
                    "ignore_changes names {field}, which is not a field of this kind"
                    + (f"; did you mean {close[0]!r}?" if close else ""),
                    at=("lifecycle", "ignore_changes", index),
                    field=repr(path),
                    hint="fields: " + ", ".join(fields),
                )
        return self

    def canonical_spec(self) -> dict[str, Any]:
        """The normalised, JSON-able spec that state stores and plans diff.

        Field types already store one canonical value per meaning (``80%`` ->
        0.8, ``48h`` -> ``2d``, ``slack`` -> ``[slack]``); unset optional
        fields are left out, defaults are written out, so omitting a default
        and spelling it are the same spec."""
        return self.model_dump(mode="json", exclude_none=True, exclude=set(self.META_FIELDS))

    @classmethod
    def body_defaults_fields(cls) -> tuple[str, ...]:
        """Required fields that ``coerce_body`` fills in (optional in the file schema)."""
        return ()

    @classmethod
    def body_shorthand_schema(cls) -> dict[str, Any] | None:
        """JSON Schema of the other body shapes ``coerce_body`` accepts, if any
        (``$ref`` s point at ``#/$defs/<Model>``)."""
        return None

    @classmethod
    def coerce_body(cls, name: str, body: Any) -> dict[str, Any]:
        """Turn one section entry into this model's input, ``name`` injected.

        The default accepts a mapping of the kind's fields. Kinds whose seed
        shorthand differs (virtual_tag) override it. A wrong shape raises a
        ``PydanticCustomError`` of type ``invalid_body`` (see ``ERROR_CODES``)."""
        if not isinstance(body, Mapping):
            raise custom_error(
                "invalid_body",
                "expected a mapping of fields for this object, got {got}",
                got=type(body).__name__,
            )
        data = dict(body)
        data["name"] = name
        return data


@dataclass(frozen=True, slots=True)
class Ref:
    """A field that names another object.

    ``path`` is dotted with ``*`` for every list element or mapping value
    (``"alerts.*.channels.*"``). ``target`` is the referenced kind.
    ``builtins`` are values that are valid without a declared object (for
    instance the channel types ``slack`` or ``email``).
    ``required`` False means an undeclared value is only checked when objects
    of the target kind are declared at all (personas, roles).
    ``severity`` "warning" makes a dangling name a warning, not an error
    (soft references: personas and roles, SEED_SHAPES).
    ``people`` True means the field may also hold a person or a chat address
    (``cto@company.com``, ``#ml-team``): such values are literals, not names.
    ``also`` lists further kinds the name may denote (a policy's
    ``notification`` names a channel or a notification rule): the name is
    declared when any of ``targets`` declares it.
    """

    path: str
    target: str
    builtins: frozenset[str] = frozenset()
    required: bool = True
    severity: Literal["error", "warning"] = "error"
    people: bool = False
    also: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Every kind the name may denote, ``target`` first."""
        return (self.target, *self.also)

    def is_literal(self, value: str) -> bool:
        """True for values that address someone directly instead of naming an object."""
        return self.people and ("@" in value or value.startswith("#"))


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
    name_key: str = "name"
    section_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    single_object_sections: tuple[str, ...] = ()

    @property
    def sections(self) -> tuple[str, ...]:
        """Every section spelling that maps to this kind (``tags.auto_tagging_rules`` too)."""
        return (self.section, *self.aliases)

    def defaults_for(self, section: str) -> dict[str, Any]:
        """Field defaults implied by the section spelling
        (``business_mapping.products`` -> ``entity_type: product``)."""
        return dict(self.section_defaults.get(section, {}))

    def coerce(self, section: str, name: str, body: Any) -> dict[str, Any]:
        """Model input for one entry of ``section``: the kind's ``coerce_body``,
        the name key renamed to ``name``, and the section's defaults filled in."""
        if self.name_key != "name" and isinstance(body, Mapping) and "name" in body:
            raise custom_error(
                "invalid_body",
                "{kind} objects are named with `{key}:`, not `name:`",
                kind=self.kind,
                key=self.name_key,
            )
        data = self.model.coerce_body(name, body)
        if self.name_key != "name":
            data.pop(self.name_key, None)
        for key, value in self.section_defaults.get(section, {}).items():
            data.setdefault(key, value)
        return data

    def name_of(self, body: Any, section: str | None = None) -> str:
        """The name of an entry that has no name key (SEED_SHAPES): the kind's
        natural key if it declares one, else a content hash (see _ContentName)."""
        derive = self.derive_name or default_derive_name(self.kind, self.model)
        return derive(body)


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
    name_key: str = "name",
    section_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    single_object_sections: tuple[str, ...] = (),
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
            derive_name=derive_name or default_derive_name(kind, model),
            description=(model.__doc__ or "").strip(),
            name_key=name_key,
            section_defaults=dict(section_defaults or {}),
            single_object_sections=single_object_sections,
        )
        _KINDS[kind] = info
        for sec in info.sections:
            _SECTIONS[sec] = kind
        return model

    return decorate


def _string_keys(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {str(k): _string_keys(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_string_keys(v) for v in data]
    return data


def content_hash(data: Any) -> str:
    """First 8 hex digits of sha256 over canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(
        _string_keys(data), sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class _ContentName:
    """The default ``derive_name``: ``<kind>-<hash>`` of the entry's canonical
    spec (of the raw body if it does not validate). The name follows the
    content, never the list position nor the section spelling, so reordering a
    list is no change and equivalent spellings get one name. Two identical
    nameless entries are therefore one object (the loader reports the second
    copy, e.g. seed 4.1 and 8.3 share a tagging rule)."""

    def __init__(self, kind: str, model: type[KindModel]) -> None:
        self.kind, self.model = kind, model

    def __call__(self, body: dict[str, Any]) -> str:
        try:
            spec: Any = self.model.model_validate(
                self.model.coerce_body(self.kind, body)
            ).canonical_spec()
        except (ValidationError, ValueError, TypeError):
            spec = body
        return f"{self.kind}-{content_hash(spec)}"


def default_derive_name(kind: str, model: type[KindModel]) -> Callable[..., str]:
    return _ContentName(kind, model)


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
        raise ValueError(
            f"invalid address {address!r}: expected KIND.NAME, e.g. budget.ml-training"
        )
    return kind, name


def make_address(kind: str, name: str) -> str:
    return f"{kind}.{name}"
