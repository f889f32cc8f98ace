"""Semantic checks over validated objects: conditions and cross-references.

Both need positions only when something is wrong: a condition error is mapped
from its line/column inside the condition text to the file (through the
scalar's style, see :mod:`config.positions`); a dangling name is located at the
scalar that spells it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.loader import RawConfig, RawObject, suggest
from finopsmetrics_cli.config.model import Settings
from finopsmetrics_cli.errors import Diagnostic, Location
from finopsmetrics_cli.models.base import KindInfo, KindModel, Ref, get_kind
from finopsmetrics_cli.plan.diff import format_path


def yaml_path(obj: RawObject, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A path inside the model input -> the path in the file (the name may be the key)."""
    if path and path[0] == "name":
        if obj.name_path is not None:
            return obj.name_path
        return obj.path
    if path and path[0] == obj.info.name_key and obj.name_path is not None:
        return obj.name_path
    return (*obj.path, *path)


def condition_schema(settings: Settings, raw: RawConfig | None, diags: list[Diagnostic]) -> Any:
    from finopsmetrics_cli.conditions.errors import AttributeSchemaError
    from finopsmetrics_cli.conditions.schema import AttributeSchema

    try:
        return AttributeSchema.default().extend(settings.attributes or None)
    except AttributeSchemaError as exc:
        loc = None
        if raw is not None and "attributes" in raw.settings_origin:
            source, base = raw.settings_origin["attributes"]
            loc = source.locate((*base, *exc.path))
        diags.append(codes.diag("E110", exc.message, loc, hint=exc.hint))
        return AttributeSchema.default()


def _values_at(data: Any, pattern: str) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every ``(path, value)`` matching a dotted pattern with ``*`` over lists and mappings."""
    out: list[tuple[tuple[str | int, ...], Any]] = []
    _walk(data, _split(pattern), 0, (), out)
    return out


_SPLIT: dict[str, tuple[str, ...]] = {}


def _split(pattern: str) -> tuple[str, ...]:
    parts = _SPLIT.get(pattern)
    if parts is None:
        parts = _SPLIT[pattern] = tuple(pattern.split("."))
    return parts


def _walk(
    data: Any,
    parts: tuple[str, ...],
    i: int,
    prefix: tuple[str | int, ...],
    out: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    while i < len(parts):
        head = parts[i]
        if head == "*":
            if isinstance(data, list):
                for k, item in enumerate(data):
                    _walk(item, parts, i + 1, (*prefix, k), out)
            elif isinstance(data, dict):
                for k, item in data.items():
                    _walk(item, parts, i + 1, (*prefix, k), out)
            return
        if not isinstance(data, dict) or head not in data:
            return
        data = data[head]
        prefix = (*prefix, head)
        i += 1
    out.append((prefix, data))


def _values(data: Any, parts: tuple[str, ...]) -> list[Any]:
    """The values ``_values_at`` finds, in the same order, without their paths: one
    level at a time (the happy path; paths are only needed to report a problem)."""
    level = [data]
    for head in parts:
        nxt: list[Any] = []
        if head == "*":
            for item in level:
                if isinstance(item, list):
                    nxt.extend(item)
                elif isinstance(item, dict):
                    nxt.extend(item.values())
        else:
            for item in level:
                if isinstance(item, dict) and head in item:
                    nxt.append(item[head])
        if not nxt:
            return nxt
        level = nxt
    return level


def check_conditions(
    obj: RawObject | None,
    data: dict[str, Any],
    schema: Any,
    diags: list[Diagnostic],
    kind: KindInfo | None = None,
    name: str | None = None,
    valid: set[str] | None = None,
) -> None:
    """Compile every condition field; ``kind``/``name`` name the object when ``obj`` is None
    (one object given as a spec, as Terraform and Pulumi give it).

    ``valid`` holds texts already compiled without error against ``schema``: many
    objects share a condition, and compiling one costs ~0.15 ms."""
    from finopsmetrics_cli.conditions import compile_condition
    from finopsmetrics_cli.conditions.errors import ConditionErrors

    info = obj.info if obj is not None else kind
    assert info is not None
    if valid is not None:  # happy path: texts only; any error is located by the loop below
        try:
            for pattern in info.condition_fields:
                for text in _values(data, _split(pattern)):
                    if isinstance(text, str) and text not in valid:
                        compile_condition(text, schema)
                        valid.add(text)
            return
        except ConditionErrors:
            pass
    for pattern in info.condition_fields:
        for path, text in _values_at(data, pattern):
            if not isinstance(text, str) or (valid is not None and text in valid):
                continue
            try:
                compile_condition(text, schema)
                if valid is not None:
                    valid.add(text)
            except ConditionErrors as exc:
                for err in exc.errors:
                    loc = _condition_location(obj, path, text, err) if obj is not None else None
                    named = obj.name if obj is not None else name or ""
                    diags.append(
                        Diagnostic(
                            err.code,
                            f"{info.kind} {named!r}: {format_path(path)}: {err.message}",
                            loc,
                            err.hint,
                            "error",
                            path,
                        )
                    )


def _condition_location(
    obj: RawObject, path: tuple[str | int, ...], text: str, err: Any
) -> Location:
    from finopsmetrics_cli.config.positions import offset_in_value, scalar_positions

    node = _find_scalar(obj, path, text)
    if node is None:
        return obj.source.locate(yaml_path(obj, path))
    positions = scalar_positions(obj.source.text, node, text)
    offset = offset_in_value(text, err.line, err.column)
    line, column = positions[min(max(offset, 0), len(positions) - 1)]
    return Location(obj.source.path, line, column)


def _find_scalar(obj: RawObject, path: tuple[str | int, ...], text: str) -> Any:
    """The scalar node holding ``text``: at its path, else anywhere below the object."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    _, node, found = obj.source.node_at(yaml_path(obj, path))
    if isinstance(node, ScalarNode) and node.value == text:
        return node
    _, top, _ = obj.source.node_at(obj.path)
    stack = [top]
    while stack:
        n = stack.pop()
        if isinstance(n, ScalarNode) and n.value == text:
            return n
        if isinstance(n, MappingNode):
            stack.extend(v for pair in reversed(n.value) for v in reversed(pair))
        elif isinstance(n, SequenceNode):
            stack.extend(reversed(n.value))
    return None


def declared_names(objects: list[RawObject]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for obj in objects:
        out.setdefault(obj.info.kind, set()).add(obj.name)
    return out


def _ref_values(spec: dict[str, Any], ref: Ref) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path, value in _values_at(spec, ref.path):
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield (*path, i), item


def check_references(
    obj: RawObject | None,
    model: KindModel,
    spec: dict[str, Any],
    declared: dict[str, set[str]] | Callable[[str, str], bool],
    diags: list[Diagnostic],
    info: KindInfo | None = None,
) -> tuple[str, ...]:
    info = obj.info if obj is not None else info
    assert info is not None
    if not callable(declared):
        fast = _declared_references(info, spec, declared)
        if fast is not None:
            return fast
    found: list[str] = []
    for ref in info.references:
        for path, value in _ref_values(spec, ref):
            if value in ref.builtins or ref.is_literal(value):
                continue
            names: list[str] = []
            if callable(declared):
                target = next((t for t in ref.targets if declared(t, value)), None)
                any_declared = True
            else:
                target = next((t for t in ref.targets if value in declared.get(t, ())), None)
                names = sorted({n for t in ref.targets for n in declared.get(t, ())})
                any_declared = bool(names)
            if target is not None:
                address = f"{target}.{value}"
                if address not in found:
                    found.append(address)
                continue
            if not ref.required and not any_declared:
                continue
            diags.append(_dangling(obj, model, info, ref, path, value, names))
    return tuple(found)


def _dangling(
    obj: RawObject | None,
    model: KindModel,
    info: KindInfo,
    ref: Ref,
    path: tuple[str | int, ...],
    value: str,
    names: list[str],
) -> Diagnostic:
    """A name that no object of the reference's kinds declares, with "did you mean"."""
    what = " or ".join(ref.targets)
    hint = suggest(value, [*names, *ref.builtins])
    if hint is None and (names or ref.builtins):
        known = [*names, *sorted(ref.builtins)]
        more = f" and {len(known) - 5} more" if len(known) > 5 else ""
        hint = f"known {what} names: {', '.join(known[:5])}{more}"
    elif hint is None:
        hint = f"declare it under {get_kind(ref.target).section}:"
    return codes.diag(
        "W301" if ref.severity == "warning" else "E301",
        f"{info.kind} {(obj.name if obj is not None else model.name)!r}: "
        f"{format_path(path)} names {what} {value!r}, which is not declared",
        _ref_location(obj, path, value) if obj is not None else None,
        hint=hint,
        path=path,
    )


_NONE: frozenset[str] = frozenset()


def _declared_references(
    info: KindInfo, spec: dict[str, Any], declared: dict[str, set[str]]
) -> tuple[str, ...] | None:
    """What ``check_references`` returns when nothing is to be reported (values only,
    no paths), or None when something is: the caller then walks again to locate it."""
    found: list[str] = []
    for ref in info.references:
        kinds = [(t, declared.get(t, _NONE)) for t in ref.targets]
        for value in _values(spec, _split(ref.path)):
            for name in value if isinstance(value, list) else (value,):
                if not isinstance(name, str) or name in ref.builtins or ref.is_literal(name):
                    continue
                target = next((t for t, names in kinds if name in names), None)
                if target is not None:
                    address = f"{target}.{name}"
                    if address not in found:
                        found.append(address)
                elif ref.required or any(names for _, names in kinds):
                    return None
    return tuple(found)


def _ref_location(obj: RawObject, path: tuple[str | int, ...], value: str) -> Location:
    node = _find_scalar(obj, path, value)
    if node is None:
        return obj.source.locate(yaml_path(obj, path))
    return Location(obj.source.path, node.start_mark.line + 1, node.start_mark.column + 1)
