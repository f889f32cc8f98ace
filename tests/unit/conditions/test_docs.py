"""docs/reference/conditions.md stays true: generated tables current, examples valid."""

from __future__ import annotations

import re
from pathlib import Path

from finopsmetrics_cli.conditions import compile_condition
from finopsmetrics_cli.conditions.docs import render
from finopsmetrics_cli.conditions.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "reference" / "conditions.md"
SOURCE = ROOT / "src" / "finopsmetrics_cli" / "conditions"


def test_generated_sections_are_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert render(page) == page, "run: python -m finopsmetrics_cli.conditions.docs"
    assert "| `resource.idle_hours` | number |" in page and "| `C209` |" in page


def test_every_error_code_raised_is_documented() -> None:
    used = set()
    for path in SOURCE.glob("*.py"):
        if path.name != "errors.py":
            used |= set(re.findall(r'"(C\d{3})"', path.read_text(encoding="utf-8")))
    assert used == set(ERROR_CODES)


def test_the_example_block_conditions_are_valid() -> None:
    page = PAGE.read_text(encoding="utf-8")
    block = page.split("More examples, all valid:\n\n```\n")[1]
    lines = block.split("```")[0].strip().splitlines()
    assert len(lines) == 6
    for line in lines:
        compile_condition(line)


def test_the_developer_example_runs_as_documented() -> None:
    page = PAGE.read_text(encoding="utf-8")
    code = page.split("## Running conditions (for developers)\n\n```python\n")[1].split("```")[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "conditions.md", "exec"), namespace)  # noqa: S102 - our own docs
    fragment = namespace["fragment"]
    assert fragment.sql == "((type = CAST(? AS VARCHAR)) AND (gpus >= CAST(? AS DOUBLE)))"  # type: ignore[attr-defined]
    assert fragment.params == ["ec2_instance", 8.0]  # type: ignore[attr-defined]
