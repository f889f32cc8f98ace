"""One valid object per kind (the generated docs' examples and the tests' data),
with an in-place change and (where the kind
declares an immutable field) a change that forces replacement.

Written as specs (model field names); ``hcl.render_resource``
turns them into HCL through the derived schema.
"""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]

#: kind -> (spec, in-place change, replacing change or None)
SAMPLES: dict[str, tuple[Spec, Spec, Spec | None]] = {
    "budget": (
        {"amount": 1000, "currency": "USD", "alerts": [{"threshold": 0.8, "channels": ["email"]}]},
        {"amount": 2000},
        {"currency": "EUR"},
    ),
    "policy": (
        {
            "condition": 'resource.type == "ec2_instance"',
            "action": {"type": "require_approval", "approvers": ["cto@company.com"]},
        },
        {"description": "now described"},
        None,
    ),
    "approval_workflow": (
        {"stages": [{"stage": "manager", "approvers": ["manager@company.com"]}]},
        {"description": "two-step"},
        None,
    ),
    "compliance_framework": (
        {"framework": "soc2", "requirements": ["encryption_at_rest"]},
        {"description": "audited"},
        {"framework": "gdpr"},
    ),
    "tag_rule": (
        {
            "rules": [
                {"condition": "resource.creator_email CONTAINS '@ml-team.'", "tags": {"team": "ml"}}
            ]
        },
        {"description": "by creator"},
        None,
    ),
    "virtual_tag": (
        {
            "rules": [
                {"condition": "resource.account == 'prod'", "tags": {"environment": "production"}}
            ]
        },
        {"description": "virtual env"},
        None,
    ),
    "anomaly_detector": (
        {"model": {"type": "isolation_forest", "sensitivity": 0.95, "window": "7d"}},
        {"description": "ml costs"},
        {"model": {"type": "zscore", "sensitivity": 0.95, "window": "7d"}},
    ),
    "automation_rule": (
        {"condition": "resource.cpu_avg_7d < 5%", "action": "shutdown"},
        {"description": "idle"},
        None,
    ),
    "commitment_policy": ({"service": "ec2"}, {"description": "ri"}, None),
    "scheduling_policy": ({"workload_type": "batch_training"}, {"description": "nightly"}, None),
    "scenario": (
        {"description": "growth", "variables": {"growth_rate": 0.1}},
        {"description": "more growth"},
        None,
    ),
    "saas_license_policy": ({"service": "github"}, {"description": "seats"}, None),
    "dashboard": (
        {
            "role": "cfo",
            "widgets": [
                {
                    "type": "cost_trend",
                    "position": [0, 0],
                    "size": [2, 1],
                    "config": {"time_range": "30d"},
                }
            ],
        },
        {"description": "exec"},
        None,
    ),
    "notification_channel": (
        {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK_URL}"},
        {"description": "team chat"},
        {"type": "email", "addresses": ["finops@company.com"], "webhook_url": None},
    ),
    "notification_rule": (
        {"persona": "cfo", "channels": ["email"]},
        {"description": "digest"},
        None,
    ),
    "report": (
        {"template": "executive_summary", "schedule": "0 9 * * 1"},
        {"description": "weekly"},
        None,
    ),
    "ownership_rule": ({"source": "tag", "tag_key": "team"}, {"description": "by tag"}, None),
    "lifecycle_rule": (
        {
            "scope": "unowned_resources",
            "age_threshold": "7d",
            "action": "notify_creator_and_manager",
        },
        {"description": "cleanup"},
        None,
    ),
    "cost_allocation": (
        {
            "resource_id": "rds-shared-db",
            "allocations": [{"team": "a", "share": 0.5}, {"team": "b", "share": 0.5}],
        },
        {"description": "split"},
        {"resource_id": "rds-shared-db-2"},
    ),
    "business_mapping": (
        {"entity_type": "product", "services": ["checkout-api"]},
        {"description": "checkout"},
        {"entity_type": "feature"},
    ),
    "team": ({"owners": ["lead@company.com"]}, {"description": "platform"}, None),
    "plugin": ({"type": "telemetry"}, {"description": "otel"}, {"type": "export"}),
    "cost_source": (
        {"type": "focus", "location": "billing/focus/"},
        {"description": "FOCUS exports"},
        None,
    ),
}


def changed(spec: Spec, change: Spec) -> Spec:
    """``spec`` with ``change`` applied (a None value removes the field)."""
    out = {**spec, **change}
    return {k: v for k, v in out.items() if v is not None}
