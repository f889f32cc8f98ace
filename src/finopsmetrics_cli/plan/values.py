"""Values as people wrote them, for text and markdown plans and drift.

Specs store canonical numbers (``50000.0``, a threshold of ``0.8``), and JSON
output keeps them. A person reviewing a plan wrote ``50000`` and ``80%``, so
whole numbers lose their ``.0`` and fields whose type accepts the percent
spelling are shown as percents. Which fields those are is read from the kind
models in the registry (any field typed like ``models.types.Percent``:
``Threshold``, ``Ratio``, ...), never from a list of field names.
"""

from __future__ import annotations

import functools
import json.encoder
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

#: A node of the percent-field tree of one kind: keys are field names, ``*``
#: stands for any list item or mapping key, and ``PERCENT`` marks a percent field.
Node = dict[str, Any]
PERCENT = "%"

#: ``json.dumps(text, ensure_ascii=False)``, ~10x faster
quote: Callable[[str], str] = json.encoder.encode_basestring


def _percent_marker() -> Any:
    """The percent spelling the field types accept (the ``Percent`` type's shorthand)."""
    from finopsmetrics_cli.models.fieldtype import SHORTHAND, FieldType
    from finopsmetrics_cli.models.types import Percent

    meta = next(m for m in typing.get_args(Percent) if isinstance(m, FieldType))
    return meta.schema[SHORTHAND]


def _is_percent_type(metadata: Iterator[Any] | tuple[Any, ...] | list[Any], marker: Any) -> bool:
    from finopsmetrics_cli.models.fieldtype import SHORTHAND, FieldType

    return any(isinstance(m, FieldType) and m.schema.get(SHORTHAND) == marker for m in metadata)


def _walk(annotation: Any, metadata: Any, marker: Any, depth: int) -> Node | None:
    """The percent-field tree below one annotated field (None: no percent field there)."""
    from pydantic import BaseModel

    if depth > 12:
        return None
    if _is_percent_type(metadata, marker):
        return {PERCENT: True}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _walk(args[0], args[1:], marker, depth)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_tree(annotation, marker, depth + 1)
    if origin in (list, tuple, set, frozenset, dict):
        item = args[-1] if args else None
        sub = _walk(item, (), marker, depth + 1) if item is not None else None
        return {"*": sub} if sub else None
    merged: Node = {}
    for arg in args:  # unions (X | None, discriminated unions of models)
        sub = _walk(arg, (), marker, depth + 1)
        if sub:
            _merge(merged, sub)
    return merged or None


def _merge(into: Node, other: Node) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)


def _model_tree(model: Any, marker: Any, depth: int) -> Node | None:
    tree: Node = {}
    for name, info in model.model_fields.items():
        sub = _walk(info.annotation, info.metadata, marker, depth)
        if sub:
            tree[name] = sub
    return tree or None


@functools.cache
def percent_fields(kind: str) -> Node | None:
    """The percent-field tree of ``kind`` (None for a kind without percent fields or
    one this version does not know, e.g. in an old plan file)."""
    from finopsmetrics_cli.models.base import get_kind

    try:
        info = get_kind(kind)
    except KeyError:
        return None
    tree = _model_tree(info.model, _percent_marker(), 0) or {}
    for meta in info.model.META_FIELDS:
        tree.pop(meta, None)
    return tree or None


def child(node: Node | None, key: str | int) -> Node | None:
    """The tree below one path step (a field name, list index or mapping key)."""
    if node is None:
        return None
    found = node.get(key) if isinstance(key, str) else None
    return found if found is not None else node.get("*")


def node_at(kind: str, parts: tuple[str, ...]) -> Node | None:
    """The tree at a field path (``parse_path`` parts) of ``kind``."""
    node = percent_fields(kind)
    for part in parts:
        if node is None:
            return None
        node = child(node, part)
    return node


def number_text(value: float, *, percent: bool = False) -> str:
    """``50000.0`` -> ``50000``, ``0.35`` -> ``0.35``; with ``percent``, ``0.8`` -> ``80%``."""
    if percent:
        text = format((Decimal(repr(value)) * 100).normalize(), "f")
        return f"{text}%"
    if type(value) is float and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def value_text(value: Any, node: Node | None = None) -> str:
    """A value as JSON (strings quoted, so ``"80"`` and ``80`` never look alike), with
    numbers as written: no ``.0`` on whole numbers, percents where ``node`` says so."""
    kind = type(value)
    if kind is str:
        return quote(value)
    if kind is float or kind is int:
        return number_text(value, percent=node is not None and PERCENT in node)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is list or kind is tuple:
        item = child(node, "*")
        return "[" + ", ".join(value_text(v, item) for v in value) + "]"
    if kind is dict:
        return "{" + ", ".join(
            f"{quote(str(k))}: {value_text(v, child(node, str(k)))}" for k, v in value.items()
        ) + "}"
    return json.dumps(value, ensure_ascii=False, default=str)
