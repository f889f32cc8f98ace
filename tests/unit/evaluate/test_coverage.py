"""Tag coverage of tag rules and ownership rules over a real cost store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.unit.evaluate.conftest import Evaluate
from tests.unit.evaluate.costdata import Row
from tests.unit.evaluate.enrichdata import control, write_resources

AT = date(2024, 3, 31)


def rows() -> list[Row]:
    return [
        Row(AT, 60.0, resource="i-big", account="A"),
        Row(AT, 25.0, resource="i-mid", account="B", tags={"team": "ml"}),
        Row(AT, 10.0, resource="web-ml-1", account="B"),
        Row(AT, 5.0, resource="i-small", account="A", tags={"team": "web"}),
        Row(AT, 1000.0),  # no resource (a tax): not counted
        Row(date(2024, 2, 1), 500.0, resource="i-old", account="A"),  # outside the 30 days
    ]


def test_share_of_spend_missing_a_key_per_account_and_top_resources(
    tmp_path: Path, evaluate: Evaluate
) -> None:
    write_resources(tmp_path / "costs.duckdb", rows())
    rule = control("tag_rule", "teams", resource_type=None, pattern=".*", tags={"team": "x"})
    result, _ = evaluate([rule], kinds=["tag_rule"], at=AT)
    (row,) = result.sections["coverage"]
    assert row == {
        "kind": "tag_rule", "rule": "teams", "key": "team",
        "window": {"start": "2024-03-02", "end": "2024-03-31"},
        "spend": {"USD": 100.0}, "missing": {},
        "missing_share": 0.0, "missing_share_own_tags": 0.7,
        "by_account": [
            {"account": "A", "currency": "USD", "spend": 65.0, "missing": 0.0,
             "missing_share": 0.0},
            {"account": "B", "currency": "USD", "spend": 35.0, "missing": 0.0,
             "missing_share": 0.0},
        ],
        "top_untagged": [],
    }  # fmt: skip
    assert result.findings == []  # the rule's own value covers what tags lack


def test_what_virtual_values_do_not_cover_is_a_finding(tmp_path: Path, evaluate: Evaluate) -> None:
    write_resources(tmp_path / "costs.duckdb", rows())
    rule = control(
        "tag_rule", "ml-team",
        rules=[{"condition": 'resource.tags.team == "nobody"', "tags": {"team": "ml"}}],
    )  # fmt: skip
    vt = control("virtual_tag", "by-name", rules=[{"resource_pattern": "-ml-",
                                                   "tags": {"team": "ml"}}])  # fmt: skip
    result, _ = evaluate([rule], kinds=["tag_rule"], at=AT, context=[vt])
    (row,) = result.sections["coverage"]
    assert (row["missing"], row["missing_share"], row["missing_share_own_tags"]) == (
        {"USD": 60.0}, 0.6, 0.7,
    )  # fmt: skip
    assert row["by_account"][0] == {
        "account": "A", "currency": "USD", "spend": 65.0, "missing": 60.0,
        "missing_share": 0.9231,
    }  # fmt: skip
    assert row["top_untagged"] == [{"resource": "i-big", "currency": "USD", "cost": 60.0}]
    (finding,) = result.findings
    assert (finding.kind, finding.name, finding.type, finding.key, finding.severity) == (
        "tag_rule", "ml-team", "tag_coverage", "team", "high",
    )  # fmt: skip
    assert finding.message == (
        "team: 60% of spend lacks it (60.00 of 100.00 USD over 30 days); virtual values "
        "cover another 10%; worst account A (92%); top untagged: i-big (60.00)"
    )


def test_ownership_rule_coverage_and_inferred_owners(tmp_path: Path, evaluate: Evaluate) -> None:
    write_resources(tmp_path / "costs.duckdb", rows())
    owners = control("ownership_rule", "from-team", source="tag", tag_key="team", map_to="owner")
    result, _ = evaluate([owners], kinds=["ownership_rule"], at=AT)
    (row,) = result.sections["coverage"]
    assert (row["key"], row["missing"], row["missing_share"]) == ("owner", {"USD": 70.0}, 0.7)
    assert [t["resource"] for t in row["top_untagged"]] == ["i-big", "web-ml-1"]
    assert [f.message for f in result.findings] == [
        "owner: 70% of spend lacks it (70.00 of 100.00 USD over 30 days); worst account A "
        "(92%); top untagged: i-big (60.00), web-ml-1 (10.00)"
    ]


def test_a_rule_cost_rows_cannot_answer_is_a_warning(tmp_path: Path, evaluate: Evaluate) -> None:
    write_resources(tmp_path / "costs.duckdb", rows())
    rule = control("tag_rule", "idle", condition="resource.idle_hours > 48", tags={"idle": "y"})
    result, _ = evaluate([rule], kinds=["tag_rule"], at=AT)
    assert result.sections == {}
    assert result.warnings == [
        "tag_rule.idle: the condition cannot be evaluated (cost rows do not have "
        "resource.idle_hours); it matches nothing"
    ]
