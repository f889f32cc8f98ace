"""Text -> AST, fast: one regex tokenizer and a recursive-descent parser.

It accepts exactly the language of ``grammar.lark`` and builds the same AST
as the lark reference parser (:mod:`.syntax`); a differential test holds them
together. When this parser rejects text, lark re-parses it to explain why, so
error messages come from the grammar. Valid text never imports lark.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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
    children,
)
from finopsmetrics_cli.conditions.errors import ConditionError, ConditionErrors
from finopsmetrics_cli.conditions.lexical import (
    DURATION_SECONDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_LIST_ITEMS,
    decode_string,
    position,
)

# Same terminals and priorities as grammar.lark (DURATION/PERCENT > NUMBER > the rest).
_TOKEN_RE = re.compile(
    r"""(?P<WS>[ \t\r\n]+)
    |(?P<DURATION>[0-9]+(?:\.[0-9]+)?[smhdw](?![A-Za-z0-9_]))
    |(?P<PERCENT>[0-9]+(?:\.[0-9]+)?%)
    |(?P<NUMBER>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_]))
    |(?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<STRING>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<OP>==|!=|<=|>=|[<>+\-*/.,\[\]()])""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    "or and not in contains matches starts ends with is null true false".split()
)
# Keywords that are values; any other keyword where a value is expected is read as
# a name, as lark's contextual lexer does (a NOT there was already taken as NOT).
_VALUE_KEYWORDS = frozenset({"null", "true", "false"})
_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_TEXT_OPS = {"contains": "contains", "matches": "matches", "starts": "starts_with",
             "ends": "ends_with"}


class _Tok(NamedTuple):
    type: str  # NAME, STRING, NUMBER, PERCENT, DURATION, OP, KW, END
    value: str
    start_pos: int
    end_pos: int
    line: int
    column: int


class _Reject(Exception):
    """The fast parser gave up; lark will explain (or accept, in which case we agree)."""


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    append = tokens.append
    expected_pos, line, line_start = 0, 1, 0
    after_dot = False
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        start, end_pos = m.span()
        if start != expected_pos:
            raise _Reject
        value = m.group()
        expected_pos = end_pos
        if kind == "WS":
            if "\n" in value:
                line += value.count("\n")
                line_start = start + value.rfind("\n") + 1
            continue
        if kind == "NAME" and not after_dot and value.lower() in _KEYWORDS:
            kind = "KW"
        after_dot = kind == "OP" and value == "."
        append(_Tok(kind, value, start, expected_pos, line, start - line_start + 1))  # type: ignore[arg-type]
    end = len(text)
    if expected_pos != end:
        raise _Reject
    append(_Tok("END", "", end, end, line, end - line_start + 1))
    return tokens


def _span(tok: _Tok) -> Span:
    return Span(tok[2], tok[3], tok[4], tok[5])


class _Parser:
    __slots__ = ("tokens", "i", "nesting")

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    def _kw(self, word: str) -> bool:
        tok = self.tokens[self.i]
        return tok.type == "KW" and tok.value.lower() == word

    def _op(self, op: str) -> bool:
        tok = self.tokens[self.i]
        return tok.type == "OP" and tok.value == op

    def _expect_op(self, op: str) -> _Tok:
        if not self._op(op):
            raise _Reject
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            tok = self.tokens[self.i]
            raise ConditionError(
                "C003", f"the condition nests deeper than {MAX_DEPTH} levels",
                hint="flatten it: AND/OR chains do not add depth, parentheses and NOT do",
                line=tok.line, column=tok.column, offset=tok.start_pos, end_offset=tok.end_pos,
            )

    def parse(self) -> Expr:
        expr = self.or_expr()
        if self.tokens[self.i].type != "END":
            raise _Reject
        return expr

    def or_expr(self) -> Expr:
        return self._bool_chain("or", self.and_expr)

    def and_expr(self) -> Expr:
        return self._bool_chain("and", self.not_expr)

    def _bool_chain(self, op: str, operand: object) -> Expr:
        first = operand()  # type: ignore[operator]
        if not self._kw(op):
            return first  # type: ignore[no-any-return]
        items = list(first.operands) if isinstance(first, BoolOp) and first.op == op else [first]
        while self._kw(op):
            self.i += 1
            items.append(operand())  # type: ignore[operator]
        return BoolOp(op, tuple(items), first.span.to(items[-1].span))  # type: ignore[arg-type]

    def not_expr(self) -> Expr:
        if self._kw("not"):
            tok = self.tokens[self.i]
            self.i += 1
            self._enter()
            operand = self.not_expr()
            self.nesting -= 1
            return Not(operand, _span(tok).to(operand.span))
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum()
        tok = self.tokens[self.i]
        if tok.type == "OP" and tok.value in _COMPARE:
            self.i += 1
            right = self.sum()
            return Compare(tok.value, left, right, left.span.to(right.span), _span(tok))  # type: ignore[arg-type]
        if tok.type != "KW":
            return left
        word = tok.value.lower()
        if word == "in":
            self.i += 1
            right = self.sum()
            return In(left, right, False, left.span.to(right.span), _span(tok))
        if word == "not":
            self.i += 1
            in_tok = self.tokens[self.i]
            if not self._kw("in"):
                raise _Reject
            self.i += 1
            right = self.sum()
            return In(left, right, True, left.span.to(right.span), _span(tok).to(_span(in_tok)))
        if word == "is":
            self.i += 1
            negated = self._kw("not")
            if negated:
                self.i += 1
            if not self._kw("null"):
                raise _Reject
            end = self.tokens[self.i]
            self.i += 1
            return IsNull(left, negated, left.span.to(_span(end)))
        if word in _TEXT_OPS:
            self.i += 1
            op_end = tok
            if word in ("starts", "ends"):
                if not self._kw("with"):
                    raise _Reject
                op_end = self.tokens[self.i]
                self.i += 1
            right = self.sum()
            return TextMatch(_TEXT_OPS[word], left, right, left.span.to(right.span),  # type: ignore[arg-type]
                             _span(tok).to(_span(op_end)))
        return left

    def sum(self) -> Expr:
        left = self.product()
        while True:
            tok = self.tokens[self.i]
            if tok.type != "OP" or tok.value not in ("+", "-"):
                return left
            self.i += 1
            right = self.product()
            left = Arith(tok.value, left, right, left.span.to(right.span), _span(tok))  # type: ignore[arg-type]

    def product(self) -> Expr:
        left = self.unary()
        while True:
            tok = self.tokens[self.i]
            if tok.type != "OP" or tok.value not in ("*", "/"):
                return left
            self.i += 1
            right = self.unary()
            left = Arith(tok.value, left, right, left.span.to(right.span), _span(tok))  # type: ignore[arg-type]

    def unary(self) -> Expr:
        if self._op("-"):
            tok = self.tokens[self.i]
            self.i += 1
            self._enter()
            operand = self.unary()
            self.nesting -= 1
            return Neg(operand, _span(tok).to(operand.span))
        return self.primary()

    def primary(self) -> Expr:
        tok = self.tokens[self.i]
        kind = tok.type
        if kind == "STRING":
            self.i += 1
            return Const(decode_string(tok), "", _span(tok))
        if kind == "NUMBER":
            self.i += 1
            return Const(float(tok.value), "", _span(tok))
        if kind == "PERCENT":
            self.i += 1
            return Const(float(tok.value[:-1]) / 100, "percent", _span(tok))
        if kind == "DURATION":
            self.i += 1
            seconds = float(tok.value[:-1]) * DURATION_SECONDS[tok.value[-1]]
            return Const(seconds, "duration", _span(tok))
        if kind == "KW":
            word = tok.value.lower()
            if word in _VALUE_KEYWORDS:
                self.i += 1
                value = None if word == "null" else word == "true"
                return Const(value, "", _span(tok))
            return self.path()
        if kind == "NAME":
            return self.path()
        if kind == "OP" and tok.value == "(":
            self.i += 1
            self._enter()
            inner = self.or_expr()
            close = self._expect_op(")")
            self.nesting -= 1
            return inner._replace(span=_span(tok).to(_span(close)))  # type: ignore[return-value]
        if kind == "OP" and tok.value == "[":
            return self.list_literal()
        raise _Reject

    def list_literal(self) -> ListExpr:
        open_tok = self.tokens[self.i]
        self.i += 1
        self._enter()
        items: list[Expr] = []
        while not self._op("]"):
            items.append(self.or_expr())
            if not self._op(","):
                break
            self.i += 1
        close = self._expect_op("]")
        self.nesting -= 1
        span = _span(open_tok).to(_span(close))
        if len(items) > MAX_LIST_ITEMS:
            raise ConditionError.at(
                "C003",
                f"a list may hold at most {MAX_LIST_ITEMS} items, this one has {len(items)}",
                span,
            )
        return ListExpr(tuple(items), span)

    def path(self) -> Path:
        first = self.tokens[self.i]
        self.i += 1
        parts = [first.value]
        spans = [_span(first)]
        last = first
        while True:
            tok = self.tokens[self.i]
            if tok.type != "OP" or tok.value not in (".", "["):
                break
            nxt = self.tokens[self.i + 1]
            if tok.value == ".":
                if nxt.type != "NAME":
                    raise _Reject
                parts.append(nxt.value)
                spans.append(_span(nxt))
                self.i += 2
                last = nxt
            else:
                close = self.tokens[self.i + 2] if nxt.type == "STRING" else None
                if close is None or close.type != "OP" or close.value != "]":
                    # `[` after a path may only open a string subscript
                    raise _Reject
                parts.append(decode_string(nxt))
                spans.append(_span(nxt))
                self.i += 3
                last = close
        return Path(tuple(parts), _span(first).to(_span(last)), tuple(spans))


def parse(text: str) -> Expr:
    """Parse one condition; raise :class:`ConditionErrors` (one syntax error) on bad input."""
    if not isinstance(text, str):
        raise ConditionErrors([ConditionError("C001", "a condition must be text")], "")
    if not text.strip():
        raise ConditionErrors([ConditionError("C001", "the condition is empty")], text)
    if len(text) > MAX_LENGTH:
        err = ConditionError(
            "C002", f"the condition is {len(text)} characters long; the limit is {MAX_LENGTH}",
            hint="split it into several policies or rules",
        )
        raise ConditionErrors([err], text)
    try:
        tokens = _tokenize(text)
        expr = _Parser(tokens).parse()
    except ConditionError as exc:
        raise ConditionErrors([exc], text) from None
    except (_Reject, IndexError):
        from finopsmetrics_cli.conditions.syntax import lark_parse

        lark_parse(text)  # raises the grammar's explanation
        raise ConditionErrors([_disagreement(text)], text) from None
    if len(tokens) > MAX_DEPTH:  # every level of the tree costs at least one token
        _check_depth(expr, text)
    return expr


def _disagreement(text: str) -> ConditionError:
    """Lark accepted what the fast parser rejected: a bug, reported without a traceback."""
    return ConditionError(
        "C100", "cannot parse the condition (internal parser disagreement)",
        hint="please report this condition as a bug", line=1, column=1, offset=0,
        end_offset=len(text),
    )


def _check_depth(expr: Expr, text: str) -> None:
    """Bound the tree depth so the recursive checker and back ends stay in bounds."""
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            err = ConditionError.at(
                "C003", f"the condition nests deeper than {MAX_DEPTH} levels", node.span,
                hint="split long arithmetic or nested NOTs into simpler conditions",
            )
            raise ConditionErrors([err], text)
        stack.extend((child, depth + 1) for child in children(node))


__all__ = ["parse", "position"]
