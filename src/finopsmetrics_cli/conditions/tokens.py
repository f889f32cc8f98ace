"""Condition text -> tokens: one regex, and the kinds the parser and the shapes read.

Two readings of the same tokens: :func:`tokenize` with positions (what the
parser and the shapes build trees from) and :func:`scan`, kinds and values
only (what recognising a known form needs). A test holds them to the same kinds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from finopsmetrics_cli.conditions.ast import Path, Span
from finopsmetrics_cli.conditions.lexical import decode_string

# Same terminals and priorities as grammar.lark (DURATION/PERCENT > NUMBER > the rest).
# ``findall`` returns (whitespace, token) pairs without building match objects, and
# the token kind follows from its first and last characters. A whole attribute path
# (``resource.tags["x"]``) is one token unless it starts with a keyword. Operators,
# strings, names and numbers start with different characters, so their order here
# only decides what is tried first: the most frequent tokens.
_TOKEN_RE = re.compile(
    r"""([ \t\r\n]*)(
      ==|!=|<=|>=|[<>+\-*/.,\[\]()]
    | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'
    | (?!(?i:or|and|not|in|contains|matches|starts|ends|with|is|null|true|false)
         (?![A-Za-z0-9_]))
      [A-Za-z_][A-Za-z0-9_]*
      (?:[ \t\r\n]*(?:\.[ \t\r\n]*[A-Za-z_][A-Za-z0-9_]*
         |\[[ \t\r\n]*(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')[ \t\r\n]*\]))+
    | [A-Za-z_][A-Za-z0-9_]*
    | [0-9]+(?:\.[0-9]+)?[smhdw](?![A-Za-z0-9_])
    | [0-9]+(?:\.[0-9]+)?%
    | [0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_])
    )""",
    re.VERBOSE,
)
KEYWORDS = frozenset(
    "or and not in contains matches starts ends with is null true false".split()
)
class Tok(NamedTuple):
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


class Reject(Exception):
    """The fast parser gave up; lark will explain (or accept, in which case we agree)."""


_new = tuple.__new__
_DIGITS = frozenset("0123456789")
_QUOTES = frozenset("\"'")


def tokenize(text: str) -> list[Tok]:
    tokens: list[Tok] = []
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
                kind = lower if not after_dot and lower in KEYWORDS else "NAME"
        else:
            kind = value
        end = pos + len(value)
        append(_new(Tok, (kind, value, _new(Span, (pos, end, line, pos - line_start + 1)))))
        if kind == "PATH" and "\n" in value:  # a path may span lines: `resource.\n  tags`
            line += value.count("\n")
            line_start = pos + value.rfind("\n") + 1
        after_dot = kind == "."
        pos = end
    if pos != len(text):  # findall skips what it cannot read: reject unless only blanks
        rest = text[pos:]
        if rest.strip(" \t\r\n"):
            raise Reject
        if "\n" in rest:
            line += rest.count("\n")
            line_start = pos + rest.rfind("\n") + 1
        pos = len(text)
    append(_new(Tok, ("END", "", _new(Span, (pos, pos, line, pos - line_start + 1)))))
    return tokens


_FIXED = {op: op for op in ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", ".", ",",
                             "[", "]", "(", ")")}
_FIXED.update({word: word for word in KEYWORDS})
_FIXED.update({word.upper(): word for word in KEYWORDS})


def scan(text: str) -> tuple[tuple[str, ...], list[str]] | None:
    """The token kinds (END included) and values of ``tokenize``, without positions.

    None where ``tokenize`` would reject the text. A test holds the two to
    the same kinds.
    """
    kinds: list[str] = []
    values: list[str] = []
    add_kind, add_value = kinds.append, values.append
    read = 0
    kind = ""
    for ws, value in _TOKEN_RE.findall(text):
        read += len(ws) + len(value)
        after_dot = kind == "."
        kind = _FIXED.get(value)  # type: ignore[assignment]
        if kind is None:
            first = value[0]
            if first in _DIGITS:
                last = value[-1]
                kind = "PERCENT" if last == "%" else "DURATION" if last in "smhdw" else "NUMBER"
            elif first in _QUOTES:
                kind = "STRING"
            elif "." in value or "[" in value:
                kind = "PATH"
            else:
                lower = value.lower()
                kind = lower if not after_dot and lower in KEYWORDS else "NAME"
        elif after_dot and kind in KEYWORDS:
            kind = "NAME"
        add_kind(kind)
        add_value(value)
    if read != len(text) and text[read:].strip(" \t\r\n"):
        return None
    add_kind("END")
    add_value("")
    return tuple(kinds), values



_PART_RE = re.compile(r"""[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
_BLANKS = frozenset(" \t\r\n")


def path_token(tok: Tok) -> Path:
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
            text = decode_string(Tok("STRING", text, part_span))
        names.append(text)
        part_spans.append(part_span)
    return Path(tuple(names), span, tuple(part_spans))
