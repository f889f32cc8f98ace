"""Text -> AST, fast: one regex tokenizer and a recursive-descent parser.

It accepts exactly the language of ``grammar.lark`` and builds the same AST
as the lark reference parser (:mod:`.syntax`); a differential test holds them
together. When this parser rejects text, lark re-parses it to explain why, so
error messages come from the grammar. Valid text never imports lark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    without_gc,
)

# Same terminals and priorities as grammar.lark (DURATION/PERCENT > NUMBER > the rest).
# ``findall`` returns (whitespace, token) pairs without building match objects, and
# the token kind follows from its first and last characters. A whole attribute path
# (``resource.tags["x"]``) is one token unless it starts with a keyword.
_TOKEN_RE = re.compile(
    r"""([ \t\r\n]*)(
      [0-9]+(?:\.[0-9]+)?[smhdw](?![A-Za-z0-9_])
    | [0-9]+(?:\.[0-9]+)?%
    | [0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_])
    | (?!(?i:or|and|not|in|contains|matches|starts|ends|with|is|null|true|false)
         (?![A-Za-z0-9_]))
      [A-Za-z_][A-Za-z0-9_]*
      (?:[ \t\r\n]*(?:\.[ \t\r\n]*[A-Za-z_][A-Za-z0-9_]*
         |\[[ \t\r\n]*(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')[ \t\r\n]*\]))+
    | [A-Za-z_][A-Za-z0-9_]*
    | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'
    | ==|!=|<=|>=|[<>+\-*/.,\[\]()]
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    "or and not in contains matches starts ends with is null true false".split()
)
# Keywords that are values; any other keyword where a value is expected is read as
# a name, as lark's contextual lexer does (a NOT there was already taken as NOT).
_VALUE_KEYWORDS = frozenset({"null", "true", "false"})
_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITH_LEVEL = {"+": 0, "-": 0, "*": 1, "/": 1}
_PLAIN = frozenset({"PATH", "STRING", "NUMBER", "PERCENT", "DURATION", "true", "false", "null"})
_TEXT_OPS = {"contains": "contains", "matches": "matches", "starts": "starts_with",
             "ends": "ends_with"}


class _Tok(NamedTuple):
    type: str  # NAME PATH STRING NUMBER PERCENT DURATION END, a keyword, or the operator
    value: str
    span: Span

    # what lexical.decode_string and the error helpers read
    @property
    def start_pos(self) -> int:
        return self.span.offset

    @property
    def end_pos(self) -> int:
        return self.span.end_offset

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column


class _Reject(Exception):
    """The fast parser gave up; lark will explain (or accept, in which case we agree)."""


_new = tuple.__new__
_DIGITS = frozenset("0123456789")
_QUOTES = frozenset("\"'")


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    append = tokens.append
    pos, line, line_start = 0, 1, 0
    after_dot = False
    for ws, value in _TOKEN_RE.findall(text):
        if ws:
            if "\n" in ws:
                line += ws.count("\n")
                line_start = pos + ws.rfind("\n") + 1
            pos += len(ws)
        first = value[0]
        if first in _DIGITS:
            last = value[-1]
            kind = "PERCENT" if last == "%" else "DURATION" if last in "smhdw" else "NUMBER"
        elif first in _QUOTES:
            kind = "STRING"
        elif first.isalpha() or first == "_":
            if "." in value or "[" in value:
                kind = "PATH"
            else:
                lower = value.lower()
                kind = lower if not after_dot and lower in _KEYWORDS else "NAME"
        else:
            kind = value
        end = pos + len(value)
        append(_new(_Tok, (kind, value, _new(Span, (pos, end, line, pos - line_start + 1)))))
        if kind == "PATH" and "\n" in value:  # a path may span lines: `resource.\n  tags`
            line += value.count("\n")
            line_start = pos + value.rfind("\n") + 1
        after_dot = kind == "."
        pos = end
    if pos != len(text):  # findall skips what it cannot read: reject unless only blanks
        rest = text[pos:]
        if rest.strip(" \t\r\n"):
            raise _Reject
        if "\n" in rest:
            line += rest.count("\n")
            line_start = pos + rest.rfind("\n") + 1
        pos = len(text)
    append(_new(_Tok, ("END", "", _new(Span, (pos, pos, line, pos - line_start + 1)))))
    return tokens


class _Parser:
    """Recursive descent mirroring grammar.lark; token types are kinds (``NAME``,
    ``PATH``, ``STRING``...), lower-case keywords (``and``) or the operator itself."""

    __slots__ = ("tokens", "i", "nesting")

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    def _expect(self, kind: str) -> _Tok:
        tok = self.tokens[self.i]
        if tok[0] != kind:
            raise _Reject
        self.i += 1
        return tok

    def _enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            span = self.tokens[self.i][2]
            raise ConditionError.at(
                "C003", f"the condition nests deeper than {MAX_DEPTH} levels", span,
                hint="flatten it: AND/OR chains do not add depth, parentheses and NOT do",
            )

    def parse(self) -> Expr:
        expr = self.or_expr()
        if self.tokens[self.i][0] != "END":
            raise _Reject
        return expr

    def or_expr(self) -> Expr:
        first = self.and_expr()
        if self.tokens[self.i][0] != "or":
            return first
        return self._chain("or", first, self.and_expr)

    def and_expr(self) -> Expr:
        first = self.not_expr()
        if self.tokens[self.i][0] != "and":
            return first
        return self._chain("and", first, self.not_expr)

    def _chain(self, op: str, first: Expr, operand: Callable[[], Expr]) -> Expr:
        items = list(first.operands) if type(first) is BoolOp and first.op == op else [first]
        tokens = self.tokens
        while tokens[self.i][0] == op:
            self.i += 1
            items.append(operand())
        return BoolOp(op, tuple(items), first.span.to(items[-1].span))  # type: ignore[arg-type]

    def not_expr(self) -> Expr:
        tok = self.tokens[self.i]
        if tok[0] == "not":
            self.i += 1
            self._enter()
            operand = self.not_expr()
            self.nesting -= 1
            return Not(operand, tok[2].to(operand.span))
        return self.comparison()

    def operand(self) -> Expr:
        """``arith(0)``, skipping two calls for the usual lone path or literal."""
        tokens, i = self.tokens, self.i
        if tokens[i][0] in _PLAIN and tokens[i + 1][0] not in _ARITH_LEVEL:
            return self.primary()
        return self.arith(0)

    def comparison(self) -> Expr:
        left = self.operand()
        tok = self.tokens[self.i]
        kind = tok[0]
        if kind in _COMPARE:
            self.i += 1
            right = self.operand()
            return Compare(kind, left, right, left.span.to(right.span), tok[2])  # type: ignore[arg-type]
        if kind == "in":
            self.i += 1
            right = self.operand()
            return In(left, right, False, left.span.to(right.span), tok[2])
        if kind == "not":
            self.i += 1
            in_tok = self._expect("in")
            right = self.operand()
            return In(left, right, True, left.span.to(right.span), tok[2].to(in_tok[2]))
        if kind == "is":
            self.i += 1
            negated = self.tokens[self.i][0] == "not"
            if negated:
                self.i += 1
            end = self._expect("null")
            return IsNull(left, negated, left.span.to(end[2]))
        if kind in _TEXT_OPS:
            self.i += 1
            op_end = self._expect("with") if kind in ("starts", "ends") else tok
            right = self.operand()
            return TextMatch(_TEXT_OPS[kind], left, right, left.span.to(right.span),  # type: ignore[arg-type]
                             tok[2].to(op_end[2]))
        return left

    def arith(self, min_level: int) -> Expr:
        """Precedence climbing over ``+ -`` (level 0) and ``* /`` (level 1), left-associative."""
        left = self.unary()
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            level = _ARITH_LEVEL.get(tok[0], -1)
            if level < min_level:
                return left
            self.i += 1
            right = self.arith(level + 1) if level == 0 else self.unary()
            left = Arith(tok[0], left, right, left.span.to(right.span), tok[2])  # type: ignore[arg-type]

    def unary(self) -> Expr:
        tok = self.tokens[self.i]
        if tok[0] == "-":
            self.i += 1
            self._enter()
            operand = self.unary()
            self.nesting -= 1
            return Neg(operand, tok[2].to(operand.span))
        return self.primary()

    def primary(self) -> Expr:  # noqa: C901 - one branch per literal kind
        tok = self.tokens[self.i]
        kind = tok[0]
        if kind == "PATH":
            self.i += 1
            return _path_token(tok)
        if kind == "STRING":
            self.i += 1
            return Const(decode_string(tok), "", tok[2])
        if kind == "NUMBER":
            self.i += 1
            return Const(float(tok[1]), "", tok[2])
        if kind == "PERCENT":
            self.i += 1
            return Const(float(tok[1][:-1]) / 100, "percent", tok[2])
        if kind == "DURATION":
            self.i += 1
            seconds = float(tok[1][:-1]) * DURATION_SECONDS[tok[1][-1]]
            return Const(seconds, "duration", tok[2])
        if kind in _VALUE_KEYWORDS:
            self.i += 1
            return Const(None if kind == "null" else kind == "true", "", tok[2])
        if kind == "NAME" or kind in _KEYWORDS:
            return self.path()
        if kind == "(":
            self.i += 1
            self._enter()
            inner = self.or_expr()
            close = self._expect(")")
            self.nesting -= 1
            return inner._replace(span=tok[2].to(close[2]))
        if kind == "[":
            return self.list_literal()
        raise _Reject

    def list_literal(self) -> ListExpr:
        open_tok = self.tokens[self.i]
        self.i += 1
        self._enter()
        items: list[Expr] = []
        while self.tokens[self.i][0] != "]":
            items.append(self.or_expr())
            if self.tokens[self.i][0] != ",":
                break
            self.i += 1
        close = self._expect("]")
        self.nesting -= 1
        span = open_tok[2].to(close[2])
        if len(items) > MAX_LIST_ITEMS:
            raise ConditionError.at(
                "C003",
                f"a list may hold at most {MAX_LIST_ITEMS} items, this one has {len(items)}",
                span,
            )
        return ListExpr(tuple(items), span)

    def path(self) -> Path:
        """A path split over tokens: it starts with a keyword used as a name (``in.x``)."""
        first = self.tokens[self.i]
        self.i += 1
        parts = [first[1]]
        spans = [first[2]]
        last = first
        tokens = self.tokens
        while tokens[self.i][0] in (".", "["):
            tok, nxt = tokens[self.i], tokens[self.i + 1]
            if tok[0] == ".":
                if nxt[0] == "PATH":  # `in.x.y`: the rest was read as one path token
                    rest = _path_token(nxt)
                    parts.extend(rest.parts)
                    spans.extend(rest.part_spans)
                    self.i += 2
                    last = nxt
                    continue
                if nxt[0] != "NAME":
                    raise _Reject
                parts.append(nxt[1])
                spans.append(nxt[2])
                self.i += 2
                last = nxt
            else:
                close = tokens[self.i + 2] if nxt[0] == "STRING" else None
                if close is None or close[0] != "]":
                    raise _Reject  # `[` after a path may only open a string subscript
                parts.append(decode_string(nxt))
                spans.append(nxt[2])
                self.i += 3
                last = close
        return Path(tuple(parts), first[2].to(last[2]), tuple(spans))


_PART_RE = re.compile(r"""[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
_BLANKS = frozenset(" \t\r\n")


def _path_token(tok: _Tok) -> Path:
    """A path read as one token: split it into parts with their spans."""
    value, span = tok[1], tok[2]
    offset, line, column = span.offset, span.line, span.column
    if "[" not in value and _BLANKS.isdisjoint(value):
        parts = value.split(".")
        if len(parts) == 2:  # the common `context.attribute`
            cut = offset + len(parts[0])
            return Path((parts[0], parts[1]), span, (
                _new(Span, (offset, cut, line, column)),
                _new(Span, (cut + 1, span.end_offset, line, column + cut + 1 - offset)),
            ))
        spans = []
        for part in parts:
            end = offset + len(part)
            spans.append(_new(Span, (offset, end, line, column)))
            column += end + 1 - offset
            offset = end + 1
        return Path(tuple(parts), span, tuple(spans))
    names: list[str] = []
    part_spans: list[Span] = []
    for m in _PART_RE.finditer(value):
        start = m.start()
        newline = value.rfind("\n", 0, start)
        part_line = line + value.count("\n", 0, start)
        part_column = column + start if newline < 0 else start - newline
        part_span = Span(offset + start, offset + m.end(), part_line, part_column)
        text = m.group()
        if text[0] in _QUOTES:
            text = decode_string(_Tok("STRING", text, part_span))
        names.append(text)
        part_spans.append(part_span)
    return Path(tuple(names), span, tuple(part_spans))


def _parse_tokens(text: str) -> tuple[list[_Tok], Expr]:
    tokens = _tokenize(text)
    return tokens, _Parser(tokens).parse()


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
        tokens, expr = without_gc(_parse_tokens, text)
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
