"""The published JSON Schema of ``finopsmetrics.yaml``, generated from the kind
registry (never written by hand; ``schemas/finopsmetrics.schema.json`` is this
output, and a test fails when the file is stale).

Each model's own JSON Schema shows the canonical shape of its fields (what
Terraform and Pulumi schemas are derived from). The file format also accepts
shorthand spellings (``80%``, ``action: require_approval``, ``notification:
slack``, ``Monthly``); types list those under ``x-shorthand`` and
:func:`file_schema` widens every such node to ``anyOf [canonical, shorthand]``,
so that editors accept exactly what the CLI accepts.

Per kind the schema allows the section shapes of SEED_SHAPES: a list of
objects (each with its name key, optional where the kind derives names), a
mapping name -> object, and for single-object sections (4.3) the object itself;
dotted aliases (``tags.auto_tagging_rules``) become nested properties.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic.json_schema import models_json_schema

from finopsmetrics_cli.models import KindInfo, get_kind, kinds
from finopsmetrics_cli.models.types import SHORTHAND

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://finopsmetrics.dev/schemas/finopsmetrics.schema.json"
_DEFS = "#/$defs/"


def widen_shorthands(node: Any) -> Any:
    """Replace every ``{..., "x-shorthand": alt}`` by ``{"anyOf": [{...}, alt]}``."""
    if isinstance(node, list):
        return [widen_shorthands(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: widen_shorthands(value) for key, value in node.items()}
    alt = node.pop(SHORTHAND, None)
    if alt is None:
        return node
    annotations = {k: node.pop(k) for k in ("description", "title", "default") if k in node}
    return {**annotations, "anyOf": [node, alt]}


def _model_defs() -> tuple[dict[str, Any], dict[str, str]]:
    """All kind models' schemas as ``$defs``; kind -> def name."""
    infos = list(kinds())
    refs, top = models_json_schema(
        [(info.model, "validation") for info in infos], ref_template=_DEFS + "{model}"
    )
    names = {info.kind: refs[(info.model, "validation")]["$ref"][len(_DEFS) :] for info in infos}
    return top.get("$defs", {}), names


def _body(
    defs: dict[str, Any], info: KindInfo, def_name: str, *, optional: tuple[str, ...]
) -> dict[str, Any]:
    """The kind's object without its name (the name comes from the key or is derived)."""
    schema: dict[str, Any] = copy.deepcopy(defs[def_name])
    schema["properties"].pop("name", None)
    required = [f for f in schema.get("required", []) if f != "name" and f not in optional]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    schema.pop("title", None)
    return schema


def _item(body: dict[str, Any], info: KindInfo) -> dict[str, Any]:
    """A list entry: the body plus the name key (``rule`` for lifecycle_rule)."""
    item = copy.deepcopy(body)
    item["properties"] = {
        info.name_key: {
            "type": "string",
            "minLength": 1,
            "description": "Unique name within the kind.",
        },
        **item["properties"],
    }
    return item


def _section_schema(
    defs: dict[str, Any], info: KindInfo, def_name: str, section: str
) -> dict[str, Any]:
    """``anyOf`` the section shapes; the body and list-entry schemas go to ``$defs``
    once per kind (and once more per section whose defaults make fields optional)."""
    optional = tuple(info.defaults_for(section)) + tuple(info.model.body_defaults_fields())
    suffix = "" if not info.defaults_for(section) else "_" + section.replace(".", "_")
    body_name, item_name = f"{def_name}Body{suffix}", f"{def_name}Entry{suffix}"
    if body_name not in defs:
        body = _body(defs, info, def_name, optional=optional)
        defs[item_name] = _item(body, info)
        shorthand = info.model.body_shorthand_schema()
        defs[body_name] = {"anyOf": [body, shorthand]} if shorthand else body
    shapes: list[dict[str, Any]] = [
        {"type": "array", "items": {"$ref": _DEFS + item_name}},
        {"type": "object", "additionalProperties": {"$ref": _DEFS + body_name}},
    ]
    if section in info.single_object_sections:
        shapes.insert(0, {"$ref": _DEFS + body_name})
    title = f"{info.kind} objects" + (f" ({section})" if section != info.section else "")
    return {"title": title, "description": info.description, "anyOf": shapes}


_SETTING_TYPES: dict[str, dict[str, Any]] = {
    "max_destroy": {"type": "integer", "minimum": 0},
    "attributes": {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _settings_schema() -> dict[str, Any]:
    """``settings:``, described by the loader's own table of settings."""
    from finopsmetrics_cli.config.settings import SETTINGS_DOC

    return {
        "type": "object",
        "description": "Settings for the whole configuration.",
        "properties": {
            key: {**_SETTING_TYPES.get(key, {}), "description": doc}
            for key, doc in SETTINGS_DOC.items()
        },
        "additionalProperties": False,
    }


def file_schema() -> dict[str, Any]:
    """The JSON Schema of a whole ``finopsmetrics.yaml``."""
    defs, names = _model_defs()
    properties: dict[str, Any] = {
        "version": {"description": "File format version; 1 (the default).", "enum": [1]},
        "settings": _settings_schema(),
    }
    nested: dict[str, dict[str, Any]] = {}
    for info in kinds():
        for section in info.sections:
            section_schema = _section_schema(defs, info, names[info.kind], section)
            parent, dot, child = section.partition(".")
            if dot:
                nested.setdefault(parent, {})[child] = section_schema
            else:
                properties[section] = section_schema
    for parent, children in nested.items():
        properties[parent] = {
            "type": "object",
            "properties": children,
            "additionalProperties": False,
        }
    for def_name in names.values():
        defs.pop(def_name, None)  # only its Body/Entry variants are referenced
    schema: dict[str, Any] = widen_shorthands(
        {
            "$schema": SCHEMA_DIALECT,
            "$id": SCHEMA_ID,
            "title": "finopsmetrics.yaml",
            "description": "FinOps-as-Code configuration (generated from the models).",
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "$defs": defs,
        }
    )
    return schema


def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one object of ``kind`` (as a list entry, with its name)."""
    info = get_kind(kind)
    schema = info.model.model_json_schema(mode="validation", ref_template=_DEFS + "{model}")
    widened: dict[str, Any] = widen_shorthands(
        {"$schema": SCHEMA_DIALECT, **schema, "title": info.kind}
    )
    return widened
