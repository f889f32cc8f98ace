"""Policies, lifecycle rules and compliance over the inventory (cost rows + a file)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.unit.evaluate.conftest import Evaluate
from tests.unit.evaluate.costdata import Row
from tests.unit.evaluate.enrichdata import control, write_resources

from finopsmetrics_cli.errors import EvaluationError

AT = date(2024, 3, 31)
INVENTORY = """id,cpu_avg_7d,encryption_enabled,note
i-big,2%,true,x
i-mid,0.5,false,y
db-1,,false,z
"""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    rows = [Row(date(2024, 3, d), 2.0, resource="i-big", tags={"env": "prod"})
            for d in range(1, 32)]  # fmt: skip
    rows += [Row(date(2024, 3, d), 1.0, resource="i-mid", tags={"owner": "ana"})
             for d in range(25, 32)]  # fmt: skip
    rows += [Row(AT, 4.0, resource="db-1", region="eu-west-1")]
    rows += [Row(date(2024, 1, 5), 9.0, resource="gone")]  # not billed in the last 30 days
    return write_resources(tmp_path / "costs.duckdb", rows, {
        "i-big": ("big", "ec2_instance"), "i-mid": ("mid", "ec2_instance"),
        "db-1": ("db", "rds_instance"),
    })  # fmt: skip


def test_matches_are_findings_carrying_the_action(store: Path, evaluate: Evaluate) -> None:
    condition = 'resource.cost_monthly >= 7 AND resource.type == "ec2_instance"'
    policy = control("policy", "costly", condition=condition, action="alert", severity="high")
    result, _ = evaluate([policy], kinds=["policy"], at=AT)
    assert [(f.type, f.key, f.severity, f.message) for f in result.findings] == [
        ("policy_match", "i-big", "high",
         "i-big (ec2_instance, us-east-1, 111111111111; 60.00 USD/month) matches: action "
         "alert (recorded, not run)"),
        ("policy_match", "i-mid", "high",
         "i-mid (ec2_instance, us-east-1, 111111111111; 7.00 USD/month) matches: action alert "
         "(recorded, not run)"),
    ]  # fmt: skip
    assert result.sections["policies"] == [{
        "kind": "policy", "name": "costly", "status": "evaluated", "action": "alert",
        "matched": 2, "cost_monthly": {"USD": 67.0}, "missing_attributes": [], "reason": None,
    }]  # fmt: skip


def test_age_daily_cost_and_tags_of_the_derived_inventory(store: Path, evaluate: Evaluate) -> None:
    young = control("policy", "young", condition="resource.age < 8d AND resource.cost_daily == 1",
                    action="log")  # fmt: skip
    tagged = control("policy", "prod", condition='resource.tags.env == "prod"', action="log")
    result, _ = evaluate([young, tagged], kinds=["policy"], at=AT)
    assert sorted((f.name, f.key) for f in result.findings) == [("prod", "i-big"),
                                                                ("young", "i-mid")]  # fmt: skip


def test_inventory_file_attributes_join_by_id(
    store: Path, evaluate: Evaluate, tmp_path: Path
) -> None:
    (tmp_path / "inv.csv").write_text(INVENTORY)
    idle = control("policy", "idle", condition="resource.cpu_avg_7d < 5%", action="alert")
    plain = control("policy", "unencrypted", condition="resource.encryption_enabled == false",
                    action="prevent")  # fmt: skip
    result, _ = evaluate([idle, plain], kinds=["policy"], at=AT,
                         inventory=str(tmp_path / "inv.csv"))  # fmt: skip
    assert sorted((f.name, f.key) for f in result.findings) == [
        ("idle", "i-big"), ("unencrypted", "db-1"), ("unencrypted", "i-mid"),
    ]  # fmt: skip
    assert result.warnings == []


def test_json_inventory_works_the_same(store: Path, evaluate: Evaluate, tmp_path: Path) -> None:
    (tmp_path / "inv.json").write_text(json.dumps([
        {"resource_id": "i-mid", "cpu_avg_7d": 0.01}, {"resource_id": "i-big", "cpu_avg_7d": 0.9},
    ]))  # fmt: skip
    idle = control("policy", "idle", condition="resource.cpu_avg_7d < 5%", action="alert")
    result, _ = evaluate([idle], kinds=["policy"], at=AT, inventory=str(tmp_path / "inv.json"))
    assert [f.key for f in result.findings] == ["i-mid"]


def test_attributes_no_inventory_provides_make_a_policy_not_evaluable(
    store: Path, evaluate: Evaluate
) -> None:
    controls = [
        control("policy", "idle", condition="resource.cpu_avg_7d < 5%", action="alert"),
        control("policy", "idle-and-big", action="alert",
                condition="resource.cpu_avg_7d < 5% AND resource.cost_monthly > 1"),
        control("policy", "gpu", action="require_approval", approvers=["cto"],
                condition='requester.role NOT IN ["cto"]'),
    ]  # fmt: skip
    result, _ = evaluate(controls, kinds=["policy"], at=AT)
    assert result.findings == []
    assert result.warnings == [
        "resource.cpu_avg_7d: no inventory provides it, so the policies reading it are not "
        "evaluable; add it to the inventory file (settings.costs.inventory)",
        "requester.role: requester.* describes who asks for a change, not a resource, so the "
        "policies reading it are not evaluable over the inventory",
    ]
    assert [(p["name"], p["status"], p["missing_attributes"])
            for p in result.sections["policies"]] == [
        ("idle", "not_evaluable", ["resource.cpu_avg_7d"]),
        ("idle-and-big", "not_evaluable", ["resource.cpu_avg_7d"]),
        ("gpu", "not_evaluable", ["requester.role"]),
    ]  # fmt: skip


def test_lifecycle_rules_flag_old_resources_without_an_owner(
    store: Path, evaluate: Evaluate
) -> None:
    rules = [
        control("lifecycle_rule", "must_have_owner", scope="all_resources", age_threshold="7d",
                action="tag_with_creator_team"),
        control("lifecycle_rule", "untagged", scope="untagged_resources", age_threshold="1h",
                action="notify"),
        control("lifecycle_rule", "odd", scope="gpu_resources", age_threshold="1h",
                action="notify"),
    ]  # fmt: skip
    result, _ = evaluate(rules, kinds=["lifecycle_rule"], at=AT)
    assert sorted((f.name, f.key) for f in result.findings) == [
        ("must_have_owner", "i-big"), ("untagged", "db-1"),
    ]  # fmt: skip
    assert result.warnings == [
        "lifecycle_rule.odd: not evaluable: scope gpu_resources is not known (scopes: "
        "all_resources, unowned_resources, untagged_resources)"
    ]


def test_compliance_scores_roll_up_checks(store: Path, evaluate: Evaluate) -> None:
    policies = [
        control("policy", "encryption_at_rest", condition='resource.type == "rds_instance"',
                action="alert"),
        control("policy", "no-huge-instances", condition="resource.cost_monthly > 1000",
                action="alert", compliance_framework="soc2"),
    ]  # fmt: skip
    soc2 = control("compliance_framework", "soc2", controls=[
        {"id": "CC6.1", "checks": ["encryption_at_rest", "iam_mfa_enabled"]},
    ])  # fmt: skip
    result, _ = evaluate([soc2], kinds=["compliance_framework"], at=AT, context=policies)
    (row,) = result.sections["compliance"]
    assert (row["status"], row["score"], row["passed"], row["failed"], row["not_evaluable"]) == (
        "non_compliant", 0.5, 1, 1, 1,
    )  # fmt: skip
    assert [(c["check"], c["status"]) for c in row["checks"]] == [
        ("encryption_at_rest", "failed"), ("iam_mfa_enabled", "not_evaluable"),
        ("no-huge-instances", "passed"),
    ]  # fmt: skip
    assert [f.message for f in result.findings] == [
        "CC6.1 encryption_at_rest: policy.encryption_at_rest matches 1 resource; score 50%"
    ]
    assert result.warnings == [
        "compliance_framework.soc2: 1 of 3 checks are not evaluable (no evaluable policy or "
        "rule of that name): iam_mfa_enabled"
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("inv.csv", "name,cpu_avg_7d\nx,1\n",
         "inventory {d}/inv.csv: no id column (columns: name, cpu_avg_7d)"),
        ("inv.csv", "id,cpu_avg_7d\ni-big,0.1\ni-mid,lots\n",
         "{d}/inv.csv:3: cpu_avg_7d 'lots' is not a percent"),
        ("inv.csv", "id,encryption_enabled\ni-big,true\ni-big,false\n",
         "{d}/inv.csv:3: resource i-big appears again (first at {d}/inv.csv:2)"),
        ("inv.xlsx", "", "inventory {d}/inv.xlsx: not a .csv, .json or .parquet file"),
        ("inv.json", "{not json", "inventory {d}/inv.json cannot be read: "),
    ],
)  # fmt: skip
def test_bad_inventory_files_are_errors_naming_the_file(
    store: Path, evaluate: Evaluate, tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    idle = control("policy", "idle", condition="resource.cpu_avg_7d < 5%", action="alert")
    with pytest.raises(EvaluationError) as info:
        evaluate([idle], kinds=["policy"], at=AT, inventory=str(tmp_path / name))
    assert info.value.message.startswith(message.format(d=tmp_path))


def test_a_missing_inventory_file_is_an_error(store: Path, evaluate: Evaluate) -> None:
    idle = control("policy", "idle", condition="resource.cpu_avg_7d < 5%", action="alert")
    with pytest.raises(EvaluationError, match=r"^inventory /nowhere/inv\.csv does not exist$"):
        evaluate([idle], kinds=["policy"], at=AT, inventory="/nowhere/inv.csv")
