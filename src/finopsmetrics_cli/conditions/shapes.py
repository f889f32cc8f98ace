"""Conditions that share a shape share their parse and their type check.

A config's conditions repeat a few forms with different values
(``resource.environment == "dev-3" AND resource.idle_hours > 48``): the token
kinds are the same, so the tree is the same and only its leaves and positions
differ. The second time a sequence of token kinds is seen, the tree the parser
built is turned into a :class:`Shape`: small functions that build the same
tree straight from the tokens, without the recursive descent. A shape also
says which token values the type check reads (attribute paths, ``MATCHES``
patterns, whether a number lies in 0..1); a schema remembers the keys of the
conditions that checked clean, so a condition with the same key is clean too.

Whatever a shape cannot reproduce exactly (a path split over several tokens)
gets no shape, and any failure while building falls back to the parser, so
results and errors never depend on the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from finopsmetrics_cli.conditions.ast import (
    Arith,
    BoolOp,
    Compare,
    Const,
    Expr,
    In,
    IsNull,
    ListExpr,
    Neg,
    Not,
    Path,
    Span,
    TextMatch,
    walk,
)
from finopsmetrics_cli.conditions.lexical import DURATION_SECONDS, decode_string
from finopsmetrics_cli.conditions.tokens import path_token

#: what a shape builds from: the parser's tokens, ``(kind, value, span)`` tuples
Tokens = Sequence[Any]
_Build = Callable[[Tokens], Any]

MAX_SHAPES = 2048
"""Token-kind sequences remembered (seen once, or turned into a shape); then start over."""

_LITERALS = frozenset({"STRING", "NUMBER", "PERCENT", "DURATION", "true", "false", "null"})
_NAMED = frozenset({"PATH", "NAME"})
_PARENS = frozenset({"(", ")"})


class _NoShape(Exception):
    """The tree has a part a shape does not reproduce; the parser keeps doing it."""


class Shape:
    """Builds the tree of one token-kind sequence, and the key its type check depends on."""

    __slots__ = ("build", "_named", "_patterns", "_numbers", "kinds")

    def __init__(self, kinds: tuple[str, ...], build: _Build, patterns: tuple[int, ...]) -> None:
        self.kinds = kinds
        self.build: _Build = build
        self._named = tuple(i for i, k in enumerate(kinds) if k in _NAMED)
        self._patterns = patterns
        self._numbers = tuple(i for i, k in enumerate(kinds) if k == "NUMBER")

    def check_key(self, values: Sequence[str]) -> tuple[Any, ...]:
        """Everything the checker reads besides the kinds: equal keys, equal check results.

        Paths by their text, ``MATCHES`` patterns by their text, plain numbers by
        whether they lie in 0..1 (a percent attribute compared with a number outside
        it is an error); other literals only by their kind.
        """
        return (
            self,
            *[values[i] for i in self._named],
            *[values[i] for i in self._patterns],
            *[0.0 <= float(values[i]) <= 1.0 for i in self._numbers],
        )


class ShapeCache:
    """Token-kind sequence -> Shape, made on the second sighting (one-off forms cost nothing)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], Shape | None | bool] = {}  # True: seen once

    def get(self, kinds: tuple[str, ...]) -> Shape | None:
        found = self._seen.get(kinds)
        return found if type(found) is Shape else None

    def learn(self, kinds: tuple[str, ...], tokens: Tokens, expr: Expr) -> None:
        """Record one successful parse; the second of its kinds makes (or refuses) a shape."""
        seen = self._seen
        state = seen.get(kinds, False)
        if state is False:
            if len(seen) >= MAX_SHAPES:
                seen.clear()
            seen[kinds] = True
        elif state is True:
            seen[kinds] = make_shape(kinds, tokens, expr)


def make_shape(kinds: tuple[str, ...], tokens: Tokens, expr: Expr) -> Shape | None:
    """The shape of ``expr`` parsed from ``tokens``, checked to rebuild ``expr`` exactly."""
    real = tokens[:-1]  # END is empty: it would shadow the last token's end
    starts = {tok[2].offset: i for i, tok in enumerate(real)}
    ends = {tok[2].end_offset: i for i, tok in enumerate(real)}
    try:
        build = _node(expr, tokens, starts, ends)
        patterns = _pattern_tokens(expr, tokens, starts, ends)
        if build(tokens) != expr:  # never trust a shape that does not reproduce its source
            return None
    except (_NoShape, KeyError, ValueError, IndexError):
        return None
    return Shape(kinds, build, patterns)


def _range(span: Span, starts: dict[int, int], ends: dict[int, int]) -> tuple[int, int]:
    return starts[span.offset], ends[span.end_offset]


def _span(span: Span, tokens: Tokens, starts: dict[int, int], ends: dict[int, int]) -> _Build:
    i, j = _range(span, starts, ends)
    if tokens[i][2][2:] != span[2:]:
        raise _NoShape
    if i == j:
        return lambda t: t[i][2]
    return lambda t: t[i][2].to(t[j][2])


def _node(  # noqa: C901 - one branch per node type
    node: Expr, tokens: Tokens, starts: dict[int, int], ends: dict[int, int]
) -> _Build:
    span = _span(node.span, tokens, starts, ends)
    if isinstance(node, Const):
        return _const(node, tokens, starts, ends, span)
    if isinstance(node, Path):
        return _path(node, tokens, starts, ends, span)
    sub = [_node(child, tokens, starts, ends) for child in _operands(node)]
    if isinstance(node, BoolOp):
        word = node.op
        return lambda t: BoolOp(word, tuple([f(t) for f in sub]), span(t))
    if isinstance(node, ListExpr):
        return lambda t: ListExpr(tuple([f(t) for f in sub]), span(t))
    if isinstance(node, (Neg, Not)):
        (operand,), cls = sub, type(node)
        return lambda t: cls(operand(t), span(t))
    if isinstance(node, IsNull):
        (operand,), negated = sub, node.negated
        return lambda t: IsNull(operand(t), negated, span(t))
    left, right = sub
    op_span = _span(node.op_span, tokens, starts, ends)
    if isinstance(node, In):
        negated = node.negated
        return lambda t: In(left(t), right(t), negated, span(t), op_span(t))
    binary: Any = type(node)  # Arith, Compare or TextMatch: (op, left, right, span, op_span)
    operator = node.op
    return lambda t: binary(operator, left(t), right(t), span(t), op_span(t))


def _operands(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, (Neg, Not, IsNull)):
        return (node.operand,)
    if isinstance(node, (Arith, Compare, In, TextMatch)):
        return (node.left, node.right)
    raise _NoShape


def _inner(node: Expr, tokens: Tokens, starts: dict[int, int], ends: dict[int, int],
           wanted: frozenset[str]) -> int:
    """The one token of a kind in ``wanted`` inside the node's span (parentheses around it)."""
    i, j = _range(node.span, starts, ends)
    found = [k for k in range(i, j + 1) if tokens[k][0] in wanted]
    if len(found) != 1 or any(tokens[k][0] not in _PARENS for k in range(i, j + 1)
                              if k != found[0]):
        raise _NoShape
    return found[0]


def _const(node: Const, tokens: Tokens, starts: dict[int, int], ends: dict[int, int],
           span: _Build) -> _Build:
    k = _inner(node, tokens, starts, ends, _LITERALS)
    kind = tokens[k][0]
    if kind == "STRING":
        return lambda t: Const(decode_string(t[k]), "", span(t))
    if kind == "NUMBER":
        return lambda t: Const(float(t[k][1]), "", span(t))
    if kind == "PERCENT":
        return lambda t: Const(float(t[k][1][:-1]) / 100, "percent", span(t))
    if kind == "DURATION":
        return lambda t: Const(
            float(t[k][1][:-1]) * DURATION_SECONDS[t[k][1][-1]], "duration", span(t)
        )
    value = node.value
    return lambda t: Const(value, "", span(t))


def _path(node: Path, tokens: Tokens, starts: dict[int, int], ends: dict[int, int],
          span: _Build) -> _Build:
    k = _inner(node, tokens, starts, ends, frozenset({"PATH"}))  # one token, or no shape
    if node.span == tokens[k][2]:
        return lambda t: path_token(t[k])
    return lambda t: path_token(t[k])._replace(span=span(t))


def _pattern_tokens(
    expr: Expr, tokens: Tokens, starts: dict[int, int], ends: dict[int, int]
) -> tuple[int, ...]:
    """Tokens of ``MATCHES`` patterns: the checker validates their text."""
    return tuple(
        _inner(n.right, tokens, starts, ends, frozenset({"STRING"}))
        for n in walk(expr)
        if isinstance(n, TextMatch) and n.op == "matches" and isinstance(n.right, Const)
        and isinstance(n.right.value, str)
    )
