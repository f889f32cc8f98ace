"""``python -m finopsmetrics_cli.tools.generate [--check]``: regenerate the
published JSON Schema and the generated reference docs from the models.

``--check`` writes nothing and exits 1 listing the stale files (used by tests
and CI, so the published schema can never lag behind the models)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "schemas" / "finopsmetrics.schema.json"
FILE_FORMAT_DOC = ROOT / "docs" / "reference" / "file-format.md"
EXAMPLE_FILE = ROOT / "examples" / "finopsmetrics.yaml"


def generated_files() -> dict[Path, str]:
    """Every generated file and the text it must contain."""
    from finopsmetrics_cli.schema import file_schema
    from finopsmetrics_cli.tools.docs import render_file_format

    return {
        SCHEMA_FILE: json.dumps(file_schema(), indent=2, ensure_ascii=False) + "\n",
        FILE_FORMAT_DOC: render_file_format(EXAMPLE_FILE),
    }


def stale_files() -> list[Path]:
    return [
        path
        for path, text in generated_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run `make schema`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
