"""The user documentation holds together: every relative link (and anchor) in
``docs/`` and the READMEs resolves, and no page, test skip reason or generated
reference speaks in words only the authors know."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [*ROOT.joinpath("docs").rglob("*.md"), ROOT / "README.md", *ROOT.glob("examples/**/README.md")]
)
TEST_DIRS = [ROOT / "tests", ROOT / "terraform-provider" / "tests", ROOT / "pulumi" / "tests"]

# Words that only mean something to the people who wrote the tool.
INTERNAL = re.compile(r"(?i:\bseed\b|\broadmap\b|\bsection \d+\.\d+)|\bSPEC\b")

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def prose(text: str) -> str:
    """The text outside fenced code blocks and inline code."""
    return _CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    found: set[str] = set(_HTML_ANCHOR.findall(text))
    counts: dict[str, int] = {}
    for heading in _HEADING.findall(text):
        base = slug(heading)
        n = counts.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")
        counts[base] = n + 1
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in _LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not ours to check
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            problems.append(
                f"{target}: {dest.relative_to(ROOT) if ROOT in dest.parents else dest}"
                " does not exist"
            )
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading or anchor #{anchor} in {dest.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_use_no_internal_words(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    found = [f"{i}: {line.strip()}" for i, line in enumerate(lines, 1) if INTERNAL.search(line)]
    assert found == []


@pytest.mark.parametrize("schema", sorted(ROOT.glob("schemas/*.json")), ids=lambda p: p.name)
def test_published_schemas_use_no_internal_words(schema: Path) -> None:
    """Editors show these descriptions on hover."""
    assert INTERNAL.findall(schema.read_text(encoding="utf-8")) == []


def _skip_reasons(path: Path) -> list[tuple[int, str]]:
    reasons = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        texts = [kw.value for kw in node.keywords if kw.arg in ("reason", "msg")]
        if getattr(node.func, "attr", "") in ("skip", "skipif", "xfail", "importorskip"):
            texts += [a for a in node.args if isinstance(a, ast.Constant)]
        reasons += [
            (node.lineno, t.value)
            for t in texts
            if isinstance(t, ast.Constant) and isinstance(t.value, str)
        ]
    return reasons


def test_skip_reasons_use_no_internal_words() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {reason}"
        for test_dir in TEST_DIRS
        for path in sorted(test_dir.rglob("*.py"))
        for line, reason in _skip_reasons(path)
        if INTERNAL.search(reason)
    ]
    assert found == []


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## The `--repo` option\n")
    page.write_text(
        "# Title\n[ok](other.md#the---repo-option) [self](#title) [web](https://x.y/z)\n"
        "[gone](missing.md) [bad anchor](other.md#nope)\n"
        "```\n[in code](not-checked.md)\n```\n"
    )
    assert broken_links(page) == [
        f"missing.md: {tmp_path / 'missing.md'} does not exist",
        "other.md#nope: no heading or anchor #nope in other.md",
    ]
    assert INTERNAL.search("as the seed says") and INTERNAL.search("see SPEC 3")
    assert not INTERNAL.search("the canonical spec is stored")
