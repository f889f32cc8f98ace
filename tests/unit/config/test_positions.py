"""Condition errors point at the exact file position, whatever the scalar style."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from finopsmetrics_cli.config import validate_text
from finopsmetrics_cli.config.positions import offset_in_value, scalar_positions


def _node(text: str):  # the value node of the first key
    return YAML(typ="safe", pure=False).compose(text).value[0][1]


@pytest.mark.parametrize(
    "text",
    [
        "k: abc def\n",
        "k: 'it''s x'\n",
        'k: "a\\tb \\"q\\" \\u00e9 z"\n',
        "k: |\n  line one\n    more\n  line three\n",
        "k: |-\n  a\n  b\n",
        "k: |2\n    indented\n  b\n",
        "k: >\n  folded one\n  folded two\n\n  para\n",
        "k: plain\n  continued\n  again\n",
        'k: "multi\n  line\n  quoted"\n',
        "- x\n",
    ][:-1],
)
def test_every_character_maps_back_to_itself(text: str) -> None:
    node = _node(text)
    value = node.value
    positions = scalar_positions(text, node, value)
    lines = text.split("\n")
    for ch, (line, col) in zip(value, positions, strict=False):
        src = lines[line - 1][col - 1] if col - 1 < len(lines[line - 1]) else "\n"
        if ch in " \n" and src in " \n":
            continue  # folded line breaks map to the break
        if src == "\\" or src == "'":
            continue  # escapes map to their first character
        assert src == ch, (text, ch, line, col)


def test_offset_in_value() -> None:
    assert offset_in_value("ab\ncd\nef", 3, 2) == 7
    assert offset_in_value("ab", 1, 1) == 0


POLICY = "policies:\n  - name: p\n    action: prevent\n    condition: {cond}\n"


@pytest.mark.parametrize(
    ("cond", "line", "column"),
    [
        ("resource.cost_monthly >> 5", 4, 39),
        ("'resource.type == ''x'' AND resource.cost_monthly >> 5'", 4, 67),
        ('"resource.type == \\"x\\" AND resource.cost_monthly >> 5"', 4, 67),
        ('|\n      resource.type == "x" AND\n      resource.cost_monthly >> 5', 6, 30),
        ('|2\n        resource.type == "x" AND\n      resource.cost_monthly >> 5', 6, 30),
        ('>-\n      resource.type == "x" AND\n      resource.cost_monthly >> 5', 6, 30),
        ('resource.type == "x" AND\n      resource.cost_monthly >> 5', 5, 30),
        ('"resource.type == \\"x\\" AND\n      resource.cost_monthly >> 5"', 5, 30),
        ('|\n      resource.type == "x"\n        AND resource.gpu_cuont > 4', 6, 22),
    ],
)
def test_condition_error_location(cond: str, line: int, column: int) -> None:
    _, diags = validate_text(POLICY.format(cond=cond), "p.yaml")
    assert [(d.location.line, d.location.column) for d in diags if d.location] == [(line, column)]
    assert diags[0].code.startswith("C")


def test_condition_error_in_a_flow_mapping_and_under_a_nested_alias() -> None:
    text = (
        "tags:\n  auto_tagging_rules:\n"
        "    - {name: t, condition: 'resource.type ==', tags: {a: b}}\n"
    )
    _, diags = validate_text(text, "t.yaml")
    assert [(d.code, d.location.line) for d in diags if d.location] == [("C103", 3)]
    # unexpected end of the condition: one past its last character, before the quote
    line = text.split("\n")[2]
    assert diags[0].location is not None
    assert diags[0].location.column == line.index("==',") + 3
