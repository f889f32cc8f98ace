"""Reading one YAML file safely and fast, and finding where things are in it.

Two parsers, one meaning. The happy path parses with the compiled ``yaml_rs``
(~30x faster than ruamel on large files) and never builds a node tree. When a
file has an error, or uses a construct whose meaning yaml_rs does not share
with ruamel (merge keys, tags, several documents, directives), the file is
composed with ruamel and converted by :func:`_NodeConverter`, which also finds
every duplicate key, alias bomb and over-deep nesting, each with its position.
``tests/unit/config/test_yaml_agreement.py`` proves both paths give equal data
for everything we accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.fastloc import EntryIndex
from finopsmetrics_cli.errors import Diagnostic, Location

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_REPLAY = 200_000

# Constructs the fast path leaves to ruamel: tags (``!x``/``!!x``), merge keys,
# document markers and directives. A false positive only costs speed.
_TAG = re.compile(r"!!?[A-Za-z<]")
_DOCUMENT_MARKERS = ("---", "...", "%")


# Number spellings yaml_rs reads as numbers and ruamel (our reference) as
# strings: upper-case radix prefixes, a leading underscore, ``.1e3``, an
# underscore in an exponent. Found by tests/unit/config/test_yaml_agreement.py.
_RADIX = re.compile(r"0[OXB]")
_DOT_EXPONENT = re.compile(r"\.\d+[eE]")
_NUMBERISH = re.compile(r"[-+]?[\d_.]*\d[\d_.]*(?:[eE][-+]?[\d_]*)?")
# An underscore next to a digit or '.', or after a digit and '.'/e/E: only these can
# sit in a number (snake_case keys, far more common, are skipped in C).
_NUMBER_UNDERSCORE = re.compile(r"_(?:(?<=[0-9]_)|(?<=[0-9][.eE]_)|(?=[0-9.]))")
_TOKEN_START = frozenset(" \t\n\r[{,:")
_TOKEN_END = frozenset(" \t\n\r,]}#")


def _token_at(text: str, pos: int) -> tuple[int, str]:
    start = pos
    while start > 0 and text[start - 1] not in _TOKEN_START:
        start -= 1
    end = pos
    while end < len(text) and text[end] not in _TOKEN_END:
        end += 1
    return start, text[start:end]


def _odd_number(text: str) -> bool:
    """A number spelling yaml_rs and ruamel read differently, as a whole scalar.

    (Regexes that start with a character class scan slowly in ``re``; these
    start with a literal, or are plain ``str.find`` loops.)"""
    radix = "0O" in text or "0X" in text or "0B" in text
    for pattern in (_RADIX, _DOT_EXPONENT) if radix else (_DOT_EXPONENT,):
        for match in pattern.finditer(text):
            start, token = _token_at(text, match.start())
            if start == match.start() or token[:1] in "+-" and start + 1 == match.start():
                return True
    for match in _NUMBER_UNDERSCORE.finditer(text):
        _, token = _token_at(text, match.start())
        if _NUMBERISH.fullmatch(token) and (
            token.lstrip("+-").startswith("_") or any(c in token for c in ".eE")
        ):
            return True
    return False


def needs_ruamel(text: str) -> bool:
    """True when the text may use a construct only ruamel interprets our way."""
    if "<<" in text or text.startswith(_DOCUMENT_MARKERS) or _odd_number(text):
        return True
    if any(f"\n{marker}" in text for marker in _DOCUMENT_MARKERS):
        return True
    for match in _TAG.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] in " \t\n[{,":
            return True
    return False


Path_ = tuple[str | int, ...]


@dataclass
class SourceFile:
    """One parsed file: its text, its data, and (lazily) its ruamel node tree."""

    path: str
    text: str
    data: Any
    _root: Any = field(default=None, repr=False)
    _composed: bool = field(default=False, repr=False)
    _index: Any = field(default=None, repr=False)

    @property
    def fast(self) -> bool:
        """Parsed on the fast path, no ruamel node tree made yet: text and data are all of it."""
        return not self._composed

    def entry_location(self, path: Path_, *, key: bool = False) -> Location:
        """Where a section entry is declared; a line scan on the happy path, ruamel otherwise."""
        if not self._composed and 1 <= len(path) <= 3:
            if self._index is None:
                self._index = EntryIndex(self.text)
            if key or isinstance(path[-1], int):
                parent = path[:-1]
                found = self._index.entries(parent, self.data, _value_at(self.data, parent))
                pos = found.get(path[-1]) if found else None
            else:
                found = self._index.entries(path, self.data, _value_at(self.data, path))
                pos = next(iter(found.values())) if found else None
            if pos is not None:
                return Location(self.path, pos[0], pos[1])
        return self.locate(path, key=key)

    def root(self) -> Any:
        """The ruamel node tree, composed on first use (errors need positions)."""
        if not self._composed:
            self._composed = True
            try:
                self._root = _compose(self.text)
            except Exception:  # noqa: BLE001 - positions are best effort here
                self._root = None
        return self._root

    def node_at(self, path: Path_) -> tuple[Any, Any, int]:
        """``(key_node, value_node, depth_found)`` for the deepest existing prefix of ``path``."""
        node = self.root()
        key_node = None
        found = 0
        for step in path:
            nxt = _child(node, step)
            if nxt is None:
                break
            key_node, node = nxt
            found += 1
        return key_node, node, found

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """Where ``path`` is; ``key=True`` points at the mapping key instead of the value."""
        key_node, node, found = self.node_at(path)
        if node is None:
            return Location(self.path, 1, 1)
        target = key_node if (key or found < len(path)) and key_node is not None else node
        if found < len(path) and key_node is None:
            target = node
        mark = target.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)


def _value_at(data: Any, path: Path_) -> Any:
    for step in path:
        data = data[step]
    return data


def _child(node: Any, step: str | int) -> tuple[Any, Any] | None:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        found = None
        for k, v in _merged_pairs(node):
            if getattr(k, "value", None) == step or (
                isinstance(step, int) and getattr(k, "value", None) == str(step)
            ):
                found = (k, v)
        return found
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item = node.value[step]
        return item, item
    return None


def _merged_pairs(node: Any) -> list[tuple[Any, Any]]:
    """Mapping pairs with ``<<`` merges applied: merged keys first, explicit ones win."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    own: list[tuple[Any, Any]] = []
    merged: list[tuple[Any, Any]] = []
    for k, v in node.value:
        if k.tag == "tag:yaml.org,2002:merge":
            sources = v.value if isinstance(v, SequenceNode) else [v]
            for src in sources:
                if isinstance(src, MappingNode):
                    merged.extend(_merged_pairs(src))
        else:
            own.append((k, v))
    return merged + own


def _yaml(*, pure: bool) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=pure)


def _compose(text: str) -> Any:
    """The node tree; libyaml (ruamel.yaml.clib) when it accepts the text, else pure ruamel.

    libyaml is ~9x faster but follows YAML 1.1 syntax in a few corners
    (``[12:30]``); pure ruamel is the reference, so any C failure is retried.
    """
    from ruamel.yaml.error import YAMLError

    try:
        return _yaml(pure=False).compose(text)
    except YAMLError:
        return _yaml(pure=True).compose(text)


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """Files to load, in a stable order: given files as is, directories' YAML recursively sorted."""
    files: list[tuple[Path, str]] = []
    diagnostics: list[Diagnostic] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.suffix in (".yaml", ".yml")
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                diagnostics.append(
                    codes.diag(
                        "E006", f"no *.yaml or *.yml files in {str(p)!r}", Location(str(p), 1, 1)
                    )
                )
            files.extend((f, str(f)) for f in found)
        elif p.is_file():
            files.append((p, str(p)))
        elif p.exists():  # a FIFO or device: reading it could block forever
            diagnostics.append(
                codes.diag("E001", f"not a regular file: {str(p)!r}", Location(str(p), 1, 1))
            )
        else:
            diagnostics.append(
                codes.diag(
                    "E001",
                    f"no such file or directory: {str(p)!r}",
                    Location(str(p), 1, 1),
                    hint="pass a file or directory, or create one with `finopsmetrics init`",
                )
            )
    seen: set[Path] = set()
    unique = []
    for f, display in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((f, display))
    return unique, diagnostics


#: what a helper process read for us (``prefetch``): display -> (text, data) of
#: each file it parsed on the fast path without a problem
Parsed = Mapping[str, tuple[str, Any]]


def read_source(
    path: Path, display: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read and parse one file; on failure return ``None`` and located diagnostics."""
    loc = Location(display, 1, 1)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, [
                codes.diag(
                    "E002", f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", loc
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [codes.diag("E001", f"cannot read file: {exc.strerror or exc}", loc)]
    text, problem = decode(raw, display)
    if problem:
        return None, [problem]
    assert text is not None
    if _only_comments(text):
        return None, [codes.diag("E005", "file is empty", loc)]
    return parse_text(text, display)


_CONTENT = re.compile(r"\S")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines'


def _only_comments(text: str) -> bool:
    """True when every line is blank or a comment; reads only up to the first content
    (splitting a large file into lines just for this cost ~20 ms)."""
    pos = 0
    while (m := _CONTENT.search(text, pos)) is not None:
        if text[m.start()] != "#":
            return False
        brk = _LINE_BREAK.search(text, m.start())
        if brk is None:
            return True
        pos = brk.end()
    return True


def decode(raw: bytes, display: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text (BOM stripped), or a diagnostic for binary / other encodings."""
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or raw[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        return None, codes.diag(
            "E004", "file is UTF-16 or UTF-32, not UTF-8", Location(display, 1, 1)
        )
    if b"\x00" in raw[:8192] or b"\x00" in raw:
        offset = raw.index(b"\x00")
        return None, codes.diag(
            "E003",
            "file is binary (it contains NUL bytes), not YAML",
            _byte_loc(raw, offset, display),
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, codes.diag(
            "E004",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            _byte_loc(raw, exc.start, display),
        )


def _byte_loc(raw: bytes, offset: int, display: str) -> Location:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return Location(display, line, offset - start + 1)


def parse_text(text: str, display: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Parse YAML text: fast path when safe, ruamel otherwise or on any doubt."""
    if not needs_ruamel(text):
        data = _fast_load(text)
        if data is not _FAILED and _plain_and_shallow(data):
            return SourceFile(display, text, data), []
    return slow_load(text, display)


_FAILED = object()


def _fast_load(text: str) -> Any:
    import yaml_rs

    try:
        return yaml_rs.loads(
            text,
            parse_datetime=False,  # yaml_rs turns even *quoted* dates into dates
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_REPLAY),
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except Exception:  # noqa: BLE001 - any doubt goes to the slow, exact path
        return _FAILED


_IS_STR = str.__instancecheck__  # isinstance(x, str), callable from C (map, filter)
_IS_DICT = dict.__instancecheck__
_IS_LIST = list.__instancecheck__


def _plain_and_shallow(data: Any) -> bool:
    """True when every key is a string and nesting stays under MAX_DEPTH.

    One nesting level at a time, and each level in C (``map``/``filter``/``chain``
    over all its containers at once): a Python loop over every value cost ~70 ms
    on 10,000 objects, this ~10x less."""
    if isinstance(data, (set, tuple, bytes)):
        return False
    dicts: list[Any] = [data] if isinstance(data, dict) else []
    lists: list[Any] = [data] if isinstance(data, list) else []
    depth = 0
    while dicts or lists:
        if depth > MAX_DEPTH:
            return False
        if not all(map(_IS_STR, chain.from_iterable(dicts))):
            return False
        children = list(chain(chain.from_iterable(map(dict.values, dicts)), *lists))
        dicts = list(filter(_IS_DICT, children))
        lists = list(filter(_IS_LIST, children))
        depth += 1
    return True


def slow_load(text: str, display: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """ruamel path: event pre-scan (syntax, depth), compose, convert with checks.

    Tried with libyaml first for speed; a syntax error is confirmed (and
    reported) by pure ruamel, the reference (see :func:`_compose`)."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        problem = _prescan(text, display, pure=False)
        nodes = None if problem else list(_yaml(pure=False).compose_all(text))
    except YAMLError:
        problem, nodes = None, None
    if nodes is None and (problem is None or problem.code != "E014"):
        problem = _prescan(text, display, pure=True)
        if problem is None:
            try:
                nodes = list(_yaml(pure=True).compose_all(text))
            except MarkedYAMLError as exc:
                return None, [_syntax_diag(exc, display)]
    if problem:
        return None, [problem]
    assert nodes is not None
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        return None, [
            codes.diag(
                "E015",
                "file holds several YAML documents; use one per file",
                Location(display, mark.line + 1, mark.column + 1),
            )
        ]
    if not nodes or nodes[0] is None:
        return None, [codes.diag("E005", "file is empty", Location(display, 1, 1))]
    from finopsmetrics_cli.config.nodes import NodeConverter

    converter = NodeConverter(display)
    data = converter.convert_root(nodes[0])
    if converter.diagnostics:
        return None, converter.diagnostics
    return SourceFile(display, text, data, _root=nodes[0], _composed=True), []


def _prescan(text: str, display: str, *, pure: bool) -> Diagnostic | None:
    """Walk parser events (iterative, so no recursion limit) for syntax errors and depth."""
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    depth = 0
    try:
        for event in _yaml(pure=pure).parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return codes.diag(
                        "E014",
                        f"nesting is deeper than {MAX_DEPTH} levels",
                        Location(display, mark.line + 1, mark.column + 1),
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except MarkedYAMLError as exc:
        if not pure:
            raise
        return _syntax_diag(exc, display)
    return None


def _syntax_diag(exc: Any, display: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display, 1, 1)
    problem = str(exc.problem or exc.context or "invalid YAML").strip()
    if "'\\t'" in problem or "tab" in problem.lower():
        return codes.diag("E011", "tab character used for indentation", loc)
    if "found duplicate anchor" in str(exc):
        return codes.diag("E010", f"YAML syntax error: {problem}", loc)
    return codes.diag("E010", f"YAML syntax error: {problem}", loc)
