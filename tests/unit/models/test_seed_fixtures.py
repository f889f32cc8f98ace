"""Every YAML snippet of the seed roadmap validates as written, alone and merged,
and means what the seed says it means."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.models.routing import SEED_FIXTURES, load_yaml, objects

FIXTURES = sorted(SEED_FIXTURES.glob("*.yaml"))


def test_every_seed_section_has_a_fixture() -> None:
    prefixes = {p.name.split("_", 2)[0] + "." + p.name.split("_", 2)[1] for p in FIXTURES}
    assert prefixes == {
        "2.1",
        "2.3",
        "3.4",
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "6.1",
        "6.2",
        "6.3",
        "6.4",
        "7.1",
        "8.3",
    }


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_seed_fixture_validates(path: Path) -> None:
    doc = load_yaml(path)
    found = [
        (info.kind, name, info.model.model_validate(data).canonical_spec())
        for info, name, data in objects(doc)
    ]
    assert found


def _all_objects() -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for path in FIXTURES:
        for info, name, data in objects(load_yaml(path)):
            address = f"{info.kind}.{name}"
            spec = info.model.model_validate(data).canonical_spec()
            # a derived name repeats only for an identical entry (4.1 and 8.3 share a rule)
            assert merged.get(address, spec) == spec, f"{address} declared twice across the seed"
            merged[address] = spec
    return merged


def test_seed_merged_addresses() -> None:
    addresses = set(_all_objects())
    assert {
        "notification_rule.cfo",
        "notification_rule.engineer",
        "notification_rule.slack-approval-ri_purchase",
        "dashboard.my_custom_dashboard",
        "dashboard.cfo-executive",
        "automation_rule.shutdown_idle_dev_instances",
        "virtual_tag.cost_center_mapping",
        "virtual_tag.tag_rules",
        "cost_allocation.rds-shared-db-prod",
        "business_mapping.mobile_app",
        "business_mapping.ai_recommendations",
        "policy.max_instance_size",
        "policy.gpu-approval",
        "approval_workflow.reserved_instance_purchase",
        "lifecycle_rule.must_have_owner",
        "compliance_framework.soc2",
        "compliance_framework.gdpr",
        "report.weekly_team_chargeback",
        "budget.ml-training-q1",
    } <= addresses
    assert sum(a.startswith("tag_rule.") for a in addresses) == 4
    assert sum(a.startswith("ownership_rule.") for a in addresses) == 3


def test_seed_meanings() -> None:
    objs = _all_objects()
    budget = objs["budget.ml-training-q1"]
    assert [a["threshold"] for a in budget["alerts"]] == [0.8, 1.0]
    assert objs["policy.max_instance_size"]["action"] == {
        "type": "require_approval",
        "approvers": ["cto", "infrastructure_leader"],
    }
    assert objs["policy.team_budget_soft_limit"]["notification"] == ["team_lead", "finance"]
    assert objs["policy.max_instance_size"]["notification"] == ["slack"]
    shares = objs["cost_allocation.rds-shared-db-prod"]
    assert shares["attribution_method"] == "proportional"
    assert [a["allocated_cost"] for a in shares["allocations"]] == [2250.0, 1750.0, 1000.0]
    assert objs["business_mapping.ai_recommendations"]["entity_type"] == "feature"
    assert objs["business_mapping.web_platform"]["entity_type"] == "product"
    assert objs["approval_workflow.reserved_instance_purchase"]["escalation"] == [
        {"after": "1d", "action": "notify_manager"},
        {"after": "2d", "action": "auto_approve"},
    ]
    assert objs["report.weekly_team_chargeback"]["schedule"] == "0 9 * * MON"
    assert (
        objs["virtual_tag.cost_center_mapping"]["mappings"]["i-9876543210"]["cost_center"] == "r&d"
    )
    assert objs["lifecycle_rule.orphaned_resource_cleanup"]["age_threshold"] == "7d"
    assert objs["compliance_framework.gdpr"]["framework"] == "gdpr"
    assert objs["notification_rule.slack-approval-ri_purchase"]["channels"] == ["slack"]


SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_1ee1695c2d3704a4.md"


@pytest.mark.skipif(
    not SEED.exists(),
    reason="the design document these YAML fixtures were copied from is not on this machine",
)
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_is_a_verbatim_copy_of_the_seed(path: Path) -> None:
    assert path.read_text(encoding="utf-8").rstrip("\n") in SEED.read_text(encoding="utf-8")
