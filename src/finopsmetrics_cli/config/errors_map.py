"""Pydantic's error list -> our diagnostics: stable codes, short messages, hints.

Pydantic reports a union's failure once per member, with the member's tag
inside ``loc`` (``action.str``, ``action.ActionSpec.type``). We drop the tags
by walking ``loc`` along the input data, then keep the most specific error per
place, so a user sees one message about the field they wrote.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from finopsmetrics_cli.config.loader import suggest
from finopsmetrics_cli.plan.diff import format_path

_TYPE_ERRORS = re.compile(
    r"(_type|_parsing|_not_finite|is_instance_of|model_attributes_type|dict_type|list_type)$"
)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One schema error: code, message, hint, and its path inside the object input."""

    code: str
    message: str
    hint: str | None
    path: tuple[str | int, ...]
    at_key: bool = False  # point at the key (unknown field) rather than the value
    at_parent: bool = False  # point at the enclosing mapping (missing field)


def map_errors(
    errors: Sequence[Mapping[str, Any]], data: Any, model: type[BaseModel]
) -> list[FieldError]:
    """Translate ``ValidationError.errors()`` of one object into :class:`FieldError`s."""
    from finopsmetrics_cli.models.errors import code_for, error_path

    mapped: list[FieldError] = []
    for err in errors:
        etype = str(err.get("type", ""))
        path = _clean(error_path(err), data, etype)
        ctx = err.get("ctx") or {}
        msg = str(err.get("msg", "invalid value"))
        field_name = format_path(path)  # alerts[0].threshold, as plan and drift print it
        prefix = f"{field_name}: " if field_name else ""
        custom = code_for(etype)
        if custom:
            mapped.append(FieldError(custom, f"{prefix}{msg}", ctx.get("hint"), path))
        elif etype == "extra_forbidden":
            allowed = _fields_at(model, path[:-1])
            leaf = str(path[-1]) if path else ""
            hint = suggest(leaf, allowed) if allowed else None
            if hint is None and allowed:
                hint = "allowed fields: " + ", ".join(sorted(allowed))
            mapped.append(FieldError("E120", f"unknown field {leaf!r}", hint, path, at_key=True))
        elif etype == "missing":
            mapped.append(
                FieldError(
                    "E121", f"missing required field {field_name!r}", None, path, at_parent=True
                )
            )
        elif etype == "list_type":  # lists of names take one name; these take a list
            got = _got(err, secret=_holds_secret(model, path))
            hint = "write a list: [a, b], or one `- ` item per line"
            mapped.append(FieldError("E122", f"{prefix}expected a list{got}", hint, path))
        elif _TYPE_ERRORS.search(etype):
            got = _got(err, secret=_holds_secret(model, path))
            mapped.append(FieldError("E122", f"{prefix}{msg}{got}", None, path))
        else:
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            hint = ctx.get("hint") if isinstance(ctx.get("hint"), str) else None
            if etype in ("literal_error", "enum") and isinstance(err.get("input"), str):
                hint = suggest(err["input"], re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
            got = _got(err, secret=_holds_secret(model, path))
            mapped.append(FieldError("E123", f"{prefix}{msg}{got}", hint, path))
    return _most_specific(mapped)


def _got(err: Mapping[str, Any], *, secret: bool = False) -> str:
    """What was written, for the message; for a secret field only what sort of value it was."""
    value = err.get("input")
    if secret:
        from finopsmetrics_cli.models.secrets import describe_secret_input

        return f" (got {describe_secret_input(value)})"
    if isinstance(value, (dict, list)) or value is None and err.get("type") != "none_required":
        return f" (got {_kind_of(value)})"
    text = repr(value)
    return f" (got {text if len(text) <= 40 else text[:37] + '...'})"


def _kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _clean(loc: tuple[Any, ...], data: Any, etype: str) -> tuple[str | int, ...]:
    """Drop union tags and validator names from ``loc`` by following the input data."""
    out: list[str | int] = []
    current = data
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, Mapping) and step in current:
            out.append(step)
            current = current[step]
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            out.append(step)
            current = current[step]
        elif last and isinstance(current, Mapping) and etype in ("missing", "extra_forbidden"):
            out.append(step)
        elif (
            isinstance(current, Mapping)
            and isinstance(step, str)
            and _looks_like_field(step)
            and etype == "missing"
        ):
            out.append(step)
            current = None
        # else: a union member tag or a validator name — not a place in the input
    return tuple(out)


def _looks_like_field(step: str) -> bool:
    return bool(re.fullmatch(r"[a-z_][a-z0-9_]*", step))


def _most_specific(errors: list[FieldError]) -> list[FieldError]:
    """Per place keep the first error, and drop a type error above a deeper one (union noise)."""
    out: list[FieldError] = []
    seen: set[tuple[tuple[str | int, ...], bool]] = set()
    paths = [e.path for e in errors]
    for e in errors:
        if e.code == "E122" and any(
            len(p) > len(e.path) and p[: len(e.path)] == e.path for p in paths
        ):
            continue
        key = (e.path, e.at_key)
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names (and aliases) of the model found at ``path`` below ``model``."""
    current: list[type[BaseModel]] = [model]
    for step in path:
        if isinstance(step, int):
            continue
        nxt: list[type[BaseModel]] = []
        for m in current:
            f = m.model_fields.get(step)
            if f is not None:
                nxt.extend(_models_in(f.annotation))
        if not nxt:
            return []
        current = nxt
    names: set[str] = set()
    for m in current:
        for name, f in m.model_fields.items():
            names.add(f.alias or name)
    return sorted(names)


def _holds_secret(model: type[BaseModel], path: tuple[str | int, ...]) -> bool:
    """True when ``path`` is (or passes through) a secret field, whose input is never shown."""
    from finopsmetrics_cli.models.secrets import is_secret_annotation

    current: list[type[BaseModel]] = [model]
    for step in path:
        if isinstance(step, int):
            continue
        found: list[type[BaseModel]] = []
        for m in current:
            f = m.model_fields.get(step)
            if f is None:
                continue
            if is_secret_annotation(f.annotation, f.metadata):
                return True
            found.extend(_models_in(f.annotation))
        if not found:
            return False
        current = found
    return False


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return _models_in(args[1])
    if (
        origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, typing.Annotated)
        or args
    ):
        found: list[type[BaseModel]] = []
        for a in args:
            found.extend(_models_in(a))
        return found
    return []
