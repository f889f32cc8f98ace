"""Text -> AST, fast: the regex tokenizer of :mod:`.tokens` and a recursive-descent parser.

It accepts exactly the language of ``grammar.lark`` and builds the same AST
as the lark reference parser (:mod:`.syntax`); a differential test holds them
together. When this parser rejects text, lark re-parses it to explain why, so
error messages come from the grammar. Valid text never imports lark. A form
parsed before is built by its shape instead (:mod:`.shapes`), to the same tree.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

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
from finopsmetrics_cli.conditions.shapes import Shape, ShapeCache
from finopsmetrics_cli.conditions.tokens import (
    KEYWORDS,
    Reject,
    Tok,
    path_token,
    scan,
    tokenize,
)

# Keywords that are values; any other keyword where a value is expected is read as
# a name, as lark's contextual lexer does (a NOT there was already taken as NOT).
_VALUE_KEYWORDS = frozenset({"null", "true", "false"})
_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITH_LEVEL = {"+": 0, "-": 0, "*": 1, "/": 1}
_PLAIN = frozenset({"PATH", "STRING", "NUMBER", "PERCENT", "DURATION", "true", "false", "null"})
_TEXT_OPS = {"contains": "contains", "matches": "matches", "starts": "starts_with",
             "ends": "ends_with"}


class _Parser:
    """Recursive descent mirroring grammar.lark; token types are kinds (``NAME``,
    ``PATH``, ``STRING``...), lower-case keywords (``and``) or the operator itself."""

    __slots__ = ("tokens", "i", "nesting")

    def __init__(self, tokens: list[Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    def _expect(self, kind: str) -> Tok:
        tok = self.tokens[self.i]
        if tok[0] != kind:
            raise Reject
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
            raise Reject
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
            return path_token(tok)
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
        if kind == "NAME" or kind in KEYWORDS:
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
        raise Reject

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
                    rest = path_token(nxt)
                    parts.extend(rest.parts)
                    spans.extend(rest.part_spans)
                    self.i += 2
                    last = nxt
                    continue
                if nxt[0] != "NAME":
                    raise Reject
                parts.append(nxt[1])
                spans.append(nxt[2])
                self.i += 2
                last = nxt
            else:
                close = tokens[self.i + 2] if nxt[0] == "STRING" else None
                if close is None or close[0] != "]":
                    raise Reject  # `[` after a path may only open a string subscript
                parts.append(decode_string(nxt))
                spans.append(nxt[2])
                self.i += 3
                last = close
        return Path(tuple(parts), first[2].to(last[2]), tuple(spans))


SHAPES = ShapeCache()
"""The shapes of the conditions parsed so far in this process (see :mod:`.shapes`)."""
_KIND = itemgetter(0)

Parsed = tuple[Expr, "Shape | None", list[Tok]]


def _parse_tokens(text: str) -> tuple[Expr, Shape | None, list[Tok], tuple[str, ...]]:
    tokens = tokenize(text)
    kinds = tuple(map(_KIND, tokens))
    shape = SHAPES.get(kinds)
    if shape is not None:
        try:
            return shape.build(tokens), shape, tokens, kinds
        except Exception:  # noqa: BLE001 - the parser below reports it exactly
            pass
    return _Parser(tokens).parse(), None, tokens, kinds


def parse(text: str) -> Expr:
    """Parse one condition; raise :class:`ConditionErrors` (one syntax error) on bad input."""
    return parse_shaped(text)[0]


def recognise(text: str) -> tuple[Shape, list[str]] | None:
    """The shape of a text of a known form, and its token values; None otherwise.

    Whether a text parses depends on its token kinds alone, except for string
    escapes, so a text without backslashes whose kinds have a shape parses,
    to the tree that shape builds. Only kinds and values are read here, no
    positions: this is what validating a known form costs.
    """
    if type(text) is not str or "\\" in text or len(text) > MAX_LENGTH:
        return None
    scanned = scan(text)
    if scanned is None:
        return None
    shape = SHAPES.get(scanned[0])
    return None if shape is None else (shape, scanned[1])


def parse_shaped(text: str) -> Parsed:
    """:func:`parse`, plus the condition's shape (None until its form was seen) and tokens."""
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
        expr, shape, tokens, kinds = without_gc(_parse_tokens, text)
    except ConditionError as exc:
        raise ConditionErrors([exc], text) from None
    except (Reject, IndexError):
        from finopsmetrics_cli.conditions.syntax import lark_parse

        lark_parse(text)  # raises the grammar's explanation
        raise ConditionErrors([_disagreement(text)], text) from None
    if shape is not None:
        return expr, shape, tokens
    if len(tokens) > MAX_DEPTH:  # every level of the tree costs at least one token
        _check_depth(expr, text)
    SHAPES.learn(kinds, tokens, expr)
    return expr, None, tokens


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


__all__ = ["parse", "parse_shaped", "position", "recognise"]
