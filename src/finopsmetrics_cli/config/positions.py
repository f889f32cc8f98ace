"""Map a character of a YAML scalar's *value* back to its line and column in the file.

Conditions are strings inside YAML; an error at column 12 of line 2 of a
condition must point at the right place in the file, whatever the scalar
style: plain (possibly folded over lines), ``'single'`` or ``"double"`` quoted
(with escapes), literal ``|`` or folded ``>`` blocks. Rather than re-implement
each style's folding rules, :func:`scalar_positions` aligns the value with the
source text between the node's marks: equal characters map one to one,
indentation and line breaks the value folded away are skipped, escapes map to
their backslash. It degrades to the nearest earlier position, never fails.
"""

from __future__ import annotations

from typing import Any


def scalar_positions(text: str, node: Any, value: str) -> list[tuple[int, int]]:
    """1-based ``(line, column)`` in ``text`` of each character of ``value``, and one past."""
    start = node.start_mark.index
    end = min(node.end_mark.index, len(text))
    style = getattr(node, "style", None)
    j = start
    if style in ("'", '"'):
        j += 1
    elif style in ("|", ">"):
        newline = text.find("\n", j)
        j = end if newline == -1 else newline + 1  # content starts after the header line
    line_starts = _LineIndex(text)
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(value) and j < end:
        ch, src = value[i], text[j]
        if ch == src:
            out.append(line_starts.position(j))
            i += 1
            j += 1
        elif style == '"' and src == "\\":
            out.append(line_starts.position(j))
            i += 1
            j += _escape_length(text, j)
        elif style == "'" and src == "'" and text.startswith("''", j) and ch == "'":
            out.append(line_starts.position(j))
            i += 1
            j += 2
        elif src == "\n" and ch in " \n":
            out.append(line_starts.position(j))
            i += 1
            j += 1
            while j < end and text[j] in " \t":
                j += 1
        else:
            j += 1
    last = (
        line_starts.position(min(j, max(end - 1, start)))
        if j <= end
        else line_starts.position(start)
    )
    while len(out) < len(value):
        out.append(last)
    out.append(last if not out else (out[-1][0], out[-1][1] + 1))
    return out


def _escape_length(text: str, j: int) -> int:
    nxt = text[j + 1] if j + 1 < len(text) else ""
    if nxt == "x":
        return 4
    if nxt == "u":
        return 6
    if nxt == "U":
        return 10
    if nxt == "\n":  # escaped line break: the break and next indentation vanish
        k = j + 2
        while k < len(text) and text[k] in " \t":
            k += 1
        return k - j
    return 2


class _LineIndex:
    """Offset -> (line, column) by bisection over line starts, built once per text."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


def offset_in_value(value: str, line: int, column: int) -> int:
    """Offset of a 1-based (line, column) inside a multi-line value."""
    lines = value.split("\n")
    line = max(1, min(line, len(lines)))
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(column - 1, 0)
