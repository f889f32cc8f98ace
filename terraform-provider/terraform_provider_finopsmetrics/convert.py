"""Moving values between Terraform's wire form and the engine's spec form.

*Wire* values are what msgpack gives: Terraform attribute names, every
attribute present (null when unset), ``Unknown`` for values not known yet,
dynamic values wrapped as ``[type, value]``. *Spec* values are the engine's
canonical spec: model field names, unset fields absent.

No validation, defaults or diffing happen here: the engine computes the
canonical spec, and these functions only translate it.
"""

from __future__ import annotations

import json
from typing import Any

from tf.types import Unknown

from terraform_provider_finopsmetrics.schema import KindSchema, TfField
from terraform_provider_finopsmetrics.tftypes import Dynamic, type_json

Wire = dict[str, Any]


def has_unknown(value: Any) -> bool:
    """True if any part of a wire value is not known yet (plan time)."""
    if value is Unknown:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


# ------------------------------------------------------------ wrapping
#
# A nested block list that contains a dynamic attribute (a widget's free-form
# ``config``) has no single static type, so Terraform sends the whole value as
# a dynamic one: ``[concrete_type_json, value]``, where the inner values are
# plain (their concrete types are in that type JSON).


def _unwrap(value: Any) -> tuple[bool, Any]:
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes):
        return True, value[1]
    return False, value


def _has_dynamic(f: TfField) -> bool:
    if f.style == "attr":
        return isinstance(f.tf_type, Dynamic)
    return any(_has_dynamic(c) for c in f.children)


def _needs_wrap(f: TfField) -> bool:
    return f.style == "block" and _has_dynamic(f)


def _concrete_type(f: TfField, value: Any) -> Any:
    """The cty type (JSON) Terraform gives a plain value of field ``f``."""
    if f.style == "attr":
        assert f.tf_type is not None
        if isinstance(f.tf_type, Dynamic):
            return type_json(value) if value is not None else "dynamic"
        return json.loads(f.tf_type.tf_type())
    if f.nesting == "single":
        return [
            "object",
            {c.tf_name: _concrete_type(c, (value or {}).get(c.tf_name)) for c in f.children},
        ]
    if f.nesting == "list":
        element = TfField(f.tf_name, f.spec_name, f.style, children=f.children)
        return ["tuple", [_concrete_type(element, v) for v in value or []]]
    return [
        "object",
        {
            k: _concrete_type(TfField(k, k, f.style, children=f.children), v)
            for k, v in (value or {}).items()
        },
    ]


def _wrap(f: TfField, plain: Any) -> Any:
    return [json.dumps(_concrete_type(f, plain), separators=(",", ":")).encode(), plain]


# ------------------------------------------------------------ wire -> spec


def _decode(f: TfField, value: Any, plain: bool = False) -> Any:
    if value is None:
        return None
    if f.style == "attr":
        assert f.tf_type is not None
        return value if plain else f.tf_type.decode(value)
    wrapped, value = _unwrap(value)
    plain = plain or wrapped
    if value is None:
        return None
    if f.nesting == "single":
        return _decode_object(f.children, value, plain)
    if f.nesting == "list":
        return [_decode_object(f.children, v, plain) for v in value]
    return {k: _decode_object(f.children, v, plain) for k, v in value.items()}


def _decode_object(
    fields: list[TfField], wire: dict[str, Any], plain: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        value = _decode(f, wire.get(f.tf_name), plain)
        if value is None or (f.style == "block" and f.nesting == "list" and value == []):
            continue
        out[f.spec_name] = value
    return out


def wire_to_spec(ks: KindSchema, wire: Wire) -> dict[str, Any]:
    """The spec a configuration (or state) describes: unset fields left out."""
    return _decode_object(ks.fields, wire)


# ------------------------------------------------------------ spec -> wire


def _encode(f: TfField, value: Any, template: Any = None, plain: bool = False) -> Any:
    """Encode ``value``; reuse ``template`` (a prior wire value) when it says the same."""
    if template is not None and not has_unknown(template) and _decode(f, template, plain) == value:
        return template
    wrapped, template = _unwrap(template) if f.style != "attr" else (False, template)
    if value is None:
        empty: Any = [] if f.style == "block" and f.nesting == "list" else None
        return _wrap(f, empty) if empty == [] and not plain and _needs_wrap(f) else empty
    if f.style == "attr":
        assert f.tf_type is not None
        return value if plain else f.tf_type.encode(value)
    if not plain and (wrapped or _needs_wrap(f)):
        return _wrap(f, _encode(f, value, template, plain=True))
    if f.nesting == "single":
        return _encode_object(
            f.children, value, template if isinstance(template, dict) else None, plain
        )
    if f.nesting == "list":
        olds = template if isinstance(template, list) else []
        return [
            _encode_object(f.children, v, olds[i] if i < len(olds) else None, plain)
            for i, v in enumerate(value)
        ]
    olds_map = template if isinstance(template, dict) else {}
    return {k: _encode_object(f.children, v, olds_map.get(k), plain) for k, v in value.items()}


def _encode_object(
    fields: list[TfField],
    spec: dict[str, Any],
    template: dict[str, Any] | None,
    plain: bool = False,
) -> Wire:
    template = template or {}
    return {
        f.tf_name: _encode(f, spec.get(f.spec_name), template.get(f.tf_name), plain) for f in fields
    }


def spec_to_wire(
    ks: KindSchema,
    spec: dict[str, Any],
    template: Wire | None = None,
    keep: set[str] | frozenset[str] = frozenset(),
) -> Wire:
    """Wire attributes for a live spec.

    ``template`` is the prior wire state. Fields in ``keep`` (spec names the
    engine found equal once canonical) keep the template's value as written,
    even a block left out whose live value is the default; other fields equal
    to the template keep its exact encoding.
    """
    template = template or {}
    out: Wire = {}
    for f in ks.fields:
        prior = template.get(f.tf_name)
        if f.spec_name in keep and f.tf_name in template:
            out[f.tf_name] = prior
        else:
            out[f.tf_name] = _encode(f, spec.get(f.spec_name), prior)
    return out


# ------------------------------------------------------------ planning


def _fill(f: TfField, config: Any, canonical: Any, known: bool, plain: bool = False) -> Any:
    """Planned wire value: the config's where set, the canonical one where computed."""
    if config is Unknown:
        return Unknown
    if f.style == "attr":
        if config is not None or not f.computed:
            return config
        if not known:
            return Unknown
        return _encode(f, canonical, plain=plain)
    wrapped, inner = _unwrap(config)
    if wrapped:
        return _wrap(f, _fill(f, inner, canonical, known, plain=True))
    if inner is None or (f.style == "block" and inner == []):
        if f.style == "block" or not f.computed:
            return config
        return _encode(f, canonical, plain=plain) if known else Unknown
    if f.nesting == "single":
        return _fill_object(
            f.children, inner, canonical if isinstance(canonical, dict) else {}, known, plain
        )
    if f.nesting == "list":
        canon = canonical if isinstance(canonical, list) else []
        return [
            _fill_object(f.children, v, canon[i] if i < len(canon) else {}, known, plain)
            if isinstance(v, dict)
            else v
            for i, v in enumerate(inner)
        ]
    canon_map = canonical if isinstance(canonical, dict) else {}
    return {
        k: _fill_object(f.children, v, canon_map.get(k, {}), known, plain)
        if isinstance(v, dict)
        else v
        for k, v in inner.items()
    }


def _fill_object(
    fields: list[TfField],
    config: dict[str, Any],
    canonical: dict[str, Any],
    known: bool,
    plain: bool = False,
) -> Wire:
    return {
        f.tf_name: _fill(f, config.get(f.tf_name), canonical.get(f.spec_name), known, plain)
        for f in fields
    }


def plan_wire(ks: KindSchema, config: Wire, canonical: dict[str, Any] | None) -> Wire:
    """The planned spec attributes. ``canonical`` None: not computable yet (unknowns)."""
    return _fill_object(ks.fields, config, canonical or {}, canonical is not None)


def wire_path(ks: KindSchema, path: tuple[str | int, ...]) -> list[Any]:
    """A spec path (Diagnostic.path) as a Terraform attribute path."""
    steps: list[Any] = []
    fields = ks.fields
    current: TfField | None = None
    for step in path:
        if isinstance(step, int):
            steps.append((step,))
            continue
        if current is not None and current.style == "attr":
            steps.append((step,))  # a map key
            continue
        if (
            current is not None
            and current.nesting == "map"
            and steps
            and not isinstance(steps[-1], tuple)
        ):
            steps.append((step,))
            continue
        match = next((f for f in fields if f.spec_name == step), None)
        if match is None:
            steps.append(step)
            break
        steps.append(match.tf_name)
        current = match
        fields = match.children
    return steps
