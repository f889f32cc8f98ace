"""Render a spec as a Terraform resource block, through the derived schema.

Used for the generated docs' examples, the benchmark's 200 resources and the
tests; it is the inverse of what the provider reads, so a spec rendered here
and applied with Terraform lands as the same canonical spec.
"""

from __future__ import annotations

import json
import re
from typing import Any

from terraform_provider_finopsmetrics.schema import TfField, kind_schema

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl_string(text: str) -> str:
    """A quoted HCL string; ``${`` and ``%{`` are escaped so nothing interpolates."""
    return json.dumps(text, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def hcl_value(value: Any, indent: int = 0) -> str:
    pad = "  " * indent
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(hcl_value(v) for v in value) + "]"
        items = ",\n".join(f"{pad}  {hcl_value(v, indent + 1)}" for v in value)
        return f"[\n{items},\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [f"{pad}  {_key(k)} = {hcl_value(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _key(key: str) -> str:
    return key if _IDENT.match(key) else hcl_string(key)


def _nested_value(f: TfField, value: Any) -> Any:
    """A nested attribute's value with Terraform names for its keys."""
    if f.style == "attr" or value is None:
        return value
    if f.nesting == "single":
        return _rename(f.children, value)
    if f.nesting == "list":
        return [_rename(f.children, v) for v in value]
    return {k: _rename(f.children, v) for k, v in value.items()}


def _rename(fields: list[TfField], spec: dict[str, Any]) -> dict[str, Any]:
    return {f.tf_name: _nested_value(f, spec[f.spec_name]) for f in fields if f.spec_name in spec}


def _body(fields: list[TfField], spec: dict[str, Any], indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    for f in fields:
        if f.spec_name not in spec or f.style == "block":
            continue
        lines.append(f"{pad}{f.tf_name} = {hcl_value(_nested_value(f, spec[f.spec_name]), indent)}")
    for f in fields:
        if f.spec_name not in spec or f.style != "block":
            continue
        value = spec[f.spec_name]
        for item in value if f.nesting == "list" else [value]:
            lines.append("")
            lines.append(f"{pad}{f.tf_name} {{")
            lines.extend(_body(f.children, item, indent + 1))
            lines.append(f"{pad}}}")
    return lines


def render_resource(
    kind: str, label: str, name: str, spec: dict[str, Any], extra: dict[str, Any] | None = None
) -> str:
    """``resource "finopsmetrics_<kind>" "<label>" { name = ... }`` for one spec."""
    ks = kind_schema(kind)
    lines = [f'resource "finopsmetrics_{kind}" "{label}" {{', f"  name = {hcl_string(name)}"]
    for key, value in (extra or {}).items():
        lines.append(f"  {key} = {hcl_value(value, 1)}")
    lines.extend(_body(ks.fields, spec, 1))
    lines.append("}")
    return "\n".join(lines) + "\n"
