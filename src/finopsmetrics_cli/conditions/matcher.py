"""A linear-time matcher for the ``MATCHES`` subset (no backtracking, ever).

Python's ``re`` backtracks: ``.*.*.*x`` against 300 characters takes seconds.
DuckDB's RE2 does not. So the Python back end runs patterns as RE2 does: a
Thompson NFA simulated as a lazily built DFA, which reads each character of the
subject once (O(len(text)) per search, after warm-up) whatever the pattern.
It reads the normalised spelling :mod:`.regex` produces, so it only has to
know that small syntax: literals (punctuation escaped), ``.``, ``^``, ``\\Z``,
classes of single characters and ranges, ``(?: )``, ``|`` and ``* + ? {m,n}``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

MAX_NFA_STATES = 20_000
MAX_DFA_STATES = 5_000

_CHAR, _SPLIT, _BOL, _EOL, _MATCH, _EMPTY = range(6)
_ESC = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}


class PatternTooComplex(ValueError):
    """The pattern expands to more than :data:`MAX_NFA_STATES` states."""


@dataclass(frozen=True, slots=True)
class _Class:
    """A set of characters: ranges, possibly negated (``.`` is ``[^\\n]``)."""

    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def __contains__(self, ch: str) -> bool:
        inside = any(lo <= ch <= hi for lo, hi in self.ranges)
        return inside != self.negated


# AST: ("char", _Class) ("cat", [n]) ("alt", [n]) ("rep", n, min, max|None) ("bol",) ("eol",)
_Node = tuple[Any, ...]


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def alt(self) -> _Node:
        branches = [self.cat()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.cat())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def cat(self) -> _Node:
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            items.append(self.quantified(atom))
        return ("cat", items)

    def quantified(self, atom: _Node) -> _Node:
        ch = self.peek()
        if ch == "*":
            self.i += 1
            return ("rep", atom, 0, None)
        if ch == "+":
            self.i += 1
            return ("rep", atom, 1, None)
        if ch == "?":
            self.i += 1
            return ("rep", atom, 0, 1)
        if ch == "{":
            end = self.s.index("}", self.i)
            body = self.s[self.i + 1 : end]
            self.i = end + 1
            low, _, high = body.partition(",")
            if "," not in body:
                return ("rep", atom, int(low), int(low))
            return ("rep", atom, int(low), int(high) if high else None)
        return atom

    def atom(self) -> _Node:
        ch = self.s[self.i]
        self.i += 1
        if ch == "(":
            self.i += 2  # "?:"
            inner = self.alt()
            self.i += 1  # ")"
            return inner
        if ch == "[":
            return ("char", self.char_class())
        if ch == ".":
            return ("char", _Class((("\n", "\n"),), True))
        if ch == "^":
            return ("bol",)
        if ch == "\\":
            esc = self.s[self.i]
            self.i += 1
            if esc == "Z":
                return ("eol",)
            c = self._escaped(esc)
            return ("char", _Class(((c, c),), False))
        return ("char", _Class(((ch, ch),), False))

    def _escaped(self, esc: str) -> str:
        if esc == "x":
            code = self.s[self.i : self.i + 2]
            self.i += 2
            return chr(int(code, 16))
        return _ESC.get(esc, esc)

    def _take(self) -> str:
        ch = self.s[self.i]
        self.i += 1
        return ch

    def char_class(self) -> _Class:
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges: list[tuple[str, str]] = []
        while self.peek() != "]":
            lo = self._one()
            if self.peek() == "-" and self.s[self.i + 1] != "]":
                self.i += 1
                ranges.append((lo, self._one()))
            else:
                ranges.append((lo, lo))
        self.i += 1
        return _Class(tuple(ranges), negated)

    def _one(self) -> str:
        ch = self._take()
        return self._escaped(self._take()) if ch == "\\" else ch


class _Nfa:
    def __init__(self) -> None:
        self.kind: list[int] = []
        self.arg: list[_Class | None] = []
        self.out: list[int] = []
        self.out2: list[int] = []

    def add(self, kind: int, arg: _Class | None = None, out: int = -1, out2: int = -1) -> int:
        if len(self.kind) >= MAX_NFA_STATES:
            raise PatternTooComplex
        self.kind.append(kind)
        self.arg.append(arg)
        self.out.append(out)
        self.out2.append(out2)
        return len(self.kind) - 1

    def build(self, node: _Node, nxt: int) -> int:
        """States for ``node`` that continue to ``nxt``; returns the entry state."""
        tag = node[0]
        if tag == "char":
            return self.add(_CHAR, node[1], nxt)
        if tag == "bol":
            return self.add(_BOL, None, nxt)
        if tag == "eol":
            return self.add(_EOL, None, nxt)
        if tag == "cat":
            for item in reversed(node[1]):
                nxt = self.build(item, nxt)
            return nxt if node[1] else self.add(_EMPTY, None, nxt)
        if tag == "alt":
            entries = [self.build(b, nxt) for b in node[1]]
            entry = entries[-1]
            for other in reversed(entries[:-1]):
                entry = self.add(_SPLIT, None, other, entry)
            return entry
        _, sub, low, high = node
        if high is None:  # sub{low,}: low copies, then a loop
            loop = self.add(_SPLIT, None, -1, nxt)
            self.out[loop] = self.build(sub, loop)
            entry = loop
        else:
            entry = nxt
            for _ in range(high - low):  # optional copies
                entry = self.add(_SPLIT, None, self.build(sub, entry), nxt)
        for _ in range(low):
            entry = self.build(sub, entry)
        return entry


class _Dfa:
    """The lazily built DFA: sets of NFA states, their transitions, acceptance."""

    __slots__ = ("ids", "sets", "trans", "accepting", "end", "initial")

    def __init__(self) -> None:
        self.ids: dict[frozenset[int], int] = {}
        self.sets: list[frozenset[int]] = []
        self.trans: list[dict[str, int]] = []
        self.accepting: list[bool] = []
        self.end: dict[int, bool] = {}
        self.initial = 0


class Matcher:
    """Search a normalised pattern in text, in time linear in the text."""

    def __init__(self, normalised: str) -> None:
        nfa = _Nfa()
        match = nfa.add(_MATCH)
        self._start = nfa.build(_Reader(normalised).alt(), match)
        self._nfa = nfa
        self._match = match
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._restart = self._closure({self._start}, at_start=False, at_end=False)
        dfa = _Dfa()
        first = self._closure({self._start}, at_start=True, at_end=False) | self._restart
        dfa.initial = self._intern(dfa, first)
        self._dfa = dfa

    def _closure(self, states: set[int] | frozenset[int], at_start: bool,
                 at_end: bool) -> frozenset[int]:
        nfa = self._nfa
        seen: set[int] = set()
        stack = list(states)
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            kind = nfa.kind[s]
            if kind == _SPLIT:
                stack.append(nfa.out[s])
                stack.append(nfa.out2[s])
            elif kind == _EMPTY or (kind == _BOL and at_start) or (kind == _EOL and at_end):
                stack.append(nfa.out[s])
        return frozenset(seen)

    def _intern(self, dfa: _Dfa, states: frozenset[int]) -> int:
        ident = dfa.ids.get(states)
        if ident is None:
            ident = len(dfa.sets)
            dfa.ids[states] = ident
            dfa.sets.append(states)
            dfa.trans.append({})
            dfa.accepting.append(self._match in states)
        return ident

    def _step(self, dfa: _Dfa, ident: int, ch: str) -> int:
        with self._lock:  # cache misses only; the hot path reads without locking
            nfa = self._nfa
            moved = {nfa.out[s] for s in dfa.sets[ident]
                     if nfa.kind[s] == _CHAR and ch in nfa.arg[s]}  # type: ignore[operator]
            target = self._intern(dfa, self._closure(moved, False, False) | self._restart)
            dfa.trans[ident][ch] = target
            return target

    def _accepts_at_end(self, dfa: _Dfa, ident: int) -> bool:
        known = dfa.end.get(ident)
        if known is None:
            known = self._match in self._closure(dfa.sets[ident], False, True)
            dfa.end[ident] = known
        return known

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``."""
        dfa = self._dfa  # a snapshot: a concurrent reset swaps in a new cache
        if len(dfa.sets) > MAX_DFA_STATES:
            with self._lock:
                self._reset()  # bound the cache, as RE2 does
            dfa = self._dfa
        state = dfa.initial
        accepting = dfa.accepting
        trans = dfa.trans
        if accepting[state]:
            return True
        for ch in text:
            nxt = trans[state].get(ch)
            state = self._step(dfa, state, ch) if nxt is None else nxt
            if accepting[state]:
                return True
        return self._accepts_at_end(dfa, state)
