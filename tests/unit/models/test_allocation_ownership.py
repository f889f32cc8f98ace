"""cost_allocation (shares, computed allocated_cost), business_mapping, ownership, lifecycle."""

from __future__ import annotations

from tests.unit.models.helpers import one_error, spec

from finopsmetrics_cli.models import get_kind

SEED_43 = {
    "resource_id": "rds-shared-db-prod",
    "total_cost": 5000.0,
    "attribution_method": "proportional",
    "split_by": "query_count",
    "allocations": [
        {"service": "user_service", "queries": 45000, "allocated_cost": 2250.0},
        {"service": "order_service", "queries": 35000, "allocated_cost": 1750.0},
        {"service": "analytics_service", "queries": 20000, "allocated_cost": 1000.0},
    ],
}


def test_cost_allocation_seed_43() -> None:
    out = spec("cost_allocation", **SEED_43)
    assert [a["allocated_cost"] for a in out["allocations"]] == [2250.0, 1750.0, 1000.0]


def test_cost_allocation_method_alias() -> None:
    body = {k: v for k, v in SEED_43.items() if k != "attribution_method"}
    assert spec("cost_allocation", method="proportional", **body) == spec(
        "cost_allocation", **SEED_43
    )


def test_allocated_cost_is_checked() -> None:
    bad = {**SEED_43, "allocations": [dict(a) for a in SEED_43["allocations"]]}
    bad["allocations"][1]["allocated_cost"] = 1700.0
    assert one_error("cost_allocation", **bad) == (
        "allocated_cost_mismatch",
        "allocations.1.allocated_cost",
        "allocated_cost 1700 should be 1750 (35% of 5000)",
    )
    no_total = {k: v for k, v in SEED_43.items() if k != "total_cost"}
    assert one_error("cost_allocation", **no_total)[:2] == (
        "allocated_cost_mismatch",
        "allocations.0.allocated_cost",
    )


def test_shares_must_sum_to_100() -> None:
    fixed = [{"team": "a", "share": "60%"}, {"team": "b", "share": 0.3}]
    assert one_error(
        "cost_allocation", resource_id="r", attribution_method="fixed", allocations=fixed
    ) == (
        "shares_sum",
        "allocations.1.share",
        "allocation shares sum to 90%, not 100%",
    )
    ok = [{"team": "a", "share": "60%"}, {"team": "b", "share": "40%"}]
    spec("cost_allocation", resource_id="r", attribution_method="fixed", allocations=ok)
    even = spec(
        "cost_allocation",
        resource_id="r",
        attribution_method="even",
        total_cost=300,
        allocations=[{"team": "a", "allocated_cost": 100}, {"team": "b"}, {"team": "c"}],
    )
    assert len(even["allocations"]) == 3


def test_cost_allocation_other_errors() -> None:
    usage_missing = {**SEED_43, "allocations": [{"service": "a", "queries": 1}, {"service": "b"}]}
    assert one_error("cost_allocation", **usage_missing) == (
        "missing_one_of",
        "allocations.1",
        "allocation 1 needs queries (split_by query_count)",
    )
    assert one_error(
        "cost_allocation", resource_id="r", attribution_method="fixed", allocations=[{"share": 1}]
    ) == (
        "missing_one_of",
        "allocations.0",
        "an allocation names exactly one of service, team or project",
    )
    twice = [{"team": "a", "share": 0.5}, {"team": "a", "share": 0.5}]
    assert one_error(
        "cost_allocation", resource_id="r", attribution_method="fixed", allocations=twice
    ) == (
        "duplicate_item",
        "allocations.1",
        "a is allocated twice",
    )
    assert one_error("cost_allocation", resource_id="r", allocations=[])[:2] == (
        "too_short",
        "allocations",
    )
    zero = {**SEED_43, "allocations": [{"service": "a", "queries": 0}]}
    assert one_error("cost_allocation", **zero)[:2] == ("not_positive", "allocations")


def test_business_mapping() -> None:
    info = get_kind("business_mapping")
    data = info.coerce(
        "business_mapping.features",
        "ai_recommendations",
        {
            "services": ["ml-inference-*"],
            "cost_center": "r&d",
            "revenue_attribution": True,
            "revenue_per_request": 0.0015,
        },
    )
    out = info.model.model_validate(data).canonical_spec()
    assert out["entity_type"] == "feature" and out["revenue_per_request"] == 0.0015
    assert one_error("business_mapping", entity_type="product") == (
        "missing_one_of",
        "",
        "a business mapping needs clusters, databases, services or selectors",
    )
    assert one_error(
        "business_mapping", entity_type="product", services=["a"], revenue_per_request=1
    ) == (
        "missing_one_of",
        "revenue_per_request",
        "revenue_per_request needs revenue_attribution: true",
    )
    assert one_error("business_mapping", services=["a"])[:2] == ("missing", "entity_type")


def test_ownership_rules() -> None:
    spec("ownership_rule", source="tag", tag_key="team", map_to="owner")
    out = spec("ownership_rule", source="creator", map_to="owner", inherit_to=["child_resources"])
    assert out["inherit_to"] == ["child_resources"]
    spec(
        "ownership_rule",
        source="kubernetes_namespace",
        namespace_pattern="team-*",
        extract_team=True,
    )
    assert one_error("ownership_rule", source="tag") == (
        "missing_one_of",
        "",
        "source tag needs tag_key",
    )
    assert one_error("ownership_rule", source="kubernetes_namespace") == (
        "missing_one_of",
        "",
        "source kubernetes_namespace needs namespace_pattern",
    )
    assert one_error("ownership_rule", source="ldap")[:2] == ("invalid_choice", "source")


def test_lifecycle_rule() -> None:
    out = spec(
        "lifecycle_rule", scope="all_resources", age_threshold="24h", action="tag_with_creator_team"
    )
    assert out["age_threshold"] == "1d"
    assert one_error("lifecycle_rule", scope="a", age_threshold="soon", action="x")[:2] == (
        "invalid_duration",
        "age_threshold",
    )
    assert one_error("lifecycle_rule", scope="a", age_threshold="1d")[:2] == ("missing", "action")
