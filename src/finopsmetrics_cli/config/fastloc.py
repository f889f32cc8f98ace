"""Positions of section entries without a YAML parser, for the happy path.

Every valid object carries the location it was declared at (drift and GitOps
show it), but composing a ruamel node tree just for that would cost seconds
on large files. Section entries sit at fixed places in block-style YAML: a
top-level key at column 1, its entries as ``- `` items or ``key:`` lines at
one indentation. :class:`EntryIndex` finds them with a line scan, and checks
its answer against the parsed data (same count, same keys, in order); on any
mismatch (flow style, odd layouts) it returns ``None`` and the caller asks
ruamel, so a position is never guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from typing import Any

_KEY = re.compile(
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"\-?:,\[\]{}][^#]*?|-[^\s#][^#]*?))\s*:(?:\s|$)"""
)

Pos = tuple[int, int]  # 1-based line, column

_FIRST_CONTENT = re.compile(r"^( *)[^ \n#\r]", re.MULTILINE)
_MAX_INDENT = 64


@cache
def _at_indent(n: int) -> re.Pattern[str]:
    """Lines whose content starts exactly at column n (comments excluded), each
    matched from the newline before it: a literal first character lets ``re``
    skip to candidate lines (~4x faster than ``^`` tried at every position)."""
    return re.compile(rf"\n {{{n}}}([^ \n#\r][^\n]*)")


@cache
def _shallower(n: int) -> re.Pattern[str]:
    """A content line indented less than n (matched from its newline, as ``_at_indent``)."""
    return re.compile(rf"\n {{0,{max(n - 1, 0)}}}[^ \n#\r]")


@cache
def _block_end(n: int) -> re.Pattern[str]:
    """The line that ends a block at indentation n: less indented, or at n but not a list item."""
    if n == 0:
        return re.compile(r"\n(?!- )[^ \n#\r]")
    return re.compile(rf"\n(?: {{0,{n - 1}}}[^ \n#\r]| {{{n}}}(?!- )[^ \n#\r])")


def _key_of(content: str) -> str | None:
    m = _KEY.match(content)
    if not m:
        return None
    if m.group(1) is not None:
        return m.group(1)
    if m.group(2) is not None:
        return m.group(2).replace("''", "'")
    return m.group(3)


class EntryIndex:
    """Line index of one file; answers ``(section[, sub], entry)`` positions.

    Scans with regular expressions over the text (C speed), not line by line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.nl_text = "\n" + text  # nl_text[i] is the newline before the line at text[i]
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.cache: dict[tuple[Any, ...], dict[Any, Pos] | None] = {}

    def _line_text(self, line: int) -> str:
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line] : end]

    def _line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def _offset(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else len(self.text)

    def _children(self, start: int, stop: int, data: Any) -> dict[Any, Pos] | None:
        """Entry positions of the block in lines [start, stop), checked against ``data``."""
        pos, end = self._offset(start), self._offset(stop)
        first = _FIRST_CONTENT.search(self.text, pos, end)
        if first is None:
            return None
        indent = len(first.group(1))
        if indent >= _MAX_INDENT:
            return None
        if indent and _shallower(indent).search(self.nl_text, pos, end + 1):
            return None
        rows = _at_indent(indent).finditer(self.nl_text, pos, end + 1)
        if isinstance(data, list):
            items: dict[Any, Pos] = {}
            for m in rows:
                content = m.group(1)
                if not content.startswith("- ") or not content[2:].strip():
                    return None
                col = indent + 2 + (len(content) - 2 - len(content[2:].lstrip(" "))) + 1
                items[len(items)] = (self._line_of(m.start()) + 1, col)
            return items if len(items) == len(data) else None
        if isinstance(data, dict):
            keys: dict[Any, Pos] = {}
            for m in rows:
                if m.group(1).startswith("- "):
                    continue  # an item of a child list written at its key's indentation
                key = _key_of(m.group(1))
                if key is None:
                    return None
                keys[key] = (self._line_of(m.start()) + 1, indent + 1)
            return keys if list(keys) == list(data) else None
        return None

    def _block(self, line: int, indent: int, stop: int) -> int:
        """End (exclusive) of the block after ``line``: lines indented more than ``indent``,
        or ``- `` items at ``indent`` (a list may sit at its key's indentation)."""
        pos = self._offset(line + 1)
        if indent >= _MAX_INDENT:
            return stop
        m = _block_end(indent).search(self.nl_text, pos)
        return self._line_of(m.start()) if m else stop

    def entries(self, path: tuple[str, ...], data: Any, value: Any) -> dict[Any, Pos] | None:
        """Entry positions of the section at ``path`` (one or two keys deep), or None."""
        if path in self.cache:
            return self.cache[path]
        result = self._entries(path, data, value)
        self.cache[path] = result
        return result

    def _entries(self, path: tuple[str, ...], data: Any, value: Any) -> dict[Any, Pos] | None:
        top = self.entries((), data, data) if path else None
        if not path:
            return self._children(0, len(self.starts), value)
        if top is None or path[0] not in top:
            return None
        line = top[path[0]][0] - 1
        if len(path) == 2:
            parent = data.get(path[0])
            sub = self.entries(path[:1], data, parent)
            if sub is None or path[1] not in sub:
                return None
            line, col = sub[path[1]][0] - 1, sub[path[1]][1] - 1
            if _has_inline_value(self._line_text(line)):
                return None
            return self._children(line + 1, self._block(line, col, len(self.starts)), value)
        if len(path) > 2:
            return None
        if _has_inline_value(self._line_text(line)):
            return None
        return self._children(line + 1, self._block(line, 0, len(self.starts)), value)


def _has_inline_value(line: str) -> bool:
    """True when a ``key: value`` line carries its value (flow style) on the same line."""
    content = line.lstrip(" ")
    m = _KEY.match(content)
    if not m:
        return True
    rest = content[m.end() :].strip()
    return bool(rest) and not rest.startswith("#")
