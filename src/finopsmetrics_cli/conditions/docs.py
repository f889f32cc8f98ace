"""Generated parts of ``docs/reference/conditions.md`` (attribute tables, error codes).

Derived from the schema and the error catalogue so the page cannot drift;
``python -m finopsmetrics_cli.conditions.docs docs/reference/conditions.md``
rewrites the marked sections, ``--check`` fails when they are stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from finopsmetrics_cli.conditions.errors import ERROR_CODES
from finopsmetrics_cli.conditions.schema import CONTEXT_DOCS, AttributeSchema


def attribute_tables(schema: AttributeSchema | None = None) -> str:
    schema = schema or AttributeSchema.default()
    out: list[str] = []
    for context, attrs in schema.contexts.items():
        out.append(f"### `{context}`\n")
        if context in CONTEXT_DOCS:
            out.append(CONTEXT_DOCS[context] + "\n")
        out.append("| attribute | type | meaning |\n|---|---|---|")
        for attr in attrs.values():
            out.append(f"| `{attr.path}` | {attr.type} | {attr.description} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def error_table() -> str:
    rows = [f"| `{code}` | {text} |" for code, text in ERROR_CODES.items()]
    return "| code | meaning |\n|---|---|\n" + "\n".join(rows) + "\n"


SECTIONS = {"attributes": attribute_tables, "errors": error_table}


def render(page: str) -> str:
    """``page`` with every ``<!-- BEGIN GENERATED: x -->`` section regenerated."""
    for name, make in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.S
        )
        page = pattern.sub(_replacement(make()), page)
    return page


def _replacement(body: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(1) + body + m.group(2)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"] or ["docs/reference/conditions.md"]
    stale = False
    for path in map(Path, paths):
        old = path.read_text(encoding="utf-8")
        new = render(old)
        if new != old:
            stale = True
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        print("docs/reference/conditions.md is stale; run python -m "
              "finopsmetrics_cli.conditions.docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
