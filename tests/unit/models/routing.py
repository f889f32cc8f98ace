"""A minimal section router for model tests: walks a YAML document the way
SEED_SHAPES describes (both section shapes, single objects, dotted aliases,
derived names) and yields model input per object. The real loader lives in
``config/``; this keeps the model tests independent of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from finopsmetrics_cli.models import KindInfo, all_sections, get_kind

SEED_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "seed"


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _sections(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    sections = all_sections()
    for key, value in doc.items():
        if key in ("version", "settings"):
            continue
        if key in sections:
            yield key, value
            continue
        nested = [s for s in sections if s.startswith(f"{key}.")]
        assert nested, f"unknown section {key!r}"
        for child, child_value in value.items():
            assert f"{key}.{child}" in sections, f"unknown section {key}.{child}"
            yield f"{key}.{child}", child_value


def objects(doc: dict[str, Any]) -> Iterator[tuple[KindInfo, str, dict[str, Any]]]:
    """(kind info, name, model input) for every object of a document."""
    for section, value in _sections(doc):
        info = get_kind(all_sections()[section])
        if section in info.single_object_sections and isinstance(value, dict):
            entries = [(info.name_of(value, section), value)]
        elif isinstance(value, list):
            entries = [
                (item.get(info.name_key) or info.name_of(item, section), item) for item in value
            ]
        else:
            entries = list(value.items())
        for name, body in entries:
            yield info, name, info.coerce(section, name, body)
