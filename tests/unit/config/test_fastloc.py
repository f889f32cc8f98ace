"""Entry positions found by the line scan equal ruamel's, or the scan abstains."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.config.fastloc import EntryIndex
from finopsmetrics_cli.config.loader import collect_text
from finopsmetrics_cli.config.source import parse_text

SEED = Path(__file__).parents[2] / "fixtures" / "seed"

LAYOUTS = {
    "list": "budgets:\n  - name: a\n    amount: 1\n  - name: b\n    amount: 2\n",
    "list_at_key_indent": "budgets:\n- name: a\n  amount: 1\n-   name: b\n    amount: 2\n",
    "comments_and_blanks": (
        "# head\nteams:\n\n  # one\n  - name: a   # c\n\n# col0 comment\n  - name: b\nbudgets: []\n"
    ),
    "mapping": "teams:\n  a: {cost_center: x}\n  'b c':\n    cost_center: y\n  \"d\": {}\n",
    "nested_alias": (
        "tags:\n  auto_tagging_rules:\n    - pattern: x\n      tags: {a: b}\n"
        "business_mapping:\n  products:\n    web: {services: [w]}\n  features:\n  - name: f\n"
    ),
    "block_scalar_lines_that_look_like_items": (
        "policies:\n  - name: p\n    action: prevent\n"
        '    condition: |\n      resource.type == "x"\n'
        "      - not an item\n  - name: q\n    action: prevent\n"
        '    condition: resource.type == "y"\n'
    ),
    "single_object": (
        "shared_service_attribution:\n  # c\n  resource_id: db\n"
        "  allocations: [{service: a, share: 1}]\n"
    ),
    "flow_section": "teams: [{name: a}, {name: b}]\nbudgets: {x: {amount: 1}}\n",
    "crlf": "teams:\r\n  - name: a\r\n  - name: b\r\n",
}


def _compare(text: str, *, scanned: bool = True) -> int:
    raw = collect_text(text, "t.yaml")
    fast = [o.location() for o in raw.objects]
    assert all(not s._composed for s in raw.files) == scanned  # ruamel was not needed
    slow = [o.source.locate(o.path, key=o.name_is_key) for o in raw.objects]
    assert fast == slow
    return len(fast)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layouts_agree_with_ruamel(name: str) -> None:
    assert _compare(LAYOUTS[name], scanned=name != "flow_section") >= 1


@pytest.mark.parametrize("path", sorted(SEED.glob("*.yaml")), ids=lambda p: p.stem)
def test_seed_files_agree_with_ruamel(path: Path) -> None:
    assert _compare(path.read_text()) >= 1


def test_scan_abstains_on_flow_and_checks_counts() -> None:
    text = LAYOUTS["flow_section"]
    source, _ = parse_text(text, "t.yaml")
    assert source is not None
    index = EntryIndex(text)
    assert index.entries(("teams",), source.data, source.data["teams"]) is None
    # keys that do not match the data make it abstain too
    assert EntryIndex(text).entries((), source.data, {"teams": 1}) is None
