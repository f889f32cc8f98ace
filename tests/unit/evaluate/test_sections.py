"""The coverage, policies, compliance and allocations sections in json, text and markdown."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from rich.console import Console

from finopsmetrics_cli.evaluate import render
from finopsmetrics_cli.evaluate.model import EvaluationResult

COVERAGE: dict[str, Any] = {
    "kind": "tag_rule", "rule": "teams", "key": "team",
    "window": {"start": "2024-02-20", "end": "2024-03-20"},
    "spend": {"USD": 100.0}, "missing": {"USD": 60.0}, "missing_share": 0.6,
    "missing_share_own_tags": 0.7,
    "by_account": [{"account": "A", "currency": "USD", "spend": 65.0, "missing": 60.0,
                    "missing_share": 0.9231}],
    "top_untagged": [{"resource": "i-big", "currency": "USD", "cost": 60.0}],
}  # fmt: skip
POLICY: dict[str, Any] = {
    "kind": "policy", "name": "idle", "status": "not_evaluable", "action": "alert",
    "matched": 0, "cost_monthly": {}, "missing_attributes": ["resource.cpu_avg_7d"],
    "reason": None,
}  # fmt: skip
COMPLIANCE: dict[str, Any] = {
    "name": "soc2", "framework": "soc2", "status": "non_compliant", "score": 0.5, "passed": 1,
    "failed": 1, "not_evaluable": 1, "checks": [],
}  # fmt: skip
ALLOCATION: dict[str, Any] = {
    "name": "db", "resource_id": "rds-1", "period": {"start": "2024-03-01", "end": "2024-03-20"},
    "total": {"USD": 0.1}, "remainder": {"USD": 0.01},
    "targets": [{"target": "a", "currency": "USD", "amount": 0.03},
                {"target": "b", "currency": "USD", "amount": 0.06}],
}  # fmt: skip


def result() -> EvaluationResult:
    return EvaluationResult(
        date(2024, 3, 20), date(2024, 3, 20), None, "EffectiveCost", ("tag_rule",),
        sections={"coverage": [COVERAGE], "policies": [POLICY], "compliance": [COMPLIANCE],
                  "allocations": [ALLOCATION]},
    )  # fmt: skip


def test_json_carries_every_section_as_a_top_level_key() -> None:
    doc = json.loads(render.to_json(result()))
    assert (doc["coverage"], doc["policies"], doc["compliance"], doc["allocations"]) == (
        [COVERAGE], [POLICY], [COMPLIANCE], [ALLOCATION],
    )  # fmt: skip


def test_markdown_has_one_table_per_section() -> None:
    lines = render.to_markdown(result()).splitlines()
    assert "| tag_rule.teams | team | 100.00 USD | 60% | 70% | A (92%) | i-big |" in lines
    assert "| policy.idle | not evaluable: resource.cpu_avg_7d | 0 | 0.00 | alert |" in lines
    assert "| soc2 | soc2 | non compliant | 50% | 1 | 1 | 1 |" in lines
    assert "| db | rds-1 | 0.10 USD | a 0.03, b 0.06 | 0.01 USD |" in lines


def test_text_prints_the_tables() -> None:
    console = Console(width=200, record=True, color_system=None)
    render.to_text(console, result())
    text = console.export_text()
    for title in ("Tag coverage (30 days)", "Policies", "Compliance",
                  "Cost allocations (month to date)"):  # fmt: skip
        assert title in text
    assert "not evaluable: resource.cpu_avg_7d" in text
