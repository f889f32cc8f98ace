"""The fast parser (yaml_rs) and ruamel agree on everything the fast path accepts.

The loader parses with yaml_rs when :func:`needs_ruamel` is False and with
ruamel otherwise; these tests prove that for plain scalars of every YAML 1.2
type, anchors and aliases, nesting and flow style both give equal data, that
constructs where they differ are routed to ruamel, and that errors (duplicate
keys, alias bombs) are caught on either path.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml_rs

from finopsmetrics_cli.config.source import (
    _FAILED,
    MAX_ALIAS_REPLAY,
    _fast_load,
    needs_ruamel,
    parse_text,
    slow_load,
)

# Plain scalars whose type a YAML 1.2 core-schema resolver decides.
SCALARS = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "NO",
    "true",
    "false",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    "0",
    "-0",
    "+12",
    "012",
    "08",
    "0o17",
    "0O17",
    "0x1F",
    "0xff",
    "0b101",
    "1_000",
    "1e3",
    "1E3",
    "-1.5e-3",
    "1.",
    ".5",
    "6.02e+23",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    ".NaN",
    ".nan",
    "80%",
    "24h",
    "7d",
    "1.0",
    "3.14159",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2024-01-01 10:00:00",
    "2024-01-01T10:00:00+02:00",
    "2024-01-01T10:00:00.123456Z",
    "2024-1-1",
    "0 9 * * MON",
    "*/5 * * * *",
    "#not-a-comment",
    "a#b",
    "@x",
    "`x",
    "${env:SLACK_WEBHOOK}",
    "resource.cost_monthly > 100",
    "12:30",
    "1:20:30",
    "0.",
    "-",
    "--",
    "---x",
    "a: b",
    "hello world",
    "ünïcödé",
    "日本語",
    # spellings where yaml_rs and ruamel disagree (routed to ruamel by needs_ruamel)
    "0O17",
    "0X1F",
    "0B101",
    "_1",
    "1e1_0",
    ".1e3",
    "-0X1F",
    "+.1E3",
    "0b101",
    "0o",
    "0x",
    "0o8",
    "1__0",
    "1_",
    "0.1_0",
    "1e3_",
    "0777",
    "0_7",
    "tRUE",
    "nULL",
    ".INF",
    "inf",
    "nan",
    "1,000",
    "3.",
    "*/5 * * * *",
    "${env:X}",
    "&a",
    "!x",
    "[a]",
    "{a}",
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _both(text: str) -> tuple[Any, Any]:
    assert not needs_ruamel(text), text
    fast = _fast_load(text)
    source, diags = slow_load(text, "t.yaml")
    assert not diags, diags
    assert source is not None
    return fast, source.data


@pytest.mark.parametrize("token", SCALARS)
def test_scalar_means_the_same_on_both_paths(token: str) -> None:
    """Plain, quoted, in a flow list, in a block list: parse_text gives ruamel's value,
    and when the fast path is taken its value equals ruamel's; where ruamel
    rejects the text, the fast path rejects it too."""
    texts = [
        f'k: "{token}"\n',
        f"k: '{token}'\n",
        f"k: {token}\n",
        f"k: [{token}]\n",
        f"k:\n  - {token}\n",
    ]
    for text in texts:
        slow, slow_diags = slow_load(text, "t.yaml")
        fast = _fast_load(text)
        if slow is None:
            assert slow_diags
            parsed, diags = parse_text(text, "t.yaml")
            assert parsed is None and diags, text  # an error on whichever path
            continue
        if not needs_ruamel(text) and fast is not _FAILED:  # a fast failure falls back safely
            assert _same(fast, slow.data), (text, fast, slow.data)
        parsed, _ = parse_text(text, "t.yaml")
        assert parsed is not None and _same(parsed.data, slow.data), text


def test_yaml_12_booleans_and_octals() -> None:
    fast, slow = _both("a: yes\nb: on\nc: 0o17\nd: 017\ne: 1e3\nf: .inf\n")
    assert fast == slow == {"a": "yes", "b": "on", "c": 15, "d": 17, "e": 1000.0, "f": math.inf}


def test_timestamps_stay_text_on_both_paths() -> None:
    """yaml_rs would turn even a quoted "2024-01-01" into a date; we keep all
    timestamps as written and let date-typed fields parse them."""
    text = 'a: 2024-01-01\nb: "2024-01-01"\nc: 2024-01-01T10:00:00+02:00\n'
    fast, slow = _both(text)
    assert fast == slow == {"a": "2024-01-01", "b": "2024-01-01", "c": "2024-01-01T10:00:00+02:00"}


def test_anchors_aliases_nesting_and_flow_agree() -> None:
    text = (
        "defaults: &d {channels: [slack, email], priority: high}\n"
        "budgets:\n"
        "  - name: a\n    alerts: [*d, *d]\n"
        "  - {name: b, amount: 1.5, tags: {x: [1, {y: null}]}}\n"
        "multi: |\n  line 1\n  line 2\n"
        "folded: >-\n  one\n  two\n"
        'quoted: "a\\tb\\u00e9"\n'
    )
    fast, slow = _both(text)
    assert _same(fast, slow)
    assert slow["budgets"][0]["alerts"][1]["channels"] == ["slack", "email"]


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n",  # merge key: yaml_rs keeps '<<' literally
        "a: !!str 12\n",  # explicit tag
        "a: !custom x\n",  # unknown tag
        "a: !!binary aGVsbG8=\n",
        "%YAML 1.1\n---\na: yes\n",  # 1.1 directive: yes is a boolean there
        "a: 1\n---\nb: 2\n",  # several documents
        "--- \na: 1\n",
    ],
)
def test_constructs_they_disagree_on_go_to_ruamel(text: str) -> None:
    assert needs_ruamel(text)


def test_merge_keys_resolved_like_ruamel() -> None:
    source, diags = parse_text("base: &b {p: 1, q: 2}\nx:\n  <<: *b\n  q: 3\n", "t.yaml")
    assert not diags and source is not None
    assert source.data["x"] == {"p": 1, "q": 3}
    # the fast parser would have kept the '<<' key: proof the routing matters
    assert yaml_rs.loads("base: &b {p: 1}\nx:\n  <<: *b\n")["x"] == {"<<": {"p": 1}}


def test_merge_list_earlier_source_wins() -> None:
    source, _ = parse_text("a: &a {k: 1}\nb: &b {k: 2, j: 3}\nc:\n  <<: [*a, *b]\n", "t.yaml")
    assert source is not None and source.data["c"] == {"k": 1, "j": 3}


def test_conditions_with_not_equal_stay_on_fast_path() -> None:
    assert not needs_ruamel('policies:\n  p:\n    condition: resource.env != "prod"\n')


def test_duplicate_keys_fail_fast_path_and_are_located_by_ruamel() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    assert _fast_load(text) is _FAILED
    source, diags = parse_text(text, "t.yaml")
    assert source is None
    assert [(d.code, d.location.line, d.location.column) for d in diags if d.location] == [
        ("E012", 3, 1)
    ]


def test_alias_bomb_fails_fast_path_then_reported() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefg"):
        prev = "abcdefg"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(levels) + "\n"
    assert _fast_load(text) is _FAILED  # over MAX_ALIAS_REPLAY events
    assert MAX_ALIAS_REPLAY < 10**7
    source, diags = parse_text(text, "t.yaml")
    assert source is None and [d.code for d in diags] == ["E013"]


def test_non_string_keys_fall_back_and_are_reported() -> None:
    source, diags = parse_text("teams:\n  1: {}\n  true: {}\n", "t.yaml")
    assert source is None
    assert [(d.code, d.location.line) for d in diags if d.location] == [("E017", 2), ("E017", 3)]


def test_fast_path_result_is_used_when_safe() -> None:
    source, diags = parse_text("budgets:\n  - name: a\n    amount: 1\n", "t.yaml")
    assert not diags and source is not None
    assert source._composed is False  # no ruamel tree was built


def test_libyaml_disagreement_falls_back_to_pure_ruamel() -> None:
    """libyaml (ruamel.yaml.clib) rejects some YAML 1.2 flow scalars pure ruamel accepts."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = "k: [12:30]\n"
    with pytest.raises(YAMLError):
        YAML(typ="safe", pure=False).compose(text)
    source, diags = slow_load(text, "t.yaml")
    assert not diags and source is not None and source.data == {"k": ["12:30"]}
    assert source.locate(("k", 0)).column == 5


def test_syntax_errors_are_reported_by_pure_ruamel_positions() -> None:
    source, diags = slow_load("a: [1, 2\nb: 3\n", "t.yaml")
    assert source is None
    assert [(d.code, d.location.line) for d in diags if d.location] == [("E010", 2)]


@pytest.mark.parametrize("token", ["1e_5", "1_e5", "1._5e3", "1.5e+1_0", "-_1", "+0X1F"])
def test_underscore_and_radix_spellings_route_to_ruamel(token: str) -> None:
    for text in (f"k: {token}\n", f"k: [{token}]\n", f"k: {{a: {token}}}\n"):
        assert needs_ruamel(text), text


@pytest.mark.parametrize("text", ["k: cost_center_1\n", "k: 1_000\n", "k: a.1e3\n", "k: x0X1\n"])
def test_words_that_merely_contain_such_spellings_stay_fast(text: str) -> None:
    assert not needs_ruamel(text)
