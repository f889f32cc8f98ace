"""budget, policy, approval_workflow, compliance_framework."""

from __future__ import annotations

from tests.unit.models.helpers import errors, one_error, spec


def test_budget_canonical_spellings_are_equal() -> None:
    a = spec(
        "budget",
        amount=50000,
        currency="usd",
        period="Monthly",
        alerts=[{"threshold": "80%", "channels": [" slack "]}],
    )
    b = spec(
        "budget",
        amount=50000.0,
        alerts=[{"threshold": 0.8, "channels": ["slack"], "type": "actual"}],
    )
    assert a == b
    assert a["alerts"][0] == {
        "threshold": 0.8,
        "type": "actual",
        "channels": ["slack"],
        "recipients": [],
    }


def test_reference_fields_keep_case() -> None:
    out = spec(
        "budget",
        amount=1,
        owner="ML-Platform",
        alerts=[{"threshold": 1, "channels": ["FinOps Slack"]}],
    )
    assert (out["owner"], out["alerts"][0]["channels"]) == ("ML-Platform", ["FinOps Slack"])
    assert one_error("budget", amount=1, owner="  ") == (
        "invalid_name",
        "owner",
        "expected a name (a non-empty string), got '  '",
    )


def test_budget_errors() -> None:
    assert one_error("budget", amount=0) == (
        "not_positive",
        "amount",
        "must be greater than zero, got 0",
    )
    assert one_error("budget") == ("missing", "amount", "Field required")
    assert one_error("budget", amount=1, currency="usdd") == (
        "invalid_currency",
        "currency",
        "unknown currency code 'usdd'; did you mean USD?",
    )
    assert one_error("budget", amount=1, period="fortnightly")[:2] == ("invalid_choice", "period")
    assert one_error("budget", amount=1, alerts=[{"threshold": 0}])[:2] == (
        "threshold_range",
        "alerts.0.threshold",
    )
    assert one_error("budget", amount=1, alerts=[{"threshold": 0.8, "chanels": ["slack"]}])[:2] == (
        "extra_forbidden",
        "alerts.0.chanels",
    )
    assert one_error("budget", amount=1, alerts=[{"threshold": "80%"}, {"threshold": 0.8}]) == (
        "duplicate_item",
        "alerts.1.threshold",
        "two actual alerts at threshold 0.8",
    )
    assert one_error("budget", amount=1, start_date="2025-03-01", end_date="2025-01-01") == (
        "not_positive",
        "end_date",
        "end_date 2025-01-01 is before start_date 2025-03-01",
    )


def test_budget_forecasted_alert_at_same_threshold_is_distinct() -> None:
    out = spec(
        "budget", amount=1, alerts=[{"threshold": 1}, {"threshold": 1, "type": "forecasted"}]
    )
    assert [a["type"] for a in out["alerts"]] == ["actual", "forecasted"]


def test_all_errors_of_an_object_are_reported() -> None:
    found = errors("budget", amount=-1, currency="XXQ", alerts=[{"threshold": 20}])
    assert [(t, p) for t, p, _ in found] == [
        ("not_positive", "amount"),
        ("invalid_currency", "currency"),
        ("threshold_range", "alerts.0.threshold"),
    ]


COND = 'resource.type == "ec2_instance"'


def test_policy_action_string_and_object_are_equal() -> None:
    a = spec("policy", condition=COND, action="require_approval", approvers=["cto"])
    b = spec("policy", condition=COND, action={"type": "require_approval", "approvers": ["cto"]})
    assert a == b
    assert "approvers" not in a


def test_policy_notification_string_or_list() -> None:
    assert spec("policy", condition=COND, action="alert", notification="slack")["notification"] == [
        "slack"
    ]
    assert spec("policy", condition=COND, action="alert", notification=["team_lead", "finance"])[
        "notification"
    ] == [
        "team_lead",
        "finance",
    ]


def test_policy_errors() -> None:
    assert one_error("policy", condition=COND, action="require_approval") == (
        "missing_one_of",
        "action",
        "action require_approval needs approvers or an approval_workflow",
    )
    assert one_error("policy", condition=COND, action="block")[:2] == (
        "invalid_choice",
        "action.type",
    )
    assert one_error("policy", condition="", action="alert")[:2] == ("missing_one_of", "condition")
    assert one_error("policy", condition=COND, action={"type": "alert", "aprovers": []})[:2] == (
        "extra_forbidden",
        "action.aprovers",
    )
    assert one_error("policy", condition=COND, action="alert", severity="urgent")[:2] == (
        "invalid_choice",
        "severity",
    )


def test_policy_with_workflow() -> None:
    out = spec(
        "policy", condition=COND, action={"type": "require_approval", "approval_workflow": "gpu"}
    )
    assert out["action"] == {
        "type": "require_approval",
        "approvers": [],
        "approval_workflow": "gpu",
    }


STAGES = [{"stage": "lead", "approvers": ["team_lead"], "sla_hours": 24}]


def test_approval_workflow_escalation_shorthand() -> None:
    out = spec(
        "approval_workflow",
        stages=STAGES,
        escalation=[
            {"sla_breach_24h": "notify_manager"},
            {"after": "2d", "action": "Auto-Approve"},
        ],
    )
    assert out["escalation"] == [
        {"after": "1d", "action": "notify_manager"},
        {"after": "2d", "action": "auto_approve"},
    ]
    assert out["stages"] == [
        {"stage": "lead", "approvers": ["team_lead"], "sla_hours": 24, "require": "any"}
    ]


def test_approval_workflow_errors() -> None:
    assert one_error("approval_workflow", stages=[]) == (
        "empty_stages",
        "stages",
        "an approval workflow needs at least one stage",
    )
    assert one_error(
        "approval_workflow", stages=[{"stage": "a", "approvers": ["x"], "sla_hours": 0}]
    ) == (
        "not_positive",
        "stages.0.sla_hours",
        "must be greater than zero, got 0",
    )
    assert one_error("approval_workflow", stages=[{"stage": "a", "approvers": []}])[:2] == (
        "too_short",
        "stages.0.approvers",
    )
    assert one_error("approval_workflow", stages=STAGES * 2) == (
        "duplicate_item",
        "stages.1.stage",
        "stage 'lead' appears twice",
    )
    assert one_error(
        "approval_workflow",
        stages=STAGES,
        escalation=[{"sla_breach_2d": "notify"}, {"sla_breach_24h": "auto_reject"}],
    ) == (
        "duplicate_item",
        "escalation.1.after",
        "escalation steps must be in increasing order of time; 1d follows 2d",
    )
    assert one_error(
        "approval_workflow", stages=STAGES, escalation=[{"sla_breach_soon": "notify"}]
    )[:2] == (
        "invalid_duration",
        "escalation.0.after",
    )


def test_compliance_framework_from_name() -> None:
    info_soc2 = spec(
        "compliance_framework",
        framework="soc2",
        controls=[{"id": "CC6.1", "checks": ["iam_mfa_enabled"]}],
    )
    assert info_soc2["controls"][0]["frequency"] == "daily"
    from finopsmetrics_cli.models import get_kind

    data = get_kind("compliance_framework").coerce(
        "compliance_checks", "GDPR", {"requirements": ["x"]}
    )
    assert data["framework"] == "gdpr"
    data = get_kind("compliance_framework").coerce(
        "compliance_checks", "internal", {"requirements": ["x"]}
    )
    assert data["framework"] == "custom"


def test_compliance_framework_errors() -> None:
    assert one_error("compliance_framework", framework="soc2") == (
        "missing_one_of",
        "",
        "a compliance framework needs controls or requirements",
    )
    controls = [{"id": "CC6.1", "checks": ["a"]}, {"id": "CC6.1", "checks": ["b"]}]
    assert one_error("compliance_framework", framework="soc2", controls=controls) == (
        "duplicate_item",
        "controls.1.id",
        "control 'CC6.1' appears twice",
    )
    assert one_error("compliance_framework", framework="sox", requirements=["a"])[:2] == (
        "invalid_choice",
        "framework",
    )
