"""Field-level differences between two canonical specs.

Specs are compared with ``==`` first; deepdiff runs only on the few objects
whose specs differ, which keeps a 10,000-object no-change plan cheap. Paths are
rendered the way users write them: ``alerts[1].threshold``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

FieldAction = Literal["add", "remove", "change"]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed leaf (or subtree) of a spec; ``old``/``new`` are None when absent."""

    path: str
    action: FieldAction
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "old": self.old, "new": self.new}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldChange:
        return cls(data["path"], data["action"], data.get("old"), data.get("new"))


def format_path(parts: Iterable[str | int]) -> str:
    """``("alerts", 1, "threshold")`` -> ``alerts[1].threshold``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


def parse_path(path: str) -> tuple[str, ...]:
    """``alerts[1].threshold`` or ``alerts.1.threshold`` -> ``("alerts", "1", "threshold")``."""
    return tuple(p for p in re.split(r"[.\[\]]+", path) if p)


def diff_specs(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[FieldChange]:
    """Every changed field between two specs, in a stable order; [] when equal.

    Mappings are walked here, descending only into values that differ, so a
    changed ``amount`` costs one comparison; deepdiff runs on the differing
    lists only (it pairs inserted and removed items sensibly).
    """
    changes: list[FieldChange] = []
    _diff_into(changes, (), dict(old or {}), dict(new or {}))
    changes.sort(key=lambda c: _sort_key(c.path))
    return changes


def _diff_into(out: list[FieldChange], prefix: tuple[str | int, ...], old: Any, new: Any) -> None:
    if old == new:  # 1 == 1.0 as in JSON: numbers that are equal are no change
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            if key not in new:
                out.append(FieldChange(format_path((*prefix, key)), "remove", old[key], None))
            elif key not in old:
                out.append(FieldChange(format_path((*prefix, key)), "add", None, new[key]))
            else:
                _diff_into(out, (*prefix, key), old[key], new[key])
    elif isinstance(old, list) and isinstance(new, list):
        out.extend(_deepdiff(prefix, old, new))
    else:
        out.append(FieldChange(format_path(prefix), "change", old, new))


def _deepdiff(prefix: tuple[str | int, ...], old: list[Any], new: list[Any]) -> list[FieldChange]:
    from deepdiff import DeepDiff
    from deepdiff.helper import NotPresent

    tree = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0,
                    ignore_numeric_type_changes=True)
    changes: list[FieldChange] = []
    for report in tree.values():
        for level in report:
            parts = (*prefix, *level.path(output_format="list"))
            if isinstance(level.t1, NotPresent):
                changes.append(FieldChange(format_path(parts), "add", None, level.t2))
            elif isinstance(level.t2, NotPresent):
                changes.append(FieldChange(format_path(parts), "remove", level.t1, None))
            else:
                changes.append(FieldChange(format_path(parts), "change", level.t1, level.t2))
    return changes


def _sort_key(path: str) -> tuple[tuple[int, str], ...]:
    return tuple((0, p.zfill(12)) if p.isdigit() else (1, p) for p in parse_path(path))


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """True when ``path`` is one of ``patterns`` or below one (``*`` matches one part)."""
    parts = parse_path(path)
    for pattern in patterns:
        pat = parse_path(pattern)
        if len(pat) <= len(parts) and all(p in ("*", q) for p, q in zip(pat, parts, strict=False)):
            return True
    return False


def apply_ignore_changes(
    desired: Mapping[str, Any], live: Mapping[str, Any] | None, ignored: Iterable[str]
) -> dict[str, Any]:
    """The spec to write: ``desired`` with every ignored path taken from ``live``.

    As Terraform's ``ignore_changes``: live values of those fields are kept, so
    they are neither drift nor an update.
    """
    patterns = [parse_path(p) for p in ignored]
    if not patterns or live is None:
        return dict(desired)
    result = copy.deepcopy(dict(desired))
    for pattern in patterns:
        _copy_path(result, live, pattern)
    return result


def _copy_path(target: Any, source: Any, pattern: tuple[str, ...]) -> None:
    head, rest = pattern[0], pattern[1:]
    for key in _keys(target, source, head):
        src = _get(source, key)
        if not rest:
            _set(target, key, src)
            continue
        tgt = _get(target, key)
        if tgt is not _MISSING and src is not _MISSING:
            _copy_path(tgt, src, rest)


def _keys(target: Any, source: Any, head: str) -> list[Any]:
    if head != "*":
        if isinstance(target, list) or isinstance(source, list):
            return [int(head)] if head.isdigit() else []
        return [head]
    keys: list[Any] = []
    for container in (target, source):
        if isinstance(container, dict):
            keys += [k for k in container if k not in keys]
        elif isinstance(container, list):
            keys += [i for i in range(len(container)) if i not in keys]
    return keys


def _get(container: Any, key: Any) -> Any:
    if isinstance(container, dict):
        return container.get(key, _MISSING)
    if isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
        return container[key]
    return _MISSING


def _set(container: Any, key: Any, value: Any) -> None:
    if isinstance(container, dict):
        if value is _MISSING:
            container.pop(key, None)
        else:
            container[key] = copy.deepcopy(value)
    elif isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container):
        if value is not _MISSING:
            container[key] = copy.deepcopy(value)


def flatten(spec: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """Leaves of a spec as ``(path, value)``; used to show whole objects (create/delete)."""
    out: list[tuple[str, Any]] = []

    def walk(value: Any, parts: tuple[str | int, ...]) -> None:
        if isinstance(value, dict) and value:
            for key, sub in value.items():
                walk(sub, (*parts, key))
        elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
            for index, sub in enumerate(value):
                walk(sub, (*parts, index))
        else:
            out.append((format_path(parts), value))

    for key, value in (spec or {}).items():
        walk(value, (key,))
    return out
