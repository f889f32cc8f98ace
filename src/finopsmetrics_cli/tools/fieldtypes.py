"""Human names for field types, read from the annotations of the models (for
the generated file-format reference)."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from datetime import date
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from finopsmetrics_cli.models.types import DocType

_BASIC = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    date: "date (YYYY-MM-DD)",
}


def _doc(metadata: Any) -> str | None:
    for item in metadata:
        if isinstance(item, DocType):
            return item.name
        if isinstance(getattr(item, "doc", None), DocType):
            return str(item.doc.name)
    return None


def type_name(annotation: Any, metadata: tuple[Any, ...] = ()) -> str:
    """``list[Identifier]`` -> ``list of identifier``; models -> ``object``."""
    named = _doc(metadata)
    if named:
        return named
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0], tuple(annotation.__metadata__))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is tuple:
        return "[" + ", ".join(type_name(a) for a in args) + "]"
    if origin is dict:
        return f"map of {type_name(args[0])} -> {type_name(args[1])}"
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if annotation is Any:
        return "any"
    return _BASIC.get(annotation, getattr(annotation, "__name__", str(annotation)))


def sub_model(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The nested model of a field (and ``[]``/``{}`` when it is a list/map of it)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is typing.Annotated:
        return sub_model(args[0])
    if origin in (types.UnionType, typing.Union):
        found = [m for m in (sub_model(a) for a in args if a is not type(None)) if m]
        return found[0] if len(found) == 1 else None
    if origin is list:
        inner = sub_model(args[0])
        return (inner[0], "[]" + inner[1]) if inner else None
    if origin is dict:
        inner = sub_model(args[1])
        return (inner[0], "{}" + inner[1]) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    return None


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is None or value is PydanticUndefined:
        return ""
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        value = list(value)
    if value in ([], {}):
        return f"`{value}`"
    return f"`{value}`"


def field_rows(
    model: type[BaseModel], prefix: str = "", skip: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str, str, str]]:
    """(path, type, default, description) for every field, nested models flattened."""
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        path = f"{prefix}{name}"
        annotation = field.annotation
        kind = type_name(annotation, tuple(field.metadata))
        yield path, kind, default_text(field), (field.description or "").replace("|", "\\|")
        nested = sub_model(annotation)
        if nested:
            sub, marks = nested
            yield from field_rows(sub, f"{path}{marks}.")
