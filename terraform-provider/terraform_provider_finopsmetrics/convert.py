"""Moving values between Terraform's wire form and the engine's spec form.

*Wire* values are what msgpack gives: Terraform attribute names, every
attribute present (null when unset), ``Unknown`` for values not known yet,
dynamic values wrapped as ``[type, value]``. *Spec* values are the engine's
canonical spec: model field names, unset fields absent.

No validation, defaults or diffing happen here: the engine computes the
canonical spec, and these functions only translate it.
"""

from __future__ import annotations

from typing import Any

from tf.types import Unknown

from terraform_provider_finopsmetrics.schema import KindSchema, TfField

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


# ------------------------------------------------------------ wire -> spec


def _decode(f: TfField, value: Any) -> Any:
    if value is None:
        return None
    if f.style == "attr":
        assert f.tf_type is not None
        return f.tf_type.decode(value)
    if f.nesting == "single":
        return _decode_object(f.children, value)
    if f.nesting == "list":
        return [_decode_object(f.children, v) for v in value]
    return {k: _decode_object(f.children, v) for k, v in value.items()}


def _decode_object(fields: list[TfField], wire: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        value = _decode(f, wire.get(f.tf_name))
        if value is None or (f.style == "block" and f.nesting == "list" and value == []):
            continue
        out[f.spec_name] = value
    return out


def wire_to_spec(ks: KindSchema, wire: Wire) -> dict[str, Any]:
    """The spec a configuration (or state) describes: unset fields left out."""
    return _decode_object(ks.fields, wire)


# ------------------------------------------------------------ spec -> wire


def _encode(f: TfField, value: Any, template: Any = None) -> Any:
    """Encode ``value``; reuse ``template`` (a prior wire value) when it says the same."""
    if value is None:
        return [] if f.style == "block" and f.nesting == "list" else None
    if template is not None and not has_unknown(template) and _decode(f, template) == value:
        return template
    if f.style == "attr":
        assert f.tf_type is not None
        return f.tf_type.encode(value)
    if f.nesting == "single":
        return _encode_object(f.children, value, template if isinstance(template, dict) else None)
    if f.nesting == "list":
        olds = template if isinstance(template, list) else []
        return [
            _encode_object(f.children, v, olds[i] if i < len(olds) else None)
            for i, v in enumerate(value)
        ]
    olds_map = template if isinstance(template, dict) else {}
    return {k: _encode_object(f.children, v, olds_map.get(k)) for k, v in value.items()}


def _encode_object(fields: list[TfField], spec: dict[str, Any], template: dict[str, Any] | None) -> Wire:
    template = template or {}
    return {f.tf_name: _encode(f, spec.get(f.spec_name), template.get(f.tf_name)) for f in fields}


def spec_to_wire(ks: KindSchema, spec: dict[str, Any], template: Wire | None = None,
                 keep: set[str] | frozenset[str] = frozenset()) -> Wire:
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


def _fill(f: TfField, config: Any, canonical: Any, known: bool) -> Any:
    """Planned wire value: the config's where set, the canonical one where computed."""
    if config is Unknown:
        return Unknown
    if config is None or (f.style == "block" and config == []):
        if f.style == "block":
            return config
        if not f.computed:
            return None
        return _encode(f, canonical) if known else Unknown
    if f.style == "attr":
        return config
    if f.nesting == "single":
        return _fill_object(f.children, config, canonical if isinstance(canonical, dict) else {}, known)
    if f.nesting == "list":
        canon = canonical if isinstance(canonical, list) else []
        return [
            _fill_object(f.children, v, canon[i] if i < len(canon) else {}, known)
            if isinstance(v, dict) else v
            for i, v in enumerate(config)
        ]
    canon_map = canonical if isinstance(canonical, dict) else {}
    return {k: _fill_object(f.children, v, canon_map.get(k, {}), known) if isinstance(v, dict) else v
            for k, v in config.items()}


def _fill_object(fields: list[TfField], config: dict[str, Any], canonical: dict[str, Any],
                 known: bool) -> Wire:
    return {f.tf_name: _fill(f, config.get(f.tf_name), canonical.get(f.spec_name), known)
            for f in fields}


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
        if current is not None and current.nesting == "map" and steps and not isinstance(steps[-1], tuple):
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
