"""costs_enriched: virtual tags, tag/ownership rule values, allocations, business mappings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.unit.evaluate.conftest import Evaluate, budget
from tests.unit.evaluate.costdata import Row
from tests.unit.evaluate.enrichdata import control, enriched, write_resources

D = date(2024, 3, 10)
SQL_BY_RESOURCE = (
    "SELECT ResourceId, x_VirtualTags, x_Business FROM costs_enriched ORDER BY ResourceId"
)


def test_virtual_tags_first_match_wins_mappings_rules_default(tmp_path: Path) -> None:
    path = write_resources(
        tmp_path / "c.duckdb",
        [Row(D, 1.0, resource=r) for r in ("i-1", "web-ml-1", "db-dev-2", "other")],
        {"db-dev-2": ("db-dev-2", "rds_instance")},
    )
    vt = control(
        "virtual_tag", "cost_center",
        mappings={"i-1": {"cost_center": "marketing", "campaign": "q1"}},
        rules=[
            {"resource_pattern": ".*-ml-.*", "tags": {"cost_center": "r&d"}},
            {"condition": 'resource.type == "rds_instance"', "tags": {"cost_center": "data"}},
            {"resource_pattern": ".*", "tags": {"cost_center": "never"}},
        ],
        default={"cost_center": "shared"},
    )  # fmt: skip
    with enriched(path, [vt]) as (conn, enrichment):
        rows = conn.execute(SQL_BY_RESOURCE).fetchall()
    assert enrichment.warnings == []
    assert [(r[0], r[1]) for r in rows] == [
        ("db-dev-2", {"cost_center": "data"}),
        ("i-1", {"cost_center": "marketing", "campaign": "q1"}),
        ("other", {"cost_center": "never"}),
        ("web-ml-1", {"cost_center": "r&d"}),
    ]


def test_objects_apply_in_name_order_and_tag_rules_after_virtual_tags(tmp_path: Path) -> None:
    path = write_resources(tmp_path / "c.duckdb", [Row(D, 1.0, resource="prod-api-1")])
    controls = [
        control("virtual_tag", "b-second", default={"team": "b", "env": "x"}),
        control("virtual_tag", "a-first", default={"team": "a"}),
        control("tag_rule", "prod", pattern="^prod-", tags={"environment": "production",
                                                            "team": "from-rule"}),
        control("ownership_rule", "owners", source="tag", tag_key="team", map_to="owner"),
    ]  # fmt: skip
    with enriched(path, controls) as (conn, _):
        ((_, tags, _),) = conn.execute(SQL_BY_RESOURCE).fetchall()
    # a-first before b-second, both before the tag rule; the ownership rule reads the row's
    # own team tag, which it lacks, so it adds nothing
    assert tags == {"environment": "production", "team": "a", "env": "x"}


def test_a_quote_in_a_value_is_data_not_sql(tmp_path: Path) -> None:
    path = write_resources(tmp_path / "c.duckdb", [Row(D, 1.0, resource="i-'1")])
    vt = control("virtual_tag", "v", mappings={"i-'1": {"owner": "o'brien"}})
    with enriched(path, [vt]) as (conn, _):
        assert conn.execute(SQL_BY_RESOURCE).fetchall()[0][1] == {"owner": "o'brien"}


def test_a_condition_cost_rows_cannot_answer_is_a_warning_and_matches_nothing(
    tmp_path: Path,
) -> None:
    path = write_resources(tmp_path / "c.duckdb", [Row(D, 1.0, resource="i-1")])
    vt = control(
        "virtual_tag", "idle",
        rules=[{"condition": "resource.cpu_avg_7d < 5%", "tags": {"idle": "yes"}}],
        default={"idle": "no"},
    )  # fmt: skip
    with enriched(path, [vt]) as (conn, enrichment):
        assert conn.execute(SQL_BY_RESOURCE).fetchall()[0][1] == {"idle": "no"}
    assert enrichment.warnings == [
        "virtual_tag.idle rules[0]: the condition cannot be evaluated (cost rows do not have "
        "resource.cpu_avg_7d); it matches nothing"
    ]


def test_budget_filters_read_own_tags_then_virtual_tags(
    cost_store: Callable[..., Path], evaluate: Evaluate, tmp_path: Path
) -> None:
    cost_store([
        Row(D, 10.0, resource="a", tags={"team": "ml"}),
        Row(D, 20.0, resource="b", tags={"team": "web"}),  # own tag wins over the virtual one
        Row(D, 40.0, resource="c"),  # no own tag: the virtual one counts
        Row(D, 80.0, resource="d"),
    ])  # fmt: skip
    vt = control("virtual_tag", "teams", mappings={"b": {"team": "ml"}, "c": {"team": "ml"}})
    result, _ = evaluate([budget("ml", 100.0, filters={"team": "ml"})], context=[vt])
    assert [(b.name, b.actual) for b in result.budgets] == [("ml", 50.0)]


def test_allocation_splits_conserve_every_total_to_the_cent(tmp_path: Path) -> None:
    amounts = [0.01, 0.02, 100.03, 33.3333333333, 7.77, 1234567.89, 0.05]
    rows = [Row(date(2024, 3, 1 + i), a, resource="db-shared") for i, a in enumerate(amounts)]
    rows += [Row(D, 5.0, resource="other"), Row(D, 3.0)]  # untouched; one without a resource
    path = write_resources(tmp_path / "c.duckdb", rows)
    controls = [
        control("cost_allocation", "db", resource_id="db-shared", attribution_method="even",
                allocations=[{"team": "a"}, {"team": "b"}, {"team": "c"}]),
        control("cost_allocation", "db-usage", resource_id="other", split_by="query_count",
                allocations=[{"service": "x", "queries": 45}, {"service": "y", "queries": 35},
                             {"service": "z", "queries": 20}]),
    ]  # fmt: skip
    with enriched(path, controls) as (conn, _):
        before = conn.execute(
            "SELECT sum(EffectiveCost), sum(BilledCost), count(*) FROM costs"
        ).fetchone()
        after = conn.execute(
            "SELECT sum(EffectiveCost), sum(BilledCost), count(*) FROM costs_enriched"
        ).fetchone()
        per_row = conn.execute(
            "SELECT c.EffectiveCost, (SELECT sum(e.EffectiveCost) FROM costs_enriched e "
            "WHERE e.ResourceId = c.ResourceId AND e.ChargePeriodStart = c.ChargePeriodStart) "
            "FROM costs c WHERE c.ResourceId IS NOT NULL"
        ).fetchall()
        targets = conn.execute(
            "SELECT x_Allocation, x_AllocationTarget, x_VirtualTags, sum(EffectiveCost) "
            "FROM costs_enriched WHERE x_Allocation IS NOT NULL GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
    assert before is not None and after is not None
    assert (before[0], before[1]) == (after[0], after[1])  # exact, not only to the cent
    assert before[0] == Decimal("1234717.1033333333")
    assert (before[2], after[2]) == (9, 7 * 3 + 3 + 1)
    assert all(whole == parts for whole, parts in per_row)
    assert targets == [
        ("db", "a", {"team": "a"}, Decimal("411569.7011111111")),
        ("db", "b", {"team": "b"}, Decimal("411569.7011111111")),
        ("db", "c", {"team": "c"}, Decimal("411569.7011111111")),
        ("db-usage", "x", {"service": "x"}, Decimal("2.25")),
        ("db-usage", "y", {"service": "y"}, Decimal("1.75")),
        ("db-usage", "z", {"service": "z"}, Decimal("1.00")),
    ]
    assert sum(t[3] for t in targets) + Decimal("3") == before[0]


def test_business_mappings_first_match_and_the_unallocated_rest(tmp_path: Path) -> None:
    path = write_resources(
        tmp_path / "c.duckdb",
        [Row(D, 1.0, resource=r) for r in ("prod-mobile-1", "rds-mobile-prod", "ml-inference-7",
                                            "lonely")],
    )  # fmt: skip
    controls = [
        control("business_mapping", "mobile_app", entity_type="product",
                clusters=["prod-mobile-*"], databases=["rds-mobile-prod"]),
        control("business_mapping", "zz_everything", entity_type="product",
                selectors={"provider": "AWS"}),
        control("business_mapping", "ai", entity_type="feature", services=["ml-inference-*"]),
    ]  # fmt: skip
    with enriched(path, controls) as (conn, enrichment):
        rows = {r[0]: r[2] for r in conn.execute(SQL_BY_RESOURCE).fetchall()}
    assert enrichment.entity_types == {"product", "feature"}
    assert rows == {
        "prod-mobile-1": {"product": "mobile_app"},
        "rds-mobile-prod": {"product": "mobile_app"},
        "ml-inference-7": {"product": "zz_everything", "feature": "ai"},
        "lonely": {"product": "zz_everything"},
    }


def test_an_allocation_decides_over_the_shared_resource_own_tag(
    cost_store: Callable[..., Path], evaluate: Evaluate
) -> None:
    cost_store([Row(D, 100.0, resource="db", tags={"team": "platform"}),
                Row(D, 7.0, resource="x", tags={"team": "a"})])  # fmt: skip
    split = control("cost_allocation", "db", resource_id="db", attribution_method="fixed",
                    allocations=[{"team": "a", "share": 0.25}, {"team": "b", "share": 0.75}])
    result, _ = evaluate(
        [budget("a", 50.0, filters={"team": "a"}), budget("platform", 50.0,
                                                          filters={"team": "platform"})],
        context=[split],
    )  # fmt: skip
    assert [(b.name, b.actual) for b in result.budgets] == [("a", 32.0), ("platform", 0.0)]


def test_allocations_section_rounds_targets_and_shows_the_remainder(
    cost_store: Callable[..., Path], evaluate: Evaluate
) -> None:
    cost_store([Row(date(2024, 3, d), 0.01, resource="db") for d in range(1, 11)])
    split = control("cost_allocation", "db", resource_id="db", attribution_method="even",
                    allocations=[{"team": "a"}, {"team": "b"}, {"team": "c"}])
    result, _ = evaluate([split], kinds=["cost_allocation"], at=D)
    assert result.sections["allocations"] == [{
        "name": "db", "resource_id": "db",
        "period": {"start": "2024-03-01", "end": "2024-03-10"}, "total": {"USD": 0.1},
        "targets": [{"target": "a", "currency": "USD", "amount": 0.03},
                    {"target": "b", "currency": "USD", "amount": 0.03},
                    {"target": "c", "currency": "USD", "amount": 0.03}],
        "remainder": {"USD": 0.01},
    }]  # fmt: skip
    missing = control("cost_allocation", "gone", resource_id="gone", attribution_method="even",
                      allocations=[{"team": "a"}, {"team": "b"}])
    result, _ = evaluate([missing], kinds=["cost_allocation"], at=D)
    assert result.warnings == [
        "cost_allocation.gone: gone has no cost from 2024-03-01 to 2024-03-10; nothing to split"
    ]
