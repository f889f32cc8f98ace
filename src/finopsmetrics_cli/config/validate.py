"""Raw objects -> validated :class:`Config`: schema, conditions, references, names.

Everything is checked and every problem reported (not just the first); the
happy path stays fast: no YAML node tree, positions of declared objects from a
line scan, one serialiser call per large kind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError, SchemaSerializer, core_schema

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.loader import RawConfig, RawObject, suggest
from finopsmetrics_cli.config.model import Config, DesiredObject, ObjectLifecycle, Settings
from finopsmetrics_cli.config.semantics import (
    check_conditions,
    check_references,
    condition_schema,
    declared_names,
    yaml_path,
)
from finopsmetrics_cli.config.settings import build_settings
from finopsmetrics_cli.errors import Diagnostic, Location, ValidationFailed
from finopsmetrics_cli.models.base import KindInfo, KindModel, get_kind

if TYPE_CHECKING:  # errors_map is imported when there is an error to map
    from finopsmetrics_cli.config.errors_map import FieldError

Known = Callable[[str], bool] | Collection[str] | None


def validate_raw(raw: RawConfig) -> tuple[Config | None, list[Diagnostic]]:
    """Validate everything collected; a Config only when there is no error."""
    diags = list(raw.diagnostics)
    settings, settings_diags = build_settings(raw)
    diags.extend(settings_diags)
    objects, duplicates = _unique(raw.objects, diags)
    # A duplicate is checked like any object (all errors at once), never planned.
    models = _validate_models([*objects, *duplicates], diags)
    schema = condition_schema(settings, raw, diags)
    valid_conditions: set[str] = set()
    for obj, data, _ in models:
        check_conditions(obj, data, schema, diags, valid=valid_conditions)
    declared = declared_names(objects)
    desired: dict[str, DesiredObject] = {}
    specs = _canonical_specs([m for _, _, m in models])
    for (obj, _, model), spec in zip(models, specs, strict=True):
        refs = check_references(obj, model, spec, declared, diags)
        if obj.address not in desired:
            desired[obj.address] = _desired(obj.info, model, spec, obj.location, refs)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        return None, _sorted(diags, raw)
    files = tuple(s.path for s in raw.files)
    return Config(desired, settings, files), _sorted(diags, raw)


def _sorted(diags: list[Diagnostic], raw: RawConfig) -> list[Diagnostic]:
    """Unique diagnostics, by file (load order), then line and column."""
    seen: set[tuple[Any, ...]] = set()
    files: dict[str, int] = {s.path: i for i, s in enumerate(raw.files)}
    out = []
    for d in diags:
        key = (d.code, d.message, d.location)
        if key not in seen:
            seen.add(key)
            out.append(d)
            if d.location and d.location.file not in files:
                files[d.location.file] = len(files)
    return sorted(
        out,
        key=lambda d: (
            (files.get(d.location.file, -1), d.location.line, d.location.column)
            if d.location
            else (-1, 0, 0)
        ),
    )


def _unique(
    objects: list[RawObject], diags: list[Diagnostic]
) -> tuple[list[RawObject], list[RawObject]]:
    """Split off the second of two objects with one address, reporting it there.

    Returns the unique objects and the duplicates that differ from the first
    (their own errors are reported too); an identical derived copy is dropped."""
    first: dict[str, RawObject] = {}
    out = []
    duplicates = []
    for obj in objects:
        prev = first.get(obj.address)
        if prev is not None and prev.derived and obj.derived and _same_content(prev, obj):
            diags.append(
                codes.diag(
                    "W106",
                    f"{obj.info.kind} {obj.name!r} is the same as the one at {prev.location()}; "
                    "it is declared once",
                    obj.location(),
                    hint="remove one of the two copies",
                )
            )
            continue
        if prev is not None:
            diags.append(
                codes.diag(
                    "E106",
                    f"{obj.info.kind} {obj.name!r} is already declared at {prev.location()}",
                    obj.location(),
                )
            )
            duplicates.append(obj)
            continue
        first[obj.address] = obj
        out.append(obj)
    return out, duplicates


def _same_content(a: RawObject, b: RawObject) -> bool:
    """Two unnamed entries with one derived name: the same object, or a hash collision?"""
    if a.body == b.body:
        return True
    try:
        specs = [
            o.info.model.model_validate(o.info.coerce(o.section, o.name, o.body)).canonical_spec()
            for o in (a, b)
        ]
    except (ValidationError, ValueError, TypeError):
        return False
    return specs[0] == specs[1]


def _validate_models(
    objects: list[RawObject], diags: list[Diagnostic]
) -> list[tuple[RawObject, dict[str, Any], KindModel]]:
    """Validate each object (a list TypeAdapter per kind measured no faster)."""
    by_kind: dict[str, list[tuple[RawObject, dict[str, Any]]]] = {}
    for obj in objects:
        try:
            data = obj.info.coerce(obj.section, obj.name, obj.body)
        except (PydanticCustomError, ValueError, TypeError) as exc:
            _report_coerce(obj, exc, diags)
            continue
        by_kind.setdefault(obj.info.kind, []).append((obj, data))
    results: dict[int, tuple[RawObject, dict[str, Any], KindModel]] = {}
    for kind, items in by_kind.items():
        model = get_kind(kind).model
        validate = model.__pydantic_validator__.validate_python  # model_validate, less a wrapper
        for obj, data in items:
            try:
                results[id(obj)] = (obj, data, validate(data))
            except ValidationError as exc:
                from finopsmetrics_cli.config.errors_map import map_errors

                for fe in map_errors(exc.errors(), data, model):
                    diags.append(_field_diag(obj, fe))
    return [results[id(o)] for o in objects if id(o) in results]


_BATCH = 32  # below this, building a list serialiser costs more than it saves
_SERIALIZERS: dict[type[KindModel], SchemaSerializer] = {}


def _list_serializer(model: type[KindModel]) -> SchemaSerializer:
    """A list serialiser wrapped around the model's own core schema: what
    ``TypeAdapter(list[model])`` builds, without regenerating the schema (~1 ms a kind)."""
    serializer = _SERIALIZERS.get(model)
    if serializer is None:
        schema = core_schema.list_schema(model.__pydantic_core_schema__)
        serializer = _SERIALIZERS[model] = SchemaSerializer(schema)
    return serializer


def _canonical_specs(models: list[KindModel]) -> list[dict[str, Any]]:
    """``canonical_spec()`` of each model, serialised one pydantic call per kind (3x faster)."""
    by_kind: dict[type[KindModel], list[int]] = {}
    for i, m in enumerate(models):
        by_kind.setdefault(type(m), []).append(i)
    out: list[dict[str, Any]] = [{} for _ in models]
    for cls, indexes in by_kind.items():
        if len(indexes) < _BATCH or cls.canonical_spec is not KindModel.canonical_spec:
            for i in indexes:
                out[i] = models[i].canonical_spec()
            continue
        dumped = _list_serializer(cls).to_python(
            [models[i] for i in indexes],
            mode="json",
            exclude_none=True,
            exclude={"__all__": set(cls.META_FIELDS)},
        )
        for i, spec in zip(indexes, dumped, strict=True):
            out[i] = spec
    return out


def _report_coerce(obj: RawObject, exc: Exception, diags: list[Diagnostic]) -> None:
    from finopsmetrics_cli.models.errors import code_for

    if isinstance(exc, PydanticCustomError):
        code = code_for(exc.type) or "E123"
        message = exc.message()
    else:
        code, message = "E123", str(exc)
    diags.append(
        codes.diag(code, f"{obj.info.kind} {obj.name!r}: {message}", obj.source.locate(obj.path))
    )


def _field_diag(obj: RawObject, fe: FieldError) -> Diagnostic:
    src = obj.source
    if fe.path and fe.path[0] == "name" and obj.name_is_key:
        loc = src.locate(obj.path, key=True)
    elif fe.at_parent:
        parent = fe.path[:-1]
        loc = src.locate(yaml_path(obj, parent)) if parent else obj.location()
    else:
        loc = src.locate(yaml_path(obj, fe.path), key=fe.at_key)
    message = f"{obj.info.kind} {obj.name!r}: {fe.message}"
    return codes.diag(fe.code, message, loc, hint=fe.hint, path=fe.path)


def _desired(
    info: KindInfo,
    model: KindModel,
    spec: dict[str, Any],
    location: Location | Callable[[], Location | None] | None,
    refs: tuple[str, ...],
) -> DesiredObject:
    life = model.lifecycle
    lifecycle = (
        ObjectLifecycle(life.prevent_destroy, tuple(life.ignore_changes)) if life else _NO_LIFECYCLE
    )
    return DesiredObject(info.kind, model.name, spec, lifecycle, location, refs)


_NO_LIFECYCLE = ObjectLifecycle()  # frozen: one shared default, not one per object


def digest(objects: dict[str, DesiredObject], settings: Settings) -> str:
    """sha256 over the canonical objects and settings: formatting and order never change it.

    The hashed text is ``json.dumps({"objects": ..., "settings": ...}, sort_keys=True,
    separators=(",", ":"), default=str)``, encoded in two parts: specs are fresh
    serialiser output, never cyclic, so their encoder skips the circular-reference
    bookkeeping (~25% of it on 10,000 objects); settings come from YAML and keep it."""
    specs = {
        a: [o.spec, o.lifecycle.prevent_destroy, list(o.lifecycle.ignore_changes)]
        for a, o in sorted(objects.items())
    }
    h = hashlib.sha256(b'{"objects":')
    h.update(_dumps(specs, check_circular=False).encode("utf-8"))
    h.update(b',"settings":')
    h.update(_dumps(settings.raw, check_circular=True).encode("utf-8"))
    h.update(b"}")
    return h.hexdigest()


def _dumps(value: Any, *, check_circular: bool) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), default=str, check_circular=check_circular
    )


def validate_desired(
    kind: str,
    name: str,
    spec_dict: dict[str, Any],
    *,
    settings: Settings | None = None,
    known_addresses: Known = None,
) -> DesiredObject:
    """Validate one object given as a spec (Terraform, Pulumi): same checks as a file.

    Diagnostics carry ``path`` inside the spec and no location. ``known_addresses``
    says which ``KIND.NAME`` exist (a set, or a predicate); without it references
    are only checked against built-ins... and not reported.
    """
    try:
        info = get_kind(kind)
    except KeyError:
        raise ValidationFailed(
            [codes.diag("E102", f"unknown kind {kind!r}", hint=suggest(kind, _kind_names()))]
        ) from None
    diags: list[Diagnostic] = []
    try:
        data = info.model.coerce_body(name, spec_dict)
    except PydanticCustomError as exc:
        from finopsmetrics_cli.models.errors import code_for

        raise ValidationFailed([codes.diag(code_for(exc.type) or "E123", exc.message())]) from None
    try:
        model = info.model.model_validate(data)
    except ValidationError as exc:
        from finopsmetrics_cli.config.errors_map import map_errors

        raise ValidationFailed(
            [
                codes.diag(fe.code, f"{kind} {name!r}: {fe.message}", hint=fe.hint, path=fe.path)
                for fe in map_errors(exc.errors(), data, info.model)
            ]
        ) from None
    settings = settings or Settings()
    check_conditions(
        None, data, condition_schema(settings, None, diags), diags, kind=info, name=name
    )
    refs: tuple[str, ...] = ()
    spec = model.canonical_spec()
    if known_addresses is not None:
        known = known_addresses
        exists: Callable[[str, str], bool] = (
            (lambda k, n: known(f"{k}.{n}"))
            if callable(known)
            else (lambda k, n: f"{k}.{n}" in known)
        )
        refs = check_references(None, model, spec, exists, diags, info=info)
    if any(d.severity == "error" for d in diags):
        raise ValidationFailed(diags)
    return _desired(info, model, spec, None, refs)


def validate_object(
    kind: str,
    name: str,
    spec_dict: dict[str, Any],
    *,
    settings: Settings | None = None,
    known_addresses: Known = None,
) -> dict[str, Any]:
    """The canonical spec of one object (what the engine stores), or ``ValidationFailed``."""
    return validate_desired(
        kind, name, spec_dict, settings=settings, known_addresses=known_addresses
    ).spec


def _kind_names() -> list[str]:
    from finopsmetrics_cli.models.base import kinds

    return [k.kind for k in kinds()]
