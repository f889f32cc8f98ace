"""What the ``tf`` package lacks, built on its own interfaces.

``tf`` 1.2 has primitive, list, set and map types and set-nested blocks only.
Our schemas, derived from pydantic models, also need: a dynamic type (a
free-form ``dict[str, Any]`` such as a dashboard widget's ``config``), object
types, nested *attributes* (``alerts = [{...}]``, protocol v6's
``nested_type``) and single/list nested *blocks* (``action {}``,
``widget {}``). Each class here keeps to the ``TfType`` / ``Attribute`` /
``NestedBlock`` shapes so ``tf``'s schema serialisation keeps working.
"""

from __future__ import annotations

import json
from typing import Any

from tf.gen import tfplugin_pb2 as pb
from tf.schema import Attribute, Block, NestedBlock, NestMode
from tf.types import TfType, Unknown


def type_json(value: Any) -> Any:
    """The cty type (as JSON) of a plain Python value, for dynamic values."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {k: type_json(v) for k, v in value.items()}]
    if isinstance(value, (list, tuple)):
        return ["tuple", [type_json(v) for v in value]]
    return "dynamic"  # None inside a structure


class Dynamic(TfType):
    """cty's ``DynamicPseudoType``: any value, its type travelling with it.

    On the msgpack wire a known dynamic value is ``[type_json_bytes, value]``.
    """

    def encode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return [json.dumps(type_json(value)).encode(), value]

    def decode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (bytes, str)):
            return value[1]
        return value

    def tf_type(self) -> bytes:
        return b'"dynamic"'


class Object(TfType):
    """cty's object type: fixed attribute names, each with its own type."""

    def __init__(self, attributes: dict[str, TfType]) -> None:
        self.attributes = attributes

    def encode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {k: t.encode(value.get(k)) for k, t in self.attributes.items()}

    def decode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {k: t.decode(value.get(k)) for k, t in self.attributes.items()}

    def tf_type(self) -> bytes:
        inner = ",".join(
            f"{json.dumps(k)}:{t.tf_type().decode()}" for k, t in self.attributes.items()
        )
        return f'["object",{{{inner}}}]'.encode()


_OBJECT_NESTING = {
    "single": pb.Schema.Object.NestingMode.SINGLE,
    "list": pb.Schema.Object.NestingMode.LIST,
    "map": pb.Schema.Object.NestingMode.MAP,
}


class NestedAttribute(Attribute):
    """A protocol-v6 nested attribute (``x = {...}`` or ``x = [{...}]``).

    Unlike a plain ``object`` type, each inner attribute may be optional, so
    ``{threshold = 1.0, priority = "high"}`` without ``recipients`` is valid.
    """

    def __init__(self, name: str, nesting: str, attributes: list[Attribute], **kwargs: Any) -> None:
        element = Object({a.name: a.type for a in attributes})
        wire: TfType = element
        if nesting == "list":
            from tf.types import List

            wire = List(element)
        elif nesting == "map":
            from tf.types import Map

            wire = Map(element)
        super().__init__(name, wire, **kwargs)
        self.nesting = nesting
        self.attributes = attributes

    def to_pb(self) -> pb.Schema.Attribute:
        base = super().to_pb()
        base.ClearField("type")
        base.nested_type.CopyFrom(
            pb.Schema.Object(
                attributes=[a.to_pb() for a in self.attributes],
                nesting=_OBJECT_NESTING[self.nesting],
            )
        )
        return base


class _PlainBlock(NestedBlock):
    """Nested block whose wire value is plain msgpack (objects and lists)."""

    _pb_mode = pb.Schema.NestedBlock.NestingMode.SINGLE

    def __init__(
        self,
        type_name: str,
        block: Block,
        min_items: int | None = None,
        max_items: int | None = None,
    ) -> None:
        super().__init__(
            type_name, NestMode.Single, block, min_items=min_items, max_items=max_items
        )

    def to_pb(self) -> pb.Schema.NestedBlock:
        return pb.Schema.NestedBlock(
            type_name=self.type_name,
            block=self.block.to_pb(),
            min_items=self.min_items,
            max_items=self.max_items,
            nesting=self._pb_mode,
        )

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, value: Any) -> Any:
        return value

    def semantically_equal(self, a_decoded: Any, b_decoded: Any) -> bool:
        return bool(a_decoded == b_decoded)


class SingleNestedBlock(_PlainBlock):
    """``action { ... }``: at most one block, its value an object or null."""


class ListNestedBlock(_PlainBlock):
    """``widget { ... }`` repeated: an ordered list of objects."""

    _pb_mode = pb.Schema.NestedBlock.NestingMode.LIST
