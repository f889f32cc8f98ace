"""The regular expressions ``MATCHES`` accepts: a subset both back ends read alike.

Python's ``re`` and DuckDB's RE2 disagree at the edges (``$`` before a final
newline, Unicode ``\\d``/``\\w``, ``\\s`` and ``\\v``, lazy quantifiers,
backreferences...). Patterns are parsed here into that common subset and
re-emitted in a normalised spelling, so ``\\d`` becomes ``[0-9]`` everywhere and
``$`` becomes ``\\Z`` (Python's spelling) or ``\\z`` (RE2's). Anything else is
rejected before it runs. The Python back end never runs ``re`` on user patterns:
:mod:`.matcher` searches in linear time, as RE2 does, so no pattern can make an
evaluation hang. Matching is a search (the pattern may match anywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from finopsmetrics_cli.conditions.matcher import Matcher, PatternTooComplex

MAX_PATTERN_LENGTH = 256
MAX_REPEAT = 100
_REPEAT = re.compile(r"\{(\d{1,6})(,(\d{0,6}))?\}")

_CLASS_ESCAPES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_NEGATED = {"D": "d", "W": "w", "S": "s"}
_CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}
_META = set(".^$*+?()[]{}|\\/-")


class RegexRejected(ValueError):
    """A pattern outside the subset; ``index`` is where in the pattern (0-based)."""

    def __init__(self, message: str, index: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.hint = hint


@dataclass(frozen=True, slots=True)
class SafeRegex:
    """A checked pattern: its normalised (Python) and RE2 spellings, and a matcher."""

    source: str
    python: str
    re2: str
    matcher: Matcher

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text`` (linear time)."""
        return self.matcher.search(text)


def _lit(ch: str) -> str:
    if ch in _META:
        return "\\" + ch
    if ch in "\n\t\r\f":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f"}[ch]
    if ord(ch) < 32 or ord(ch) == 127:
        return f"\\x{ord(ch):02x}"
    return ch


class _RegexParser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0

    def fail(self, message: str, hint: str | None = None, at: int | None = None) -> RegexRejected:
        return RegexRejected(message, self.i if at is None else at, hint)

    def parse(self) -> tuple[str, str]:
        py, r2 = self.alternation()
        if self.i < len(self.s):
            raise self.fail("unbalanced ')'")
        return py, r2

    def alternation(self) -> tuple[str, str]:
        """The pattern in (normalised Python, RE2) spellings."""
        py, r2 = self.concat()
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            p2, q2 = self.concat()
            py, r2 = f"{py}|{p2}", f"{r2}|{q2}"
        return py, r2

    def concat(self) -> tuple[str, str]:
        py: list[str] = []
        r2: list[str] = []
        while self.i < len(self.s) and self.s[self.i] not in "|)":
            start = self.i
            a_py, a_r2, quantifiable = self.atom()
            q = self.quantifier()
            if q and not quantifiable:
                raise self.fail("nothing to repeat", at=start)
            py.append(a_py + q)
            r2.append(a_r2 + q)
        return "".join(py), "".join(r2)

    def quantifier(self) -> str:
        if self.i >= len(self.s):
            return ""
        ch = self.s[self.i]
        if ch in "*+?":
            self.i += 1
            q = ch
        elif ch == "{":
            m = _REPEAT.match(self.s, self.i)
            if not m:
                raise self.fail("'{' must start a repetition such as {2} or {1,3}",
                                hint="write \\{ for a literal brace")
            low = int(m.group(1))
            high = m.group(3)
            if (high and int(high) > MAX_REPEAT) or low > MAX_REPEAT:
                raise self.fail(f"repetition counts are limited to {MAX_REPEAT}")
            if high and int(high) < low:
                raise self.fail("repetition {m,n} needs m <= n")
            self.i = m.end()
            q = m.group()
        else:
            return ""
        if self.i < len(self.s) and self.s[self.i] in "?+":
            raise self.fail("lazy and possessive quantifiers are not supported",
                            hint="they do not change whether a pattern matches; remove the "
                            f"'{self.s[self.i]}'")
        return q

    def atom(self) -> tuple[str, str, bool]:
        """(python, re2, quantifiable)."""
        ch = self.s[self.i]
        if ch == "(":
            return self.group()
        if ch == "[":
            py = self.char_class()
            return py, py, True
        if ch == ".":
            self.i += 1
            return ".", ".", True
        if ch == "^":
            self.i += 1
            return "^", "^", False
        if ch == "$":
            self.i += 1
            return "\\Z", "\\z", False
        if ch == "\\":
            py = self.escape(in_class=False)
            return py, py, True
        if ch in "*+?{":
            raise self.fail("nothing to repeat")
        if ch in "}]":
            raise self.fail(f"unbalanced '{ch}'", hint=f"write \\{ch} for a literal '{ch}'")
        self.i += 1
        return _lit(ch), _lit(ch), True

    def group(self) -> tuple[str, str, bool]:
        start = self.i
        self.i += 1
        if self.s.startswith("?", self.i):
            if not self.s.startswith("?:", self.i):
                raise self.fail("only plain groups ( ) and (?: ) are supported",
                                hint="look-around, named groups and flags differ between engines")
            self.i += 2
        py, r2 = self.alternation()
        if self.i >= len(self.s) or self.s[self.i] != ")":
            raise self.fail("missing ')'", at=start)
        self.i += 1
        return f"(?:{py})", f"(?:{r2})", True

    def escape(self, in_class: bool) -> str:
        if self.i + 1 >= len(self.s):
            raise self.fail("the pattern ends with a lone backslash")
        ch = self.s[self.i + 1]
        self.i += 2
        if ch in _CLASS_ESCAPES:
            body = _CLASS_ESCAPES[ch]
            return body if in_class else f"[{body}]"
        if ch in _NEGATED and not in_class:
            return f"[^{_CLASS_ESCAPES[_NEGATED[ch]]}]"
        if ch in _CHAR_ESCAPES:
            return _lit(_CHAR_ESCAPES[ch])
        if ch in _META:
            return "\\" + ch
        raise self.fail(f"unsupported escape '\\{ch}'", at=self.i - 2,
                        hint="supported: \\d \\w \\s \\D \\W \\S \\n \\t \\r \\f and "
                        "escaped punctuation such as \\. \\( \\-")

    def char_class(self) -> str:
        start = self.i
        self.i += 1
        out = "["
        if self.s.startswith("^", self.i):
            out += "^"
            self.i += 1
        items = 0
        while True:
            if self.i >= len(self.s):
                raise self.fail("missing ']'", at=start)
            ch = self.s[self.i]
            if ch == "]":
                break
            if ch == "[" or self.s.startswith(("&&", "--", "~~", "||"), self.i):
                raise self.fail(f"'{ch}' inside [...] must be escaped")
            lo = self.escape(in_class=True) if ch == "\\" else self._class_char()
            if self.s.startswith("-", self.i) and not self.s.startswith("-]", self.i):
                self.i += 1
                if self.i >= len(self.s):
                    raise self.fail("missing ']'", at=start)
                hi = self.escape(in_class=True) if self.s[self.i] == "\\" else self._class_char()
                if len(_unescape(lo)) != 1 or len(_unescape(hi)) != 1:
                    raise self.fail("a range needs a single character at each end")
                if _unescape(lo) > _unescape(hi):
                    raise self.fail("a range must go from low to high, e.g. a-z")
                out += f"{lo}-{hi}"
            else:
                out += lo
            items += 1
        if items == 0:
            raise self.fail("an empty [] matches nothing", at=start)
        self.i += 1
        return out + "]"

    def _class_char(self) -> str:
        ch = self.s[self.i]
        self.i += 1
        return _lit(ch)


def _unescape(text: str) -> str:
    if text.startswith("\\x"):
        return chr(int(text[2:], 16))
    if text.startswith("\\") and len(text) == 2:
        return _CHAR_ESCAPES.get(text[1], text[1])
    return text


@lru_cache(maxsize=4096)
def safe_regex(source: str) -> SafeRegex:
    """Check ``source`` and spell it for both engines; raise :class:`RegexRejected`."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise RegexRejected(
            f"the pattern is {len(source)} characters long; the limit is {MAX_PATTERN_LENGTH}", 0
        )
    py, r2 = _RegexParser(source).parse()
    try:
        matcher = Matcher(py)
    except PatternTooComplex:
        raise RegexRejected(
            "the pattern expands to too many states (nested repetition counts multiply)", 0,
            hint="use smaller {m,n} counts",
        ) from None
    return SafeRegex(source, py, r2, matcher)
