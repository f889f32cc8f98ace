"""Lexical pieces shared by the fast parser and the lark grammar: limits, literals, positions.

Kept free of lark so that parsing valid conditions never imports it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Protocol, TypeVar

from finopsmetrics_cli.conditions.ast import Span
from finopsmetrics_cli.conditions.errors import ConditionError

_T = TypeVar("_T")


class TokenLike(Protocol):
    """What both lexers produce: lark's ``Token`` and the fast lexer's tokens."""

    @property
    def value(self) -> str: ...
    @property
    def start_pos(self) -> int | None: ...
    @property
    def end_pos(self) -> int | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...


MAX_LENGTH = 10_000
"""Longest condition text accepted (characters)."""
MAX_DEPTH = 64
"""Deepest nesting of sub-expressions accepted."""
MAX_LIST_ITEMS = 1_000
"""Most items in one list literal."""

DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
TERMINAL_NAMES = {
    "NAME": "an attribute",
    "STRING": "a string",
    "NUMBER": "a number",
    "PERCENT": "a percent",
    "DURATION": "a duration",
    "COMP_OP": "a comparison (== != < <= > >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "MINUS": "-",
    "DOT": "'.'",
    "COMMA": "','",
    "LBRACKET": "'['",
    "RBRACKET": "']'",
    "LPAR": "'('",
    "RPAR": "')'",
    "$END": "end of condition",
}


def span_of(token: TokenLike) -> Span:
    return Span(token.start_pos or 0, token.end_pos or 0, token.line or 1, token.column or 1)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a 0-based character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def decode_string(token: TokenLike) -> str:
    raw = token.value[1:-1]
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = raw[i + 1]
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
            continue
        if esc == "u" and len(raw) >= i + 6 and _is_hex(raw[i + 2 : i + 6]):
            code = int(raw[i + 2 : i + 6], 16)
            if 0xD800 <= code <= 0xDFFF:
                raise _bad_escape(token, i, "a surrogate code point is not a character")
            out.append(chr(code))
            i += 6
            continue
        raise _bad_escape(token, i, f"unknown escape '\\{esc}'")
    return "".join(out)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _bad_escape(token: TokenLike, index: int, why: str) -> ConditionError:
    start = (token.start_pos or 0) + 1 + index
    return ConditionError(
        "C104",
        f"invalid string escape: {why}",
        hint="escapes are \\n \\t \\r \\\\ \\\" \\' \\0 and \\uXXXX",
        line=token.line or 1,
        column=(token.column or 1) + 1 + index,
        offset=start,
        end_offset=start + 2,
    )




def without_gc(fn: Callable[..., _T], *args: object) -> _T:
    """Run ``fn`` with the cyclic garbage collector paused.

    Parsing and checking allocate many small tuples and create no reference
    cycles; when a caller keeps thousands of results alive (the loader does),
    collections triggered by those allocations re-scan everything kept so far
    and cost about twice the parsing itself. Pausing the collector for the
    duration of one call is safe (nothing cyclic is made) and cheap.
    """
    if not gc.isenabled():
        return fn(*args)
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()
