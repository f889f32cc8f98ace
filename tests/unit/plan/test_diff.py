from __future__ import annotations

from finopsmetrics_cli.plan.diff import (
    FieldChange,
    apply_ignore_changes,
    diff_specs,
    flatten,
    format_path,
    path_matches,
)


def test_equal_specs_have_no_changes() -> None:
    assert diff_specs({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []


def test_nested_paths_are_readable() -> None:
    old = {"amount": 100, "alerts": [{"threshold": 0.5}, {"threshold": 0.8}]}
    new = {"amount": 100, "alerts": [{"threshold": 0.5}, {"threshold": 0.9}]}
    assert diff_specs(old, new) == [FieldChange("alerts[1].threshold", "change", 0.8, 0.9)]


def test_added_and_removed_fields() -> None:
    changes = diff_specs({"a": 1, "gone": {"x": 1}}, {"a": 1, "new": "v", "l": [1]})
    assert changes == [
        FieldChange("gone", "remove", {"x": 1}, None),
        FieldChange("l", "add", None, [1]),
        FieldChange("new", "add", None, "v"),
    ]


def test_list_items_added_and_type_change() -> None:
    changes = diff_specs({"c": ["a"], "t": "80"}, {"c": ["a", "b"], "t": 80})  # "80" != 80
    assert changes == [
        FieldChange("c[1]", "add", None, "b"),
        FieldChange("t", "change", "80", 80),
    ]


def test_index_order_is_numeric() -> None:
    old = {"l": [{"v": i} for i in range(12)]}
    new = {"l": [{"v": i + 100 if i in (2, 10) else i} for i in range(12)]}
    assert [c.path for c in diff_specs(old, new)] == ["l[2].v", "l[10].v"]


def test_format_path() -> None:
    assert format_path(["alerts", 1, "channels", 0]) == "alerts[1].channels[0]"


def test_path_matches_prefix_and_wildcard() -> None:
    assert path_matches("alerts[1].threshold", ["alerts"])
    assert path_matches("alerts[1].threshold", ["alerts.*.threshold"])
    assert path_matches("alerts[1].threshold", ["alerts[1].threshold"])
    assert not path_matches("alerts[1].priority", ["alerts.*.threshold"])
    assert not path_matches("amount", ["amount_max"])


def test_ignore_changes_keeps_live_values() -> None:
    desired = {"amount": 100, "alerts": [{"t": 1, "p": "high"}], "tags": {"a": "1"}}
    live = {"amount": 250, "alerts": [{"t": 2, "p": "low"}]}
    result = apply_ignore_changes(desired, live, ["amount", "alerts.*.t", "tags"])
    assert result == {"amount": 250, "alerts": [{"t": 2, "p": "high"}]}
    assert desired["amount"] == 100  # input untouched


def test_flatten_shows_leaves() -> None:
    spec = {"amount": 5, "alerts": [{"threshold": 0.8, "channels": ["slack"]}], "f": {}}
    assert flatten(spec) == [
        ("amount", 5),
        ("alerts[0].threshold", 0.8),
        ("alerts[0].channels", ["slack"]),
        ("f", {}),
    ]


def test_nested_list_changes_keep_their_prefix() -> None:
    old = {"alerts": [{"channels": ["a"], "t": 1}], "f": {"x": {"y": 1, "z": 0}}}
    new = {"alerts": [{"channels": ["a", "b"], "t": 1.0}], "f": {"x": {"y": 2, "z": 0}}}
    assert diff_specs(old, new) == [
        FieldChange("alerts[0].channels[1]", "add", None, "b"),
        FieldChange("f.x.y", "change", 1, 2),
    ]
