"""The reference parser: the LALR grammar in ``grammar.lark``, run by lark.

``grammar.lark`` is the normative definition of the language. Lark's LALR
driver costs ~25 us per token in Python, too slow for validating 10,000
conditions in under a second, so valid text is parsed by the hand-written
:mod:`.parser`; a differential test holds both to the same language and AST.
Lark runs when the fast parser rejects text, to report the syntax error with
the grammar's own expected-token sets. The parser is built once per process
(lark caches its tables on disk) and builds the AST while parsing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

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
from finopsmetrics_cli.conditions.errors import ConditionError, ConditionErrors
from finopsmetrics_cli.conditions.lexical import (
    DURATION_SECONDS,
    MAX_LIST_ITEMS,
    TERMINAL_NAMES,
    decode_string,
    position,
    span_of,
)


class _Builder(Transformer[Token, Expr]):
    """Builds AST nodes as lark reduces rules (embedded in the LALR parser)."""

    def string(self, c: list[Token]) -> Const:
        return Const(decode_string(c[0]), "", span_of(c[0]))

    def number(self, c: list[Token]) -> Const:
        return Const(float(c[0].value), "", span_of(c[0]))

    def percent(self, c: list[Token]) -> Const:
        return Const(float(c[0].value[:-1]) / 100, "percent", span_of(c[0]))

    def duration(self, c: list[Token]) -> Const:
        text = c[0].value
        return Const(float(text[:-1]) * DURATION_SECONDS[text[-1]], "duration", span_of(c[0]))

    def true(self, c: list[Token]) -> Const:
        return Const(True, "", span_of(c[0]))

    def false(self, c: list[Token]) -> Const:
        return Const(False, "", span_of(c[0]))

    def null(self, c: list[Token]) -> Const:
        return Const(None, "", span_of(c[0]))

    def list_items(self, c: list[Any]) -> tuple[Expr, ...]:
        return tuple(x for x in c if not isinstance(x, Token))

    def list_(self, c: list[Any]) -> ListExpr:
        items = c[1] or ()
        span = span_of(c[0]).to(span_of(c[-1]))
        if len(items) > MAX_LIST_ITEMS:
            raise ConditionError.at(
                "C003",
                f"a list may hold at most {MAX_LIST_ITEMS} items, this one has {len(items)}", span,
            )
        return ListExpr(items, span)

    def group(self, c: list[Any]) -> Expr:
        """Parentheses leave no node; the inner node's span widens to cover them."""
        return c[1]._replace(span=span_of(c[0]).to(span_of(c[2])))  # type: ignore[no-any-return]

    def path(self, c: list[Token]) -> Path:
        parts: list[str] = []
        spans: list[Span] = []
        for tok in c:
            if tok.type == "NAME":
                parts.append(tok.value)
                spans.append(span_of(tok))
            elif tok.type == "STRING":
                parts.append(decode_string(tok))
                spans.append(span_of(tok))
        return Path(tuple(parts), span_of(c[0]).to(span_of(c[-1])), tuple(spans))

    def neg(self, c: list[Any]) -> Neg:
        return Neg(c[1], span_of(c[0]).to(c[1].span))

    def arith(self, c: list[Any]) -> Arith:
        return Arith(c[1].value, c[0], c[2], c[0].span.to(c[2].span), span_of(c[1]))

    def compare(self, c: list[Any]) -> Compare:
        return Compare(c[1].value, c[0], c[2], c[0].span.to(c[2].span), span_of(c[1]))

    def in_(self, c: list[Any]) -> In:
        return In(c[0], c[2], False, c[0].span.to(c[2].span), span_of(c[1]))

    def not_in(self, c: list[Any]) -> In:
        return In(c[0], c[3], True, c[0].span.to(c[3].span), span_of(c[1]).to(span_of(c[2])))

    def _text(self, op: str, c: list[Any]) -> TextMatch:
        right = c[-1]
        op_span = span_of(c[1]).to(span_of(c[-2]))
        return TextMatch(op, c[0], right, c[0].span.to(right.span), op_span)  # type: ignore[arg-type]

    def contains(self, c: list[Any]) -> TextMatch:
        return self._text("contains", c)

    def matches(self, c: list[Any]) -> TextMatch:
        return self._text("matches", c)

    def starts_with(self, c: list[Any]) -> TextMatch:
        return self._text("starts_with", c)

    def ends_with(self, c: list[Any]) -> TextMatch:
        return self._text("ends_with", c)

    def is_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0], False, c[0].span.to(span_of(c[-1])))

    def is_not_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0], True, c[0].span.to(span_of(c[-1])))

    def not_(self, c: list[Any]) -> Not:
        return Not(c[1], span_of(c[0]).to(c[1].span))

    def _bool(self, op: str, c: list[Any]) -> BoolOp:
        left, right = c[0], c[2]
        flat = isinstance(left, BoolOp) and left.op == op
        operands = (*left.operands, right) if flat else (left, right)
        return BoolOp(op, operands, left.span.to(right.span))  # type: ignore[arg-type]

    def and_(self, c: list[Any]) -> BoolOp:
        return self._bool("and", c)

    def or_(self, c: list[Any]) -> BoolOp:
        return self._bool("or", c)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("finopsmetrics_cli.conditions").joinpath("grammar.lark").read_text()
    return Lark(
        grammar, parser="lalr", lexer="contextual", transformer=_Builder(),
        cache=True, maybe_placeholders=True,
    )


def lark_parse(text: str) -> Expr:
    """Parse with lark; raise :class:`ConditionErrors` (one syntax error) on bad input."""
    try:
        return _parser().parse(text)  # type: ignore[return-value]
    except ConditionError as exc:
        raise ConditionErrors([exc], text) from None
    except UnexpectedInput as exc:
        raise ConditionErrors([_syntax_error(text, exc)], text) from None
    except LarkError as exc:  # a ConditionError wrapped by lark, or an internal lark failure
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, ConditionError):
            raise ConditionErrors([inner], text) from None
        err = ConditionError("C100", f"cannot parse the condition: {exc}")
        raise ConditionErrors([err], text) from None


def _syntax_error(text: str, exc: UnexpectedInput) -> ConditionError:
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        line, column = position(text, offset)
        char = text[offset]
        if char in "\"'":
            return ConditionError(
                "C104", "unterminated string", hint=f"close it with {char} on the same line",
                line=line, column=column, offset=offset, end_offset=offset + 1,
            )
        if char in _JOINERS:  # && || & |: the words are AND and OR
            written = char * 2 if text.startswith(char * 2, offset) else char
            return ConditionError(
                "C101", f"unexpected {'character ' if len(written) == 1 else ''}{written!r}",
                hint=f"use {_JOINERS[char]}: conditions combine with AND, OR and NOT",
                line=line, column=column, offset=offset, end_offset=offset + len(written),
            )
        return ConditionError(
            "C101", f"unexpected character {char!r}",
            hint=_OPERATOR_HINTS.get(char)
            or _expected_hint(getattr(exc, "allowed", None) or set()),
            line=line, column=column, offset=offset, end_offset=offset + 1,
        )
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _expected_hint(exc.expected)
    if token.type == "$END":
        offset = len(text.rstrip())
        line, column = position(text, offset)
        return ConditionError(
            "C103", "the condition ends too early", hint=expected,
            line=line, column=column, offset=offset, end_offset=offset + 1,
        )
    offset = token.start_pos or 0
    line, column = position(text, offset)
    return ConditionError(
        "C102", f"unexpected {token.value!r}", hint=_unit_hint(text, offset, token) or expected,
        line=line, column=column, offset=offset, end_offset=token.end_pos or offset + 1,
    )


_JOINERS = {"&": "AND", "|": "OR"}
#: characters of other languages' operators that have a spelling here
_OPERATOR_HINTS = {
    "=": "did you mean '=='? a single = is not an operator",
    "!": "did you mean '!='? to negate a condition, write NOT",
}

_UNITS = {"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s", "m": "m",
          "min": "m", "mins": "m", "minute": "m", "minutes": "m", "h": "h", "hr": "h",
          "hrs": "h", "hour": "h", "hours": "h", "d": "d", "day": "d", "days": "d",
          "w": "w", "week": "w", "weeks": "w"}
_NUMBER_BEFORE = re.compile(r"([0-9]+(?:\.[0-9]+)?)[ \t]+$")


def _unit_hint(text: str, offset: int, token: Token) -> str | None:
    """``48 hours`` is the likely spelling of ``48h``: say so."""
    unit = _UNITS.get(str(token.value).lower())
    number = _NUMBER_BEFORE.search(text, 0, offset)
    if unit is None or number is None:
        return None
    return f"write durations without a space, e.g. {number.group(1)}{unit}"


_PUNCTUATION = {"RPAR", "RBRACKET", "COMMA", "DOT", "LBRACKET", "$END"}


def _expected_hint(expected: set[str] | frozenset[str]) -> str | None:
    """Readable expected set; after an operand, LALR default reductions add
    closing punctuation that is rarely what the user is missing, so drop it."""
    if "COMP_OP" in expected:
        expected = {t for t in expected if t not in _PUNCTUATION}
    names = sorted({TERMINAL_NAMES.get(t, t.upper()) for t in expected})
    if not names:
        return None
    return "expected " + (names[0] if len(names) == 1 else "one of: " + ", ".join(names))
