"""Generate large, valid, cross-referencing finopsmetrics configurations.

Used by the benchmarks (``bench_validate.py``, the engine's plan/apply
benchmarks) and by tests that need volume. Deterministic: the same ``n``
always gives the same text.

    python benchmarks/generate_config.py 10000 -o /tmp/big.yaml
    python benchmarks/generate_config.py --mappings 100000 -o /tmp/vt.yaml

    from benchmarks.generate_config import generate_config
    text = generate_config(10_000)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# One realistic body per kind (fields as the seed writes them). References
# (``{ref:KIND}``) are rewritten to the name of a generated object of KIND.
TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {
    "team": (
        "teams",
        {
            "cost_center": "cc-{i}",
            "owners": ["owner{i}@example.com"],
            "members": ["dev{i}@example.com"],
            "slack_channel": "#team-{i}",
        },
    ),
    "notification_channel": (
        "notification_channels",
        {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK_{i}}", "channel": "#finops-{i}"},
    ),
    "notification_rule": (
        "notification_rules",
        {
            "persona": "persona-{i}",
            "channels": ["{ref:notification_channel}", "email"],
            "frequency": "real_time",
            "alerts": ["budget_exceeded", "anomaly_detected"],
            "format": "executive_summary",
        },
    ),
    "approval_workflow": (
        "approval_workflows",
        {
            "stages": [
                {
                    "stage": "manager_approval",
                    "approvers": ["{ref:notification_rule}"],
                    "sla_hours": 24,
                },
                {
                    "stage": "finance_approval",
                    "approvers": ["{ref:notification_rule}"],
                    "sla_hours": 48,
                },
            ],
            "escalation": [{"after": "24h", "action": "notify_manager"}],
        },
    ),
    "budget": (
        "budgets",
        {
            "amount": "{amount}",
            "period": "monthly",
            "currency": "USD",
            "owner": "{ref:team}",
            "filters": {"service": "svc-{i}", "environment": "production"},
            "alerts": [
                {"threshold": "80%", "channels": ["{ref:notification_channel}", "email"]},
                {"threshold": "100%", "channels": ["pagerduty"], "priority": "high"},
            ],
        },
    ),
    "policy": (
        "policies",
        {
            "description": "Approval for expensive instances {i}",
            "condition": 'resource.type == "ec2_instance" AND resource.cost_monthly > {amount}',
            "action": {
                "type": "require_approval",
                "approval_workflow": "{ref:approval_workflow}",
                "approvers": ["{ref:notification_rule}"],
            },
            "notification": ["{ref:notification_rule}"],
            "severity": "high",
        },
    ),
    "tag_rule": (
        "tag_rules",
        {
            "pattern": "^svc-{i}-.*",
            "resource_type": "ec2_instance",
            "tags": {"team": "team-{i}", "cost_center": "cc-{i}"},
        },
    ),
    "virtual_tag": (
        "virtual_tags",
        {
            "mappings": {"i-{i:08x}": {"cost_center": "cc-{i}"}},
            "rules": [{"resource_pattern": ".*-ml-{i}-.*", "tags": {"workload_type": "ml"}}],
        },
    ),
    "anomaly_detector": (
        "anomaly_detectors",
        {
            "filters": {"service": "svc-{i}"},
            "owner": "{ref:team}",
            "model": {"type": "isolation_forest", "sensitivity": "95%", "window": "7d"},
            "alerts": {
                "channels": ["{ref:notification_channel}"],
                "recipients": ["finops@example.com"],
            },
        },
    ),
    "dashboard": (
        "dashboards",
        {
            "role": "{ref:notification_rule}",
            "layout": "3x3_grid",
            "widgets": [
                {
                    "type": "cost_trend",
                    "position": [0, 0],
                    "size": [2, 1],
                    "config": {"time_range": "30d"},
                },
                {"type": "budget_status", "position": [2, 0], "size": [1, 2]},
            ],
        },
    ),
    "report": (
        "reports",
        {
            "template": "executive_summary",
            "schedule": "0 9 * * MON",
            "format": "pdf",
            "recipients": ["{ref:notification_rule}"],
            "channels": ["{ref:notification_channel}"],
            "sections": ["total_spend_summary", "budget_vs_actual"],
        },
    ),
    "automation_rule": (
        "automation_rules",
        {
            "condition": 'resource.environment == "dev" AND resource.cpu_avg_7d < 5%',
            "action": "stop_instance",
            "require_approval": True,
            "approval_workflow": "{ref:approval_workflow}",
            "notification": ["{ref:notification_rule}"],
        },
    ),
    "ownership_rule": (
        "ownership_rules",
        {"source": "kubernetes_namespace", "namespace_pattern": "team-{i}-*", "map_to": "owner"},
    ),
    "lifecycle_rule": (
        "resource_policies",
        {
            "scope": "unowned_resources",
            "age_threshold": "7d",
            "action": "notify_creator_and_manager",
        },
    ),
    "cost_allocation": (
        "cost_allocations",
        {
            "resource_id": "rds-shared-{i}",
            "total_cost": 1000,
            "attribution_method": "proportional",
            "split_by": "query_count",
            "allocations": [{"service": "api", "queries": 600}, {"service": "web", "queries": 400}],
        },
    ),
    "business_mapping": (
        "business_mappings",
        {
            "entity_type": "product",
            "clusters": ["prod-{i}-*"],
            "services": ["svc-{i}"],
            "owner": "{ref:team}",
            "cost_center": "cc-{i}",
        },
    ),
    "compliance_framework": (
        "compliance_checks",
        {
            "framework": "soc2",
            "controls": [
                {
                    "id": "CC6.{i}",
                    "checks": ["iam_mfa_enabled", "encryption_at_rest"],
                    "frequency": "daily",
                }
            ],
        },
    ),
    "scenario": (
        "scenarios",
        {
            "changes": [{"service": "svc-{i}", "change": "+20%"}],
            "horizon": "6m",
            "variables": {"growth": "5%"},
        },
    ),
    "saas_license_policy": (
        "saas_policies",
        {
            "service": "github",
            "inactive_threshold": "90d",
            "action": "notify",
            "recipients": ["{ref:notification_rule}"],
        },
    ),
    "commitment_policy": (
        "commitment_policies",
        {
            "service": "ec2",
            "risk_tolerance": "moderate",
            "term": "1yr",
            "coverage_target": "70%",
            "approval_workflow": "{ref:approval_workflow}",
        },
    ),
    "scheduling_policy": (
        "scheduling_policies",
        {
            "workload_type": "batch_training",
            "team": "{ref:team}",
            "flexibility": "high",
            "windows": [{"start": "22:00", "end": "06:00", "days": ["mon", "tue", "wed"]}],
        },
    ),
    "plugin": (
        "plugins",
        {"type": "telemetry", "version": ">=1.0,<2", "config": {"region": "us-east-{i}"}},
    ),
}

# Referenced kinds first: every reference points at an object that exists.
ORDER = ("team", "notification_channel", "notification_rule", "approval_workflow")


def _plan(n: int) -> dict[str, int]:
    """How many objects of each kind: spread evenly, the remainder to the first kinds."""
    kinds = list(TEMPLATES)
    base, extra = divmod(n, len(kinds))
    counts = {k: base + (1 if i < extra else 0) for i, k in enumerate(kinds)}
    for target in ORDER:  # references need at least one target
        counts[target] = max(counts[target], 1)
    return counts


def _fill(value: Any, i: int, counts: dict[str, int]) -> Any:
    if isinstance(value, str):
        if value.startswith("{ref:"):
            target = value[5:-1]
            return f"{target.replace('_', '-')}-{i % counts[target]:05d}"
        if value == "{amount}":
            return 1000 + (i * 37) % 90000
        return (
            value.replace("{i:08x}", f"{i:08x}")
            .replace("{i}", str(i))
            .replace("{amount}", str(1000 + (i * 37) % 90000))
        )
    if isinstance(value, dict):
        return {_fill(k, i, counts): _fill(v, i, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, i, counts) for v in value]
    return value


def _name_key(kind: str) -> str:
    return "rule" if kind == "lifecycle_rule" else "name"


def generate_config(n: int) -> str:
    """YAML text with ``n`` objects over every kind (list-shaped sections)."""
    counts = _plan(n)
    out = ["# generated by benchmarks/generate_config.py", "version: 1"]
    for kind, (section, template) in TEMPLATES.items():
        if not counts[kind]:
            continue
        out.append(f"{section}:")
        for i in range(counts[kind]):
            body = {
                _name_key(kind): f"{kind.replace('_', '-')}-{i:05d}",
                **_fill(template, i, counts),
            }
            out.extend(_emit_item(body))
    return "\n".join(out) + "\n"


def _emit_item(body: dict[str, Any]) -> list[str]:
    """Block style for the top keys, JSON flow style (valid YAML) for nested values."""
    lines = []
    for j, (key, value) in enumerate(body.items()):
        prefix = "  - " if j == 0 else "    "
        lines.append(f"{prefix}{key}: {json.dumps(value, ensure_ascii=False)}")
    return lines


def generate_virtual_tag_config(entries: int) -> str:
    """One virtual tag whose ``cost_center_mapping`` (seed 4.2) has ``entries`` resources."""
    out = ["virtual_tags:", "  cost_center_mapping:"]
    for i in range(entries):
        out.append(f"    i-{i:012x}: {{cost_center: cc-{i % 97}, team: team-{i % 13}}}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000, help="number of objects")
    parser.add_argument(
        "--mappings",
        type=int,
        default=0,
        help="instead: one virtual tag with this many mapping entries",
    )
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = generate_virtual_tag_config(args.mappings) if args.mappings else generate_config(args.n)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(text):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
