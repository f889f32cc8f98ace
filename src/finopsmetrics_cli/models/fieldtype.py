"""The machinery of field types: one metadata object per type (validation
function, canonical JSON Schema, accepted shorthand, docs name), and
case-insensitive enums."""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

from finopsmetrics_cli.models.errors import custom_error

# JSON Schema: each type's schema shows its CANONICAL shape (what state stores,
# and what Terraform/Pulumi schemas are derived from); the other spellings the
# file format accepts are listed under SHORTHAND and merged in by ``schema.py``
# for the published whole-file schema (so editors accept what the CLI accepts).
SHORTHAND = "x-shorthand"


@dataclass(frozen=True, slots=True)
class DocType:
    """How the generated reference names a field type (pydantic ignores this metadata)."""

    name: str


class FieldType:
    """One field type as a single ``Annotated`` metadata object: the validation
    function, its canonical JSON Schema (+ the shorthand spellings accepted) and
    its name in the docs. One object instead of PlainValidator + WithJsonSchema
    + DocType makes pydantic build the models about a quarter faster."""

    __slots__ = ("func", "schema", "doc")

    def __init__(
        self,
        func: Callable[[Any], Any],
        schema: dict[str, Any],
        shorthand: dict[str, Any] | None = None,
        doc: str = "",
    ) -> None:
        self.func = func
        self.schema = dict(schema)
        if shorthand is not None:
            self.schema[SHORTHAND] = shorthand
        self.doc = DocType(doc) if doc else None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.func)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return copy.deepcopy(self.schema)


def chain(*funcs: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Run validation functions in turn (parse, then check)."""

    def run(value: Any) -> Any:
        for func in funcs:
            value = func(value)
        return value

    return run


def json_schema(
    canonical: dict[str, Any], shorthand: dict[str, Any] | None = None
) -> WithJsonSchema:
    schema = dict(canonical)
    if shorthand is not None:
        schema[SHORTHAND] = shorthand
    return WithJsonSchema(schema)


# ------------------------------------------------------------------- choices


def _normal_choice(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def _ci_pattern(values: tuple[str, ...]) -> str:
    def char(c: str) -> str:
        if c.isalpha():
            return f"[{c.lower()}{c.upper()}]"
        if c == "_":
            return "[_\\- ]"
        return re.escape(c)

    return "^\\s*(" + "|".join("".join(char(c) for c in v) for v in values) + ")\\s*$"


class ChoiceOf:
    """``Annotated[str, ChoiceOf("a", "b")]``: a case-insensitive enum stored
    lower-case (``-`` and spaces read as ``_``), with "did you mean"."""

    __slots__ = ("values", "allowed", "description", "doc")

    def __init__(self, *values: str, description: str = "") -> None:
        self.values = values
        self.allowed = frozenset(values)
        self.description = description
        self.doc = DocType("one of: " + ", ".join(values))

    def check(self, value: Any) -> str:
        if type(value) is str and value in self.allowed:  # the common case: canonical
            return str(value)
        listing = ", ".join(self.values)
        if isinstance(value, str):
            normal = _normal_choice(value)
            if normal in self.allowed:
                return normal
            close = difflib.get_close_matches(normal, self.values, n=1)
            suffix = f"; did you mean {close[0]!r}?" if close else ""
            raise custom_error(
                "invalid_choice",
                "{value} is not one of: {choices}" + suffix,
                value=repr(value),
                choices=listing,
            )
        raise custom_error(
            "invalid_choice",
            "expected one of: {choices}, got {value}",
            value=repr(value),
            choices=listing,
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "enum": list(self.values)}
        if self.description:
            out["description"] = self.description
        out[SHORTHAND] = {"type": "string", "pattern": _ci_pattern(self.values)}
        return out
