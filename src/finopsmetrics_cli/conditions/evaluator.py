"""The Python back end: a condition compiled to closures over a nested record.

Null follows SQL's three-valued logic exactly as the DuckDB back end does
(``None`` is unknown): comparisons and arithmetic with null are null, ``x / 0``
is null, ``NOT null`` is null, ``false AND null`` is false, ``true OR null`` is
true, ``x IN [...]`` is null when nothing matched and an item was null.
Records are nested mappings, ``{"resource": {"tags": {...}}, "team": {...}}``;
a missing key anywhere is null. Durations are seconds (or ``timedelta``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
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
    TextMatch,
)
from finopsmetrics_cli.conditions.errors import ConditionError
from finopsmetrics_cli.conditions.regex import safe_regex

Record = Mapping[str, Any]
Fn = Callable[[Record], Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


_RECENT: dict[int, tuple[Expr, Fn]] = {}
_RECENT_MAX = 256


def evaluate(expr: Expr, record: Record) -> bool | None:
    """True, False, or None (unknown) for one record; ``expr`` should be type-checked.

    The closures for recently used expressions are kept (by identity; the entry
    holds the expression, so its id cannot be reused while cached), so calling
    this in a loop over records compiles once.
    """
    entry = _RECENT.get(id(expr))
    if entry is None or entry[0] is not expr:
        if len(_RECENT) >= _RECENT_MAX:
            _RECENT.clear()
        entry = _RECENT[id(expr)] = (expr, compile_expr(expr))
    return run(entry[1], expr, record)


def run(fn: Fn, expr: Expr, record: Record) -> bool | None:
    """Call a compiled condition, turning bad record values into a :class:`ConditionError`."""
    try:
        result = fn(record)
    except TypeError as exc:
        raise ConditionError.at(
            "C401", f"the record holds a value of the wrong type: {exc}", expr.span,
            hint="records must hold values of the attribute's declared type",
        ) from None
    return None if result is None else bool(result)


def compile_expr(node: Expr) -> Fn:
    """A closure computing ``node`` for a record."""
    return _COMPILERS[type(node)](node)


def _value(v: Any) -> Any:
    """Normalise record values: durations to seconds, decimals to floats."""
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, Decimal):
        return float(v)
    return v


def _plain(v: Any) -> bool:
    return v is None or type(v) in (str, float, int, bool)


def _path(node: Path) -> Fn:
    parts = node.parts
    if len(parts) == 2:
        ctx, attr = parts

        def get2(r: Record) -> Any:
            c = r.get(ctx)
            if c is None:
                return None
            v = c.get(attr)
            return v if _plain(v) else _value(v)

        return get2

    def get(r: Record) -> Any:
        v: Any = r
        for part in parts:
            if not isinstance(v, Mapping):
                return None
            v = v.get(part)
            if v is None:
                return None
        return v if _plain(v) else _value(v)

    return get


def _const(node: Const) -> Fn:
    value = node.value
    return lambda r: value


def _neg(node: Neg) -> Fn:
    f = compile_expr(node.operand)

    def neg(r: Record) -> Any:
        v = f(r)
        return None if v is None else -v

    return neg


def _arith(node: Arith) -> Fn:
    left, right, op = compile_expr(node.left), compile_expr(node.right), node.op
    if op == "/":
        def div(r: Record) -> Any:
            a, b = left(r), right(r)
            if a is None or b is None or b == 0:
                return None
            return float(a) / float(b)

        return div
    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

    def arith(r: Record) -> Any:
        a, b = left(r), right(r)
        if a is None or b is None:
            return None
        return fn(float(a), float(b))

    return arith


def _compare(node: Compare) -> Fn:
    left, right, fn = compile_expr(node.left), compile_expr(node.right), _COMPARE[node.op]
    if isinstance(node.right, Const):
        const = node.right.value

        def compare_const(r: Record) -> Any:
            a = left(r)
            return None if a is None else fn(a, const)

        return compare_const

    def compare(r: Record) -> Any:
        a = left(r)
        if a is None:
            return None
        b = right(r)
        return None if b is None else fn(a, b)

    return compare


def _member(x: Any, items: Any) -> bool | None:
    """SQL list membership: a null list is null, an empty list never contains anything
    (not even null, as ``x IN (empty)`` is false in SQL), a null value is null otherwise,
    and null items never match."""
    if items is None:
        return None
    if not items:
        return False
    if x is None:
        return None
    return any(item == x for item in items if item is not None)


def _in(node: In) -> Fn:
    left = compile_expr(node.left)
    negated = node.negated
    if isinstance(node.right, ListExpr):
        items = node.right.items
        if not items:
            return lambda r: negated
        if all(isinstance(i, Const) for i in items):
            values = frozenset(i.value for i in items)  # type: ignore[union-attr]

            def in_consts(r: Record) -> Any:
                x = left(r)
                return None if x is None else (x in values) != negated

            return in_consts
        fns = [compile_expr(i) for i in items]

        def in_list(r: Record) -> Any:
            x = left(r)
            if x is None:
                return None
            unknown = False
            for f in fns:
                v = f(r)
                if v is None:
                    unknown = True
                elif v == x:
                    return not negated
            return None if unknown else negated

        return in_list
    right = compile_expr(node.right)

    def in_attr(r: Record) -> Any:
        found = _member(left(r), right(r))
        return None if found is None else found != negated

    return in_attr


def _text(node: TextMatch) -> Fn:
    left, right = compile_expr(node.left), compile_expr(node.right)
    if node.op == "matches":
        assert isinstance(node.right, Const) and isinstance(node.right.value, str)
        search = safe_regex(node.right.value).search

        def matches(r: Record) -> Any:
            a = left(r)
            return None if a is None else search(a)

        return matches
    if node.op == "contains":
        def contains(r: Record) -> Any:
            a = left(r)
            if a is None:
                return None
            b = right(r)
            if not isinstance(a, str):
                return _member(b, a)
            return None if b is None else b in a

        return contains
    method = str.startswith if node.op == "starts_with" else str.endswith

    def affix(r: Record) -> Any:
        a = left(r)
        if a is None:
            return None
        b = right(r)
        return None if b is None else method(a, b)

    return affix


def _is_null(node: IsNull) -> Fn:
    f, negated = compile_expr(node.operand), node.negated
    return lambda r: (f(r) is None) != negated


def _not(node: Not) -> Fn:
    f = compile_expr(node.operand)

    def not_(r: Record) -> Any:
        v = f(r)
        return None if v is None else not v

    return not_


def _bool(node: BoolOp) -> Fn:
    fns = [compile_expr(o) for o in node.operands]
    stop = node.op == "or"  # the value that decides the result on its own

    def kleene(r: Record) -> Any:
        unknown = False
        for f in fns:
            v = f(r)
            if v is None:
                unknown = True
            elif bool(v) == stop:
                return stop
        return None if unknown else not stop

    return kleene


def _list(node: ListExpr) -> Fn:
    fns = [compile_expr(i) for i in node.items]
    return lambda r: [f(r) for f in fns]


_COMPILERS: dict[type, Callable[[Any], Fn]] = {
    Const: _const, ListExpr: _list, Path: _path, Neg: _neg, Arith: _arith,
    Compare: _compare, In: _in, TextMatch: _text, IsNull: _is_null, Not: _not, BoolOp: _bool,
}
