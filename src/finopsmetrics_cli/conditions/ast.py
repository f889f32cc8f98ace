"""The immutable syntax tree shared by the checker and both back ends.

Every node carries a :class:`Span` into the condition text so any later stage
(type check, SQL compile, record evaluation) can point at the exact source.

Nodes are named tuples rather than frozen dataclasses: they are built for
every condition of every object on each ``validate``, and a tuple is built
several times faster. Equality also compares the node type, so ``Not(x)`` never
equals ``Neg(x)``.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, TypeAlias

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
ArithOp = Literal["+", "-", "*", "/"]
TextOp = Literal["contains", "matches", "starts_with", "ends_with"]


class Span(NamedTuple):
    """Where a node is in the text: 0-based offsets, 1-based line and column of the start."""

    offset: int
    end_offset: int
    line: int
    column: int

    def to(self, other: Span) -> Span:
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.offset, other.end_offset, self.line, self.column)


class Const(NamedTuple):
    """A string, number, bool or null; ``unit`` keeps how a number was written."""

    value: str | float | bool | None
    unit: Literal["", "percent", "duration"]
    span: Span


class ListExpr(NamedTuple):
    items: tuple[Expr, ...]
    span: Span


class Path(NamedTuple):
    """A dotted attribute path; ``parts[0]`` is the context (``resource``, ``team``...)."""

    parts: tuple[str, ...]
    span: Span
    part_spans: tuple[Span, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


class Neg(NamedTuple):
    operand: Expr
    span: Span


class Arith(NamedTuple):
    op: ArithOp
    left: Expr
    right: Expr
    span: Span
    op_span: Span


class Compare(NamedTuple):
    op: CompareOp
    left: Expr
    right: Expr
    span: Span
    op_span: Span


class In(NamedTuple):
    """``left IN right`` (``NOT IN`` when ``negated``); right is a list literal or attribute."""

    left: Expr
    right: Expr
    negated: bool
    span: Span
    op_span: Span


class TextMatch(NamedTuple):
    """``CONTAINS``, ``MATCHES``, ``STARTS WITH``, ``ENDS WITH``."""

    op: TextOp
    left: Expr
    right: Expr
    span: Span
    op_span: Span


class IsNull(NamedTuple):
    operand: Expr
    negated: bool
    span: Span


class Not(NamedTuple):
    operand: Expr
    span: Span


class BoolOp(NamedTuple):
    """``AND``/``OR`` over two or more operands (flattened, left to right)."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span


def _node_eq(self: tuple[Any, ...], other: object) -> bool:
    return type(self) is type(other) and tuple.__eq__(self, other)


def _node_ne(self: tuple[Any, ...], other: object) -> bool:
    return not _node_eq(self, other)


def _node_hash(self: tuple[Any, ...]) -> int:
    return hash((type(self).__name__, tuple.__hash__(self)))


for _cls in (Const, ListExpr, Path, Neg, Arith, Compare, In, TextMatch, IsNull, Not, BoolOp):
    _cls.__eq__ = _node_eq  # type: ignore[method-assign]
    _cls.__ne__ = _node_ne  # type: ignore[assignment, method-assign]
    _cls.__hash__ = _node_hash  # type: ignore[method-assign]

Expr: TypeAlias = (
    Const | ListExpr | Path | Neg | Arith | Compare | In | TextMatch | IsNull | Not | BoolOp
)


def children(node: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, in source order."""
    if isinstance(node, (Const, Path)):
        return ()
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, (Neg, Not, IsNull)):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.operands
    return (node.left, node.right)


def walk(node: Expr) -> list[Expr]:
    """Every node, pre-order, without recursion (trees can be deep)."""
    out: list[Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out
