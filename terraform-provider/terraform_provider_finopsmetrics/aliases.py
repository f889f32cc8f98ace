"""The only hand-written part of the Terraform shapes: how HCL spells a field.

Everything else is derived from the models. Paths are the model's dotted
field paths (``*`` for a list element), as in ``Ref`` declarations.
"""

from __future__ import annotations

#: Sub-model fields written as HCL *blocks* rather than ``x = {...}``
#: attributes, with the block's name. The seed's HCL (section 8.1) writes
#: ``action {}``, ``model {}``/``alerts {}`` and repeated ``widget {}``.
BLOCKS: dict[str, dict[str, str]] = {
    "policy": {"action": "action"},
    "anomaly_detector": {"model": "model", "alerts": "alerts"},
    "dashboard": {"widgets": "widget"},
}

#: Fields whose model name Terraform reserves (a meta-argument) or that read
#: badly in HCL: model path -> HCL name.
RENAMES: dict[str, dict[str, str]] = {}

#: Names Terraform takes for itself inside a resource block, plus ``id``,
#: ``name`` and ``adopt``, which the provider adds to every resource.
RESERVED = frozenset(
    {
        "count",
        "for_each",
        "depends_on",
        "lifecycle",
        "provider",
        "provisioner",
        "connection",
        "id",
        "adopt",
    }
)
