"""Terraform schemas derived from the kind registry, never written by hand.

Each kind's pydantic model gives its JSON Schema; this module walks it into a
small tree of :class:`TfField` (the Terraform name, the spec key, how it nests,
required/optional/computed, its description), from which both the ``tf``
schema objects and the value conversion in :mod:`.convert` are built.

Shape rules:
- string / number / integer / boolean -> the primitive types;
- array of primitives -> ``list(...)``; object with ``additionalProperties`` of
  one type -> ``map(...)``; free-form objects and unions -> ``dynamic``;
- a sub-model -> a nested attribute (``x = {...}``), a list of sub-models ->
  a list nested attribute (``x = [{...}]``), a map of sub-models -> a map
  nested attribute — unless :data:`.aliases.BLOCKS` declares the field as a
  block (``action {}``, repeated ``widget {}``), as the seed's HCL writes it.
- Required model fields are required; every other field is optional *and*
  computed, so the plan can show the engine's canonical default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from tf.schema import Attribute, Block, NestedBlock, Schema
from tf.types import Bool, List, Map, Number, String, TfType

from terraform_provider_finopsmetrics.aliases import BLOCKS, RENAMES, RESERVED
from terraform_provider_finopsmetrics.tftypes import (
    Dynamic,
    ListNestedBlock,
    NestedAttribute,
    SingleNestedBlock,
)

Style = Literal["attr", "nested", "block"]
Nesting = Literal["single", "list", "map"]
Mode = Literal["resource", "data"]

#: Attributes the provider adds to every resource; never part of the spec.
META_ATTRIBUTES = ("id", "adopt")


@dataclass
class TfField:
    """One Terraform attribute or block and the spec key it carries."""

    tf_name: str
    spec_name: str
    style: Style
    description: str = ""
    tf_type: TfType | None = None
    nesting: Nesting = "single"
    children: list[TfField] = field(default_factory=list)
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False


@dataclass
class KindSchema:
    """Everything the provider needs to know about one kind's Terraform shape."""

    kind: str
    description: str
    fields: list[TfField]
    immutable: tuple[str, ...]

    def by_spec(self) -> dict[str, TfField]:
        return {f.spec_name: f for f in self.fields}


class _Resolver:
    """Resolves ``$ref`` against one JSON Schema's ``$defs``."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = root.get("$defs", {})

    def deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target = self.defs[node["$ref"].rsplit("/", 1)[-1]]
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **extra}
        if "allOf" in node and len(node["allOf"]) == 1:
            extra = {k: v for k, v in node.items() if k != "allOf"}
            node = {**self.deref(node["allOf"][0]), **extra}
        return node

    def strip_null(self, node: dict[str, Any]) -> dict[str, Any]:
        """``anyOf: [X, null]`` -> X (keeping the outer description/default)."""
        node = self.deref(node)
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            real = [o for o in options if self.deref(o).get("type") != "null"]
            if len(real) == 1:
                extra = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
                return {**self.deref(real[0]), **extra}
        return node


def _is_object_model(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" and "properties" in node


def _primitive(node: dict[str, Any]) -> TfType | None:
    kind = node.get("type")
    if kind == "string" or ("enum" in node and all(isinstance(v, str) for v in node["enum"])):
        return String()
    if kind == "boolean":
        return Bool()
    if kind in ("number", "integer"):
        return Number()
    if "const" in node and isinstance(node["const"], str):
        return String()
    return None


def _union_type(res: _Resolver, options: list[dict[str, Any]]) -> TfType:
    """One Terraform type for a union, where one exists.

    All spellings of a string (an enum, or a pattern that also accepts other
    casing) -> string; ``X`` or a list of ``X`` -> ``list(X)`` (HCL writes
    lists); anything else (``0.8`` or ``"80%"``) -> dynamic, so the user's
    value reaches the engine with its own type.
    """
    types = []
    for option in options:
        if "pattern" in option and "type" not in option:
            types.append(b'"string"')
            continue
        if option.get("type") == "null":
            continue
        types.append(_value_type(res, option).tf_type())
    distinct = set(types)
    if len(distinct) == 1:
        first = next(o for o in options if o.get("type") != "null")
        return String() if distinct == {b'"string"'} else _value_type(res, first)
    lists = [t for t in distinct if t.startswith(b'["list",')]
    if len(distinct) == 2 and len(lists) == 1 and lists[0][len(b'["list",') : -1] in distinct:
        first_list = next(o for o in options if o.get("type") == "array")
        return _value_type(res, first_list)
    return Dynamic()


def _value_type(res: _Resolver, node: dict[str, Any]) -> TfType:
    """The Terraform type of a value that is not a nested model."""
    node = res.strip_null(node)
    prim = _primitive(node)
    if prim is not None:
        return prim
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        return _union_type(res, [res.strip_null(o) for o in options])
    kind = node.get("type")
    if kind == "array":
        items = node.get("items")
        if isinstance(items, dict) and items:
            return List(_value_type(res, items))
        prefix = node.get("prefixItems")
        if prefix:
            types = {_value_type(res, p).tf_type() for p in prefix}
            if len(types) == 1:
                return List(_value_type(res, prefix[0]))
        return Dynamic()
    if kind == "object" and "properties" not in node:
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            inner = res.strip_null(extra)
            if not _is_object_model(inner):
                element = _value_type(res, inner)
                if not isinstance(element, Dynamic):
                    return Map(element)
        return Dynamic()
    return Dynamic()


def _fields(
    kind: str,
    res: _Resolver,
    node: dict[str, Any],
    path: str,
    mode: Mode,
    skip: frozenset[str] = frozenset(),
) -> list[TfField]:
    required = set(node.get("required", ()))
    out: list[TfField] = []
    for spec_name, raw in node.get("properties", {}).items():
        if spec_name in skip:
            continue
        dotted = f"{path}{spec_name}"
        tf_name = RENAMES.get(kind, {}).get(dotted, spec_name)
        if not path and tf_name in RESERVED:
            raise RuntimeError(
                f"kind {kind!r}: field {spec_name!r} is a Terraform meta-argument; "
                "declare a rename in terraform_provider_finopsmetrics.aliases.RENAMES"
            )
        sub = res.strip_null(raw)
        out.append(
            _field(
                kind,
                res,
                sub,
                dotted,
                spec_name,
                tf_name,
                is_required=spec_name in required,
                mode=mode,
            )
        )
    return out


def _field(
    kind: str,
    res: _Resolver,
    sub: dict[str, Any],
    dotted: str,
    spec_name: str,
    tf_name: str,
    *,
    is_required: bool,
    mode: Mode,
) -> TfField:
    description = (sub.get("description") or "").strip()
    common = dict(tf_name=tf_name, spec_name=spec_name, description=description)
    if mode == "data":
        flags = dict(computed=True)
    else:
        flags = dict(required=is_required, optional=not is_required, computed=not is_required)
    nesting: Nesting | None = None
    model: dict[str, Any] | None = None
    if _is_object_model(sub):
        nesting, model = "single", sub
    elif sub.get("type") == "array" and isinstance(sub.get("items"), dict):
        items = res.strip_null(sub["items"])
        if _is_object_model(items):
            nesting, model = "list", items
    elif sub.get("type") == "object" and isinstance(sub.get("additionalProperties"), dict):
        values = res.strip_null(sub["additionalProperties"])
        if _is_object_model(values):
            nesting, model = "map", values
    if nesting is None or model is None:
        return TfField(style="attr", tf_type=_value_type(res, sub), **common, **flags)  # type: ignore[arg-type]
    block = BLOCKS.get(kind, {}).get(dotted) if mode == "resource" and nesting != "map" else None
    children = _fields(
        kind, res, model, f"{dotted}.*." if nesting != "single" else f"{dotted}.", mode
    )
    if block is not None:
        # Blocks are never computed: an absent block is null (single) or [] (list).
        common["tf_name"] = block
        return TfField(style="block", nesting=nesting, children=children, **common)  # type: ignore[arg-type]
    return TfField(style="nested", nesting=nesting, children=children, **common, **flags)  # type: ignore[arg-type]


@cache
def _json_schema(kind: str) -> dict[str, Any]:
    from finopsmetrics_cli.models.base import get_kind

    return get_kind(kind).model.model_json_schema(by_alias=False)


@cache
def kind_schema(kind: str, mode: Mode = "resource") -> KindSchema:
    """The derived Terraform shape of ``kind`` (cached: the registry is static)."""
    from finopsmetrics_cli.models.base import get_kind

    info = get_kind(kind)
    root = _json_schema(kind)
    res = _Resolver(root)
    fields = _fields(kind, res, res.deref(root), "", mode, skip=frozenset({"name", "lifecycle"}))
    for secret in info.secret_fields:
        _mark_sensitive(fields, [p for p in secret.split(".") if p != "*"])
    return KindSchema(
        kind=kind, description=info.description, fields=fields, immutable=tuple(info.immutable)
    )


def _mark_sensitive(fields: list[TfField], path: list[str]) -> None:
    """Secret fields (``${env:..}`` references) are sensitive: Terraform masks them."""
    for f in fields:
        if path and f.spec_name == path[0]:
            if len(path) == 1 or f.style == "attr":
                f.sensitive = True
            else:
                _mark_sensitive(f.children, path[1:])


# --------------------------------------------------------------- tf objects


def _attribute(f: TfField) -> Attribute:
    desc = f.description or None
    if f.style == "nested":
        return NestedAttribute(
            f.tf_name,
            f.nesting,
            [_attribute(c) for c in f.children],
            description=desc,
            required=f.required,
            optional=f.optional,
            computed=f.computed,
            sensitive=f.sensitive,
        )
    assert f.tf_type is not None
    return Attribute(
        f.tf_name,
        f.tf_type,
        description=desc,
        required=f.required,
        optional=f.optional,
        computed=f.computed,
        sensitive=f.sensitive,
    )


def _block(f: TfField) -> NestedBlock:
    attrs = [_attribute(c) for c in f.children if c.style != "block"]
    blocks = [_block(c) for c in f.children if c.style == "block"]
    block = Block(attributes=attrs, block_types=blocks, description=f.description or None)
    if f.nesting == "list":
        return ListNestedBlock(f.tf_name, block)
    return SingleNestedBlock(f.tf_name, block)


def resource_schema(kind: str) -> Schema:
    """The resource schema: spec fields plus ``name``, ``id`` and ``adopt``."""
    ks = kind_schema(kind, "resource")
    attrs = [
        Attribute(
            "id",
            String(),
            description="The object's name (its address is KIND.NAME).",
            computed=True,
        ),
        Attribute(
            "name",
            String(),
            required=True,
            requires_replace=True,
            description="Unique name within the kind. Changing it replaces the object.",
        ),
        Attribute(
            "adopt",
            Bool(),
            optional=True,
            description="Take over an object that another tool (the YAML config, Pulumi) "
            "manages. Without it, such an object is refused.",
        ),
    ]
    attrs += [_attribute(f) for f in ks.fields if f.style != "block"]
    blocks = [_block(f) for f in ks.fields if f.style == "block"]
    return Schema(version=0, attributes=attrs, block_types=blocks, description=ks.description)


def data_source_schema(kind: str) -> Schema:
    """The data source schema: ``name`` required, everything else computed."""
    ks = kind_schema(kind, "data")
    attrs = [
        Attribute("id", String(), computed=True, description="The object's name."),
        Attribute("name", String(), required=True, description="Name of the object to read."),
        Attribute(
            "manager",
            String(),
            computed=True,
            description="Who manages the object: config, terraform, pulumi or null.",
        ),
    ]
    attrs += [_attribute(f) for f in ks.fields]
    return Schema(version=0, attributes=attrs, description=ks.description)
