"""Import: live objects nobody manages -> YAML, optionally written into a file.

``--write`` edits the file with ruamel.yaml's round-trip mode, detecting the
file's indentation, so comments, key order and formatting elsewhere in the
file survive. The next plan shows the objects as ``<= import``; applying it
marks them managed by the configuration.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.state.api import LiveObject


def importable(live: Iterable[LiveObject], addresses: Sequence[str] | None) -> list[LiveObject]:
    """The unmanaged objects to import: ``addresses``, or all of them when None."""
    by_address = {o.address: o for o in live}
    if addresses is None:
        found = [o for o in by_address.values() if o.manager is None]
        return sorted(found, key=lambda o: o.address)
    chosen: list[LiveObject] = []
    for address in addresses:
        obj = by_address.get(address)
        if obj is None:
            raise PlanError(
                f"{address} does not exist in state", hint="see: finopsmetrics state list"
            )
        if obj.manager is not None:
            raise PlanError(
                f"{address} is already managed by {obj.manager}; only unmanaged objects "
                "can be imported",
                hint="to take it over, declare it and run: finopsmetrics plan --adopt"
                if obj.manager != "config"
                else None,
            )
        chosen.append(obj)
    return chosen


def _section(kind: str) -> tuple[str, ...]:
    from finopsmetrics_cli.models.base import get_kind

    try:
        return tuple(get_kind(kind).section.split("."))
    except KeyError:
        raise PlanError(f"unknown kind {kind!r} in state") from None


def _as_written(value: Any) -> Any:
    """``value`` with integral floats as ints: canonical specs hold money as floats
    (``amount: 900`` is stored as 900.0), but a user writes ``900``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _as_written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_written(item) for item in value]
    return value


def _entry(obj: LiveObject) -> dict[str, Any]:
    return {"name": obj.name, **_as_written(obj.spec)}


def render_yaml(objects: Sequence[LiveObject]) -> str:
    """A YAML document with one list section per kind (what ``import`` prints)."""
    from ruamel.yaml import YAML

    document: dict[str, Any] = {}
    for obj in objects:
        *parents, leaf = _section(obj.kind)
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node.setdefault(leaf, []).append(_entry(obj))
    if not document:
        return ""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _commented(data: dict[str, Any]) -> Any:
    """``data`` as ruamel's commented structures (so a comment can be attached to it)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    out = io.StringIO()
    yaml.dump(data, out)
    return yaml.load(out.getvalue())


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """The container and key/index of the last scalar line below ``node``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, CommentedMap | CommentedSeq) or not len(node):
        return None
    key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    deeper = _last_slot(node[key])
    return deeper if deeper is not None else (node, key)


def _split_own_lines(rest: str, key_column: int) -> tuple[str, str]:
    """Split comment lines after a section's last value into (kept, moved).

    Comment lines indented deeper than the section's key still belong to its
    last entry and stay; from the first blank line or the first comment at
    the key's column on, the lines lead into what follows and move.
    """
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped or len(line) - len(stripped) <= key_column:
            return "".join(f"{kept}\n" for kept in lines[:index]), "\n".join(lines[index:])
    return rest, ""


def _key_column(node: Any, key: str) -> int:
    """The column ``key`` starts at in the file (0 for a key the file did not have)."""
    try:
        return int(node.lc.key(key)[1])
    except (AttributeError, KeyError, TypeError):
        return 0


def _detach_trailing_comment(section: Any, key_column: int = 0) -> str | None:
    """Take the comment lines ruamel stored after a section's last line.

    ruamel attaches the comment that *precedes the next section* to the last
    value of this one; appending an entry would leave that comment above the
    new entry. The inline comment of the last line, and comment lines
    indented under the last entry, stay where they are.
    """
    from ruamel.yaml.comments import CommentedMap

    slot = _last_slot(section)
    if slot is None:
        return None
    node, key = slot
    entry = node.ca.items.get(key)
    position = 2 if isinstance(node, CommentedMap) else 0
    if not entry or len(entry) <= position or entry[position] is None:
        return None
    token = entry[position]
    value: str = token.value
    inline, _, rest = value.partition("\n")
    kept, moved = _split_own_lines(rest, key_column)
    if not moved.strip():
        return None
    if inline.strip() or kept:
        token.value = inline + "\n" + kept
    else:
        entry[position] = None
    return moved


def _attach_trailing_comment(section: Any, text: str | None) -> None:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot = _last_slot(section)
    if text is None or slot is None:
        return
    node, key = slot
    token = CommentToken("\n" + text, CommentMark(0), None)
    if isinstance(node, CommentedMap):
        node.ca.items[key] = [None, None, token, None]
    else:
        node.ca.items[key] = [token, None]


def _mapping_indent(text: str) -> int:
    """The indentation of the first nested mapping in ``text`` (2 when there is none)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:], strict=False):
        if not line.rstrip().endswith(":") or line.lstrip().startswith("-"):
            continue
        outer = len(line) - len(line.lstrip())
        inner = len(nxt) - len(nxt.lstrip())
        if inner > outer and not nxt.lstrip().startswith("-"):
            return inner - outer
    return 2


def insert_into_file(path: Path, objects: Sequence[LiveObject]) -> list[str]:
    """Insert ``objects`` into the YAML file at ``path``; return the addresses written."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    if not objects:
        return []
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from exc
    yaml = YAML()
    yaml.preserve_quotes = True  # "23:00" must stay quoted
    yaml.width = 4096
    try:
        indent, block_seq_indent = (
            load_yaml_guess_indent(text)[1:] if text.strip() else (None, None)
        )
        data = yaml.load(text) if text.strip() else None
    except YAMLError as exc:
        raise PlanError(f"cannot import into {path}: it is not valid YAML ({exc})") from exc
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise PlanError(f"cannot import into {path}: its top level is not a mapping")
    written: list[str] = []
    for obj in objects:
        *parents, leaf = _section(obj.kind)
        node = data
        for part in parents:
            if part not in node or node[part] is None:
                node[part] = CommentedMap()
            node = node[part]
        section = node.get(leaf)
        if section is None:
            section = node[leaf] = CommentedSeq()
        if isinstance(section, CommentedSeq):
            if any(isinstance(e, dict) and e.get("name") == obj.name for e in section):
                raise PlanError(f"cannot import {obj.address}: {path} already declares it")
            trailing = _detach_trailing_comment(section, _key_column(node, leaf))
            section.append(_commented(_entry(obj)))
            _attach_trailing_comment(section, trailing)
        elif isinstance(section, CommentedMap):
            if obj.name in section:
                raise PlanError(f"cannot import {obj.address}: {path} already declares it")
            trailing = _detach_trailing_comment(section, _key_column(node, leaf))
            section[obj.name] = _commented(_as_written(obj.spec))
            _attach_trailing_comment(section, trailing)
        else:
            raise PlanError(f"cannot import into {path}: section {leaf!r} is not a list or mapping")
        written.append(obj.address)
    mapping = _mapping_indent(text)
    if block_seq_indent is None:  # no block sequence in the file yet: the common "  - " style
        indent, block_seq_indent = mapping + 2, mapping
    yaml.indent(mapping=mapping, sequence=indent, offset=block_seq_indent or 0)
    out = io.StringIO()
    yaml.dump(data, out)
    try:
        path.write_text(out.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return written
