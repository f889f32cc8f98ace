"""Type checking: every error a condition has, before anything runs.

Types are names: ``string number percent bool duration null`` and
``list<T>``/``map<T>``; ``"error"`` marks a sub-expression already reported so
one mistake is reported once. A percent is a number when compared.
"""

from __future__ import annotations

from collections.abc import Callable
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
)
from finopsmetrics_cli.conditions.errors import ConditionError
from finopsmetrics_cli.conditions.lexical import without_gc
from finopsmetrics_cli.conditions.regex import RegexRejected, safe_regex
from finopsmetrics_cli.conditions.schema import AttributeSchema, base_type

ERROR = "error"
_ORDERED = frozenset({"number", "duration", "string"})
_SCALAR = frozenset({"string", "number", "bool", "duration"})
_EQUAL_OK = frozenset({"string", "number", "bool", "duration"})  # percent goes the long way
_UNIT_SECONDS = {"_hours": 3600, "_days": 86_400, "_minutes": 60, "_seconds": 1}


def check(expr: Expr, schema: AttributeSchema | None = None) -> list[ConditionError]:
    """Every type error in ``expr`` (empty when the condition is well typed)."""
    return without_gc(_check, expr, schema)


def _check(expr: Expr, schema: AttributeSchema | None) -> list[ConditionError]:
    checker = _Checker(schema or AttributeSchema.default())
    result = checker.type_of(expr)
    if result not in (ERROR, "bool"):
        checker.error(
            "C207", f"a condition must be true or false, but this is a {_show(result)}",
            expr.span, hint="compare it with something, e.g. `... > 0` or `... == \"x\"`",
        )
    return checker.errors


def type_of(expr: Expr, schema: AttributeSchema | None = None) -> str:
    """The type of any sub-expression (used by the SQL compiler and tests)."""
    return _Checker(schema or AttributeSchema.default()).type_of(expr)


def _show(type_name: str) -> str:
    return "true/false value" if type_name == "bool" else type_name


def _describe(node: Expr, type_name: str) -> str:
    if isinstance(node, Path):
        return f"{node.dotted} ({type_name})"
    return type_name


class _Checker:
    __slots__ = ("schema", "errors", "_dispatch")

    def __init__(self, schema: AttributeSchema) -> None:
        self.schema = schema
        self.errors: list[ConditionError] = []
        self._dispatch: dict[type, Callable[[Any], str]] = {
            Const: self._const, ListExpr: self._list, Path: self._path, Neg: self._neg,
            Arith: self._arith, Compare: self._compare, In: self._in,
            TextMatch: self._text, IsNull: self._is_null, Not: self._not, BoolOp: self._bool,
        }

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> str:
        self.errors.append(ConditionError.at(code, message, span, hint=hint))
        return ERROR

    def type_of(self, node: Expr) -> str:
        return self._dispatch[type(node)](node)

    def _operand(self, node: Expr) -> str:
        """Type of a value operand: lists only after IN, null only with IS NULL."""
        t = self.type_of(node)
        if isinstance(node, ListExpr):
            return self.error("C212", "a list can only follow IN, NOT IN or CONTAINS", node.span)
        if t == "null":
            return self.error(
                "C208", "null is unknown, so comparing with it is never true", node.span,
                hint="use IS NULL or IS NOT NULL",
            )
        return t

    # -- leaves ------------------------------------------------------------
    def _const(self, node: Const) -> str:
        v = node.value
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, str):
            return "string"
        return {"": "number", "percent": "percent", "duration": "duration"}[node.unit]

    def _list(self, node: ListExpr) -> str:
        element: str | None = None
        first: Expr | None = None
        for item in node.items:
            t = self._operand(item)
            if t == ERROR:
                continue
            if t not in _SCALAR and t != "percent":
                self.error("C204", f"list items must be plain values, not {t}", item.span)
                continue
            if element is None:
                element, first = base_type(t), item
            elif base_type(t) != element:
                assert first is not None
                self.error(
                    "C204", f"list items must all have one type: this is a {t}, "
                    f"the first item is a {element}", item.span,
                )
        return f"list<{element or 'any'}>"

    def _path(self, node: Path) -> str:
        context, *rest = node.parts
        attrs = self.schema.contexts.get(context)
        if attrs is None and not rest:  # a lone word: usually text that lost its quotes
            return self.error(
                "C201", f"'{context}' is not an attribute", node.span,
                hint=_lone_word_hint(context, self.schema),
            )
        if attrs is None:
            return self.error(
                "C201", f"unknown context '{context}'", node.part_spans[0],
                hint=_suggest(context, list(self.schema.contexts), "contexts are"),
            )
        if not rest:
            return self.error(
                "C201", f"'{context}' is a context; name one of its attributes",
                node.span, hint=f"e.g. {context}.{next(iter(attrs), 'name')}",
            )
        attr = attrs.get(rest[0])
        if attr is None:
            return self.error(
                "C201", f"unknown attribute '{context}.{rest[0]}'", node.part_spans[1],
                hint=_suggest(rest[0], list(attrs), f"{context} has", prefix=f"{context}."),
            )
        if len(rest) == 1:
            return attr.type
        if attr.type.startswith("map<"):
            element = attr.type[4:-1]
            if len(rest) == 2:
                return element
            return self.error(
                "C210", f"{context}.{rest[0]}.{rest[1]} is a {element}; it has no '{rest[2]}'",
                node.part_spans[3], hint=f"a key of {context}.{rest[0]} names a single value",
            )
        return self.error(
            "C210", f"{context}.{rest[0]} is a {attr.type}; it has no '{rest[1]}'",
            node.part_spans[2], hint="only maps such as resource.tags take a key",
        )

    # -- arithmetic --------------------------------------------------------
    def _neg(self, node: Neg) -> str:
        t = self._operand(node.operand)
        if t in (ERROR, "number", "percent", "duration"):
            return t if t != "percent" else "number"
        return self.error("C211", f"cannot negate a {t}", node.span)

    def _arith(self, node: Arith) -> str:
        lt, rt = self._operand(node.left), self._operand(node.right)
        if ERROR in (lt, rt):
            return ERROR
        lb, rb = base_type(lt), base_type(rt)
        op = node.op
        if lb == rb == "number":
            return "number"
        if op in "+-" and lb == rb == "duration":
            return "duration"
        if op == "*" and {lb, rb} == {"number", "duration"}:
            return "duration"
        if op == "/" and lb == "duration" and rb in ("number", "duration"):
            return "duration" if rb == "number" else "number"
        return self.error(
            "C211", f"cannot apply '{op}' to {_describe(node.left, lt)} and "
            f"{_describe(node.right, rt)}", node.op_span,
            hint="arithmetic works on numbers, and on durations (+, -, scaled by a number)",
        )

    # -- comparisons -------------------------------------------------------
    def _compare(self, node: Compare) -> str:
        for side in (node.left, node.right):
            if isinstance(side, Const) and side.value is None:
                op = "IS NULL" if node.op == "==" else "IS NOT NULL"
                return self.error(
                    "C208", f"'{node.op} null' is never true: null means unknown",
                    node.op_span.to(side.span) if side is node.right
                    else side.span.to(node.op_span),
                    hint=f"write {op}",
                )
        lt, rt = self._operand(node.left), self._operand(node.right)
        if lt == rt and lt in _EQUAL_OK and (lt != "bool" or node.op in ("==", "!=")):
            return "bool"  # the common case: same plain type on both sides
        if ERROR in (lt, rt):
            return "bool"
        lb, rb = base_type(lt), base_type(rt)
        if lb != rb:
            self._mismatch(node, lt, rt)
        elif node.op not in ("==", "!=") and lb not in _ORDERED:
            self.error("C202", f"'{node.op}' cannot order {_show(lt)}s", node.op_span,
                       hint="use == or !=")
        elif lb not in _SCALAR:
            self.error("C202", f"cannot compare {lt} values with '{node.op}'", node.op_span,
                       hint="compare single values, e.g. resource.tags.team == \"ml\"")
        else:
            self._percent_range(node.left, lt, node.right)
            self._percent_range(node.right, rt, node.left)
        return "bool"

    def _mismatch(self, node: Compare, lt: str, rt: str) -> None:
        hint = None
        pair = {base_type(lt), base_type(rt)}
        if pair == {"number", "duration"} and "percent" not in (lt, rt):
            num, dur = node.left, node.right
            if base_type(lt) != "number":
                num, dur = dur, num
            hint = _duration_hint(num, dur)
            self.error("C209", f"cannot compare {_describe(num, 'number')} with a duration",
                       dur.span, hint=hint)
            return
        self.error(
            "C202", f"cannot compare {_describe(node.left, lt)} with {_describe(node.right, rt)}",
            node.right.span if isinstance(node.left, Path) else node.left.span,
            hint="both sides of a comparison must have the same type",
        )

    def _percent_range(self, attr: Expr, attr_type: str, other: Expr) -> None:
        """``cpu_avg_7d < 5`` is almost always a forgotten ``%``: percents are 0..1."""
        if (attr_type == "percent" and isinstance(other, Const) and other.unit == ""
                and isinstance(other.value, float) and not 0 <= other.value <= 1):
            self.error(
                "C214", f"{_describe(attr, 'percent')} is a fraction from 0 to 1; "
                f"{other.value:g} is out of range", other.span,
                hint=f"did you mean {other.value:g}%?",
            )

    def _in(self, node: In) -> str:
        lt = self._operand(node.left)
        rt = self.type_of(node.right)
        if rt == "null":
            return self.error("C208", "IN needs a list, not null", node.right.span)
        if ERROR in (lt, rt):
            return "bool"
        if not rt.startswith("list<"):
            return self.error(
                "C203", f"IN needs a list on its right, not a {rt}", node.right.span,
                hint='e.g. resource.region IN ["eu-west-1", "eu-central-1"]',
            )
        element = rt[5:-1]
        if lt not in _SCALAR and lt != "percent":
            return self.error("C203", f"IN needs a single value on its left, not a {lt}",
                              node.left.span)
        if element != "any" and base_type(lt) != element:
            self.error("C202", f"cannot look for {_describe(node.left, lt)} in a list of "
                       f"{element}s", node.right.span)
        return "bool"

    def _text(self, node: TextMatch) -> str:
        lt = self._operand(node.left)
        if node.op == "matches":
            return self._matches(node, lt)
        rt = self._operand(node.right)
        if ERROR in (lt, rt):
            return "bool"
        word = {"contains": "CONTAINS", "starts_with": "STARTS WITH",
                "ends_with": "ENDS WITH"}[node.op]
        if node.op == "contains" and lt.startswith("list<"):
            if base_type(rt) != lt[5:-1]:
                self.error("C202", f"{_describe(node.left, lt)} cannot contain a {rt}",
                           node.right.span)
            return "bool"
        if lt != "string" or rt != "string":
            bad = node.left if lt != "string" else node.right
            bad_type = lt if bad is node.left else rt
            self.error("C203", f"{word} needs text on both sides, not a {bad_type}",
                       bad.span, hint="CONTAINS also accepts a list on its left")
        return "bool"

    def _matches(self, node: TextMatch, lt: str) -> str:
        pattern = node.right
        if not (isinstance(pattern, Const) and isinstance(pattern.value, str)):
            self.type_of(pattern)
            return self.error("C213", "MATCHES needs a quoted pattern", pattern.span,
                              hint='e.g. resource.name MATCHES "^prod-"')
        if lt not in (ERROR, "string"):
            self.error("C203", f"MATCHES needs text on its left, not a {lt}", node.left.span)
        try:
            safe_regex(pattern.value)
        except RegexRejected as exc:
            self.error("C205", f"unsupported regular expression: {exc.message} "
                       f"(at pattern position {exc.index + 1})", pattern.span, hint=exc.hint)
        return "bool"

    def _is_null(self, node: IsNull) -> str:
        self.type_of(node.operand)
        return "bool"

    # -- logic -------------------------------------------------------------
    def _logic_operand(self, node: Expr, word: str) -> None:
        t = self._operand(node)
        if t not in (ERROR, "bool"):
            self.error("C207", f"{word} needs true/false operands, but this is a {t}", node.span,
                       hint="compare it with something, e.g. `... > 0`")

    def _not(self, node: Not) -> str:
        self._logic_operand(node.operand, "NOT")
        return "bool"

    def _bool(self, node: BoolOp) -> str:
        for operand in node.operands:
            self._logic_operand(operand, node.op.upper())
        return "bool"


def _suggest(word: str, options: list[str], intro: str, prefix: str = "") -> str:
    close = _closest(word, options)
    if close is not None:
        return f"did you mean '{prefix}{close}'?"
    shown = ", ".join(sorted(options)[:12]) + (", ..." if len(options) > 12 else "")
    return f"{intro} {shown}"


def _closest(word: str, options: list[str]) -> str | None:
    """The option most like ``word``, by spelling or by its words in any order.

    ``monthly_cost`` is ``cost_monthly`` with its words swapped: comparing the
    words of each name sorted (as fuzzy matchers' token-sort ratio does)
    catches that, which plain spelling similarity ranks too low.
    """
    import difflib

    def words(name: str) -> str:
        return "_".join(sorted(name.lower().split("_")))

    best, best_score = None, 0.6
    for option in options:
        score = max(
            difflib.SequenceMatcher(None, word, option).ratio(),
            difflib.SequenceMatcher(None, words(word), words(option)).ratio(),
        )
        if score > best_score or (score == best_score and best is None):
            best, best_score = option, score
    return best


def _lone_word_hint(word: str, schema: AttributeSchema) -> str:
    """An attribute name without its context, or (most often) text without quotes."""
    owners = sorted(ctx for ctx, attrs in schema.contexts.items() if word in attrs)
    if owners:
        return f"did you mean '{owners[0]}.{word}'? attributes are named with their context"
    return f'quote string values: "{word}"'


def _duration_hint(number_side: Expr, duration_side: Expr) -> str:
    if isinstance(number_side, Path) and isinstance(duration_side, Const):
        name = number_side.parts[-1]
        for suffix, seconds in _UNIT_SECONDS.items():
            if name.endswith(suffix):
                value = float(duration_side.value or 0) / seconds
                return f"{number_side.dotted} is a number of {suffix[1:]}; write {value:g}"
        return f"{number_side.dotted} is a plain number; compare it with a number"
    return "durations compare only with durations, such as resource.age"
