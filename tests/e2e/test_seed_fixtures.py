"""Every seed snippet validates as written, alone and all merged in one directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finopsmetrics_cli.config import validate_paths

SEED = Path(__file__).parents[1] / "fixtures" / "seed"
SNIPPETS = sorted(SEED.glob("*.yaml"))


def test_there_are_seed_snippets() -> None:
    assert len(SNIPPETS) >= 13


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.stem)
def test_seed_snippet_validates_alone(path: Path) -> None:
    config, diagnostics = validate_paths([path])
    assert [d.render() for d in diagnostics if d.severity == "error"] == []
    assert config is not None and config.objects


def test_all_seed_snippets_merged_in_one_directory(tmp_path: Path) -> None:
    for path in SNIPPETS:
        shutil.copy(path, tmp_path / path.name)
    config, diagnostics = validate_paths([tmp_path])
    assert [d.render() for d in diagnostics if d.severity == "error"] == []
    assert config is not None
    alone = sum(len(validate_paths([p])[0].objects) for p in SNIPPETS)  # type: ignore[union-attr]
    merged_warnings = {d.code for d in diagnostics}
    assert merged_warnings <= {"W301", "W106"}
    # identical unnamed objects in two snippets are declared once (W106), nothing else is lost
    assert len(config.objects) == alone - sum(d.code == "W106" for d in diagnostics)
