"""anomaly_detector, automation_rule, commitment/scheduling/saas policies, scenario, org."""

from __future__ import annotations

import pytest
from tests.unit.models.helpers import one_error, spec


def test_anomaly_detector_hcl_shape_and_defaults() -> None:
    out = spec(
        "anomaly_detector",
        filters={"service": "ml-training"},
        model={"type": "isolation_forest", "sensitivity": 0.95, "window": "7d"},
        alerts={"channels": ["slack", "pagerduty"], "recipients": ["#ml-team"]},
    )
    assert out["model"] == {"type": "isolation_forest", "sensitivity": 0.95, "window": "7d"}
    assert spec("anomaly_detector")["model"] == out["model"]
    assert (
        spec("anomaly_detector", model={"sensitivity": "95%", "window": "168h"})["model"]
        == out["model"]
    )


def test_anomaly_detector_model_shorthand() -> None:
    assert spec("anomaly_detector", model="Prophet")["model"] == {
        "type": "prophet",
        "sensitivity": 0.95,
        "window": "7d",
    }


def test_anomaly_detector_errors() -> None:
    assert one_error("anomaly_detector", model={"type": "lstm"})[:2] == (
        "invalid_choice",
        "model.type",
    )
    assert one_error("anomaly_detector", model={"sensitivity": 95})[:2] == (
        "ratio_range",
        "model.sensitivity",
    )
    assert one_error("anomaly_detector", alerts=[{"channels": ["slack"]}])[:2] == (
        "model_type",
        "alerts",
    )


COND = 'resource.environment == "dev" AND resource.idle_hours > 48'


def test_automation_rule() -> None:
    out = spec(
        "automation_rule",
        condition=COND + "\n",
        action="shutdown",
        require_approval=False,
        notification=["engineer", "slack"],
    )
    assert out["condition"] == COND and out["notification"] == ["engineer", "slack"]
    assert one_error(
        "automation_rule", condition=COND, action="shutdown", approval_workflow="w"
    ) == (
        "missing_one_of",
        "approval_workflow",
        "approval_workflow needs require_approval: true",
    )
    assert one_error("automation_rule", action="shutdown")[:2] == ("missing", "condition")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("1yr", "1yr"),
        ("1y", "1yr"),
        (1, "1yr"),
        ("12m", "1yr"),
        ("36 months", "3yr"),
        ("3 years", "3yr"),
    ],
)
def test_commitment_terms(term: object, expected: str) -> None:
    assert spec("commitment_policy", term=term)["term"] == expected


def test_commitment_policy() -> None:
    out = spec("commitment_policy", risk_tolerance="Moderate", coverage_target="70%")
    assert (out["risk_tolerance"], out["coverage_target"], out["lookback"]) == (
        "moderate",
        0.7,
        "90d",
    )
    assert one_error("commitment_policy", term="2yr") == (
        "invalid_choice",
        "term",
        "term must be 1yr or 3yr, got '2yr'",
    )
    assert one_error("commitment_policy", risk_tolerance="yolo")[:2] == (
        "invalid_choice",
        "risk_tolerance",
    )


def test_scheduling_policy() -> None:
    out = spec(
        "scheduling_policy",
        workload_type="batch_training",
        flexibility="high",
        priority="cost",
        windows=[{"start": "23:00", "end": "6:00", "days": ["Mon"]}],
    )
    assert out["windows"] == [{"start": "23:00", "end": "06:00", "days": ["mon"]}]
    assert (
        spec("scheduling_policy", workload_type="w", windows=[{"start": 1380, "end": 360}])[
            "windows"
        ][0]["start"]
        == "23:00"
    )
    assert one_error(
        "scheduling_policy", workload_type="w", windows=[{"start": "25:00", "end": "06:00"}]
    ) == (
        "invalid_time",
        "windows.0.start",
        "expected a time of day HH:MM, got '25:00'",
    )
    assert one_error(
        "scheduling_policy", workload_type="w", windows=[{"start": "06:00", "end": "6:00"}]
    ) == (
        "invalid_time",
        "windows.0.end",
        "window start and end are both 06:00",
    )


def test_scenario_seed_74() -> None:
    out = spec(
        "scenario",
        changes=[{"service": "ml-training", "change": "+50%", "start_date": "2025-03-01"}],
        horizon="6m",
    )
    assert out["changes"][0] == {
        "service": "ml-training",
        "change": "+50%",
        "start_date": "2025-03-01",
    }
    assert out["horizon"] == "6m"
    out = spec(
        "scenario",
        changes=[{"service": "ec2", "change": "ri_conversion", "coverage": 0.7}],
        horizon="12m",
    )
    assert out["horizon"] == "1y"
    out = spec(
        "scenario",
        horizon="12m",
        variables={"user_growth": 0.15, "reserved_instance_coverage": "60%"},
        confidence_interval=0.95,
    )
    assert out["variables"] == {"user_growth": 0.15, "reserved_instance_coverage": 0.6}


def test_scenario_errors() -> None:
    assert one_error("scenario") == ("missing_one_of", "", "a scenario needs changes or variables")
    assert one_error("scenario", changes=[{"service": "x", "change": "double"}], horizon="6h")[
        :2
    ] == ("invalid_horizon", "horizon")
    assert one_error("scenario", changes=[{"service": "x", "change": "+50"}]) == (
        "invalid_change",
        "changes.0.change",
        "expected a change such as +50%, -20% or a named change (ri_conversion), got '+50'",
    )
    assert one_error(
        "scenario", changes=[{"service": "x", "change": "+5%", "start_date": "March"}]
    )[:2] == (
        "date_from_datetime_parsing",
        "changes.0.start_date",
    )


def test_saas_license_policy() -> None:
    out = spec("saas_license_policy", service="github", inactive_threshold="90d")
    assert (out["action"], out["require_approval"]) == ("notify", True)
    assert one_error("saas_license_policy", service="github", inactive_threshold="3 months")[
        :2
    ] == (
        "invalid_duration",
        "inactive_threshold",
    )


def test_team() -> None:
    out = spec("team", owners=["Ana@Example.com"], cost_center="r&d", budget_monthly=60000)
    assert out["owners"] == ["Ana@example.com"]
    assert one_error("team", members=["not-an-email"])[:2] == ("invalid_email", "members.0")


def test_plugin() -> None:
    out = spec(
        "plugin",
        type="telemetry",
        version="~>1.2",
        hooks=["post_collect_metrics"],
        secrets={"token": "${env:T}"},
    )
    assert out["version"] == "~>1.2"
    assert spec("plugin", type="export", version=2)["version"] == "2"
    assert one_error("plugin", type="export", version="banana")[:2] == (
        "invalid_version",
        "version",
    )
    assert one_error("plugin", type="export", hooks=["on_save"])[:2] == (
        "invalid_choice",
        "hooks.0",
    )


def test_plugin_config_is_scanned_for_secrets() -> None:
    assert one_error(
        "plugin",
        type="integration",
        config={"slack": {"url": "https://hooks.slack.com/services/T/B/x"}},
    ) == (
        "secret_literal",
        "config.slack.url",
        "config holds a Slack webhook URL as a literal; move it to `secrets` as ${env:NAME}",
    )
    assert one_error("plugin", type="integration", secrets={"token": "xoxb-123456789-abcdef"})[
        :2
    ] == (
        "secret_literal",
        "secrets.token",
    )
    spec(
        "plugin",
        type="integration",
        config={"workspace_url": "https://example.cloud.databricks.com", "retries": 3},
    )
