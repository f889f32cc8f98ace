"""Canonical specs are a fixed point: what state stores validates back to itself,
so a stored spec never diffs against the same YAML (and Terraform/Pulumi, which
send canonical specs, see no spurious changes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.models.routing import SEED_FIXTURES, load_yaml, objects

ROOT = Path(__file__).resolve().parents[3]
FILES = [ROOT / "examples" / "finopsmetrics.yaml", *sorted(SEED_FIXTURES.glob("*.yaml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_canonical_spec_is_idempotent(path: Path) -> None:
    for info, name, data in objects(load_yaml(path)):
        first = info.model.model_validate(data).canonical_spec()
        again = info.model.model_validate({**first, "name": name}).canonical_spec()
        assert again == first, f"{info.kind}.{name}"


def test_reference_docs_cover_every_kind() -> None:
    from finopsmetrics_cli.models import kinds

    text = (ROOT / "docs" / "reference" / "file-format.md").read_text(encoding="utf-8")
    for info in kinds():
        section = text.split(f"\n### {info.kind}\n", 1)[1].split("\n### ", 1)[0]
        assert "| field | type | default | description |" in section, info.kind
        assert "Example (from `examples/finopsmetrics.yaml`):" in section, info.kind
