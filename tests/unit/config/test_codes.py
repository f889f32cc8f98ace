"""The error reference page documents every code, and is generated from the registries."""

from __future__ import annotations

import re
from pathlib import Path

from finopsmetrics_cli.config.codes import CODES, diag
from finopsmetrics_cli.config.errors_doc import render_errors_reference

ROOT = Path(__file__).parents[3]
PAGE = ROOT / "docs" / "reference" / "errors.md"


def test_errors_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == render_errors_reference(), (
        "regenerate: python -m finopsmetrics_cli.config.errors_doc"
    )


def test_every_code_used_in_the_source_is_documented() -> None:
    page = PAGE.read_text(encoding="utf-8")
    src = ROOT / "src" / "finopsmetrics_cli"
    used: set[str] = set()
    for path in [*(src / "config").glob("*.py"), *(src / "conditions").glob("*.py")]:
        used |= set(re.findall(r'"([EWC]\d{3})"', path.read_text(encoding="utf-8")))
    missing = sorted(c for c in used if f'id="{c.lower()}"' not in page)
    assert missing == []


def test_codes_are_unique_and_diag_uses_defaults() -> None:
    from finopsmetrics_cli.models.errors import ERROR_CODES

    model_codes = [e.code for e in ERROR_CODES.values()]
    assert len(set(model_codes)) == len(model_codes)
    assert not set(model_codes) & set(CODES)
    d = diag("W301", "x")
    assert d.severity == "warning" and d.hint is None
    assert diag("E011", "tab").hint == "YAML indents with spaces only; replace the tab with spaces"
