"""tag_rule, virtual_tag, notification_channel, notification_rule."""

from __future__ import annotations

from tests.unit.models.helpers import one_error, spec

from finopsmetrics_cli.models import get_kind


def test_tag_rule_shapes_of_the_seed() -> None:
    spec("tag_rule", pattern="^prod-.*", tags={"environment": "production"})
    spec(
        "tag_rule",
        resource_type="ec2_instance",
        inference_rules=[{"tag": "team", "infer_from": "vpc_tag"}],
    )
    out = spec(
        "tag_rule",
        resource_type="s3_bucket",
        ml_prediction={
            "model": "tag_predictor_v1",
            "confidence_threshold": "80%",
            "tags": ["team"],
        },
    )
    assert out["ml_prediction"]["confidence_threshold"] == 0.8
    out = spec(
        "tag_rule",
        description="d",
        rules=[
            {"condition": "resource.creator_email CONTAINS '@ml-team.'", "tags": {"team": "ml"}}
        ],
    )
    assert out["rules"][0]["tags"] == {"team": "ml"}


def test_tag_rule_errors() -> None:
    assert one_error("tag_rule", tags={"a": "b"}) == (
        "missing_one_of",
        "",
        "a tag rule needs a selector: pattern, resource_type, condition or rules",
    )
    assert one_error("tag_rule", pattern="^x") == (
        "missing_one_of",
        "",
        "a tag rule needs something to set: tags, inference_rules, ml_prediction or rules",
    )
    assert one_error("tag_rule", pattern="(", tags={"a": "b"})[:2] == ("invalid_regex", "pattern")
    assert one_error(
        "tag_rule",
        resource_type="s3",
        ml_prediction={"model": "m", "tags": ["a"], "confidence_threshold": 2},
    )[:2] == (
        "ratio_range",
        "ml_prediction.confidence_threshold",
    )
    assert one_error("tag_rule", rules=[{"condition": "x", "tags": {}}])[:2] == (
        "too_short",
        "rules.0.tags",
    )


def test_virtual_tag_coerce_body_shorthands() -> None:
    info = get_kind("virtual_tag")
    mapping = info.coerce(
        "virtual_tags", "cost_center_mapping", {"i-0123456789": {"cost_center": "marketing"}}
    )
    assert mapping == {
        "name": "cost_center_mapping",
        "mappings": {"i-0123456789": {"cost_center": "marketing"}},
    }
    rules = info.coerce(
        "virtual_tags", "tag_rules", [{"resource_pattern": ".*-ml-.*", "tags": {"a": "b"}}]
    )
    assert rules["rules"][0]["resource_pattern"] == ".*-ml-.*"
    full = info.coerce("virtual_tags", "v", {"default": {"a": "b"}})
    assert full == {"default": {"a": "b"}, "name": "v"}


def test_virtual_tag_errors() -> None:
    assert one_error("virtual_tag") == (
        "missing_one_of",
        "",
        "a virtual tag needs mappings, rules or a default",
    )
    assert one_error("virtual_tag", rules=[{"tags": {"a": "b"}}]) == (
        "missing_one_of",
        "rules.0",
        "a virtual tag rule needs resource_pattern or condition",
    )
    assert one_error("virtual_tag", mappings={"i-1": {"a": ["x"]}})[:2] == (
        "string_type",
        "mappings.i-1.a",
    )


def test_notification_channel() -> None:
    out = spec("notification_channel", type="Slack", webhook_url="${env:SLACK_WEBHOOK}")
    assert out == {
        "type": "slack",
        "webhook_url": "${env:SLACK_WEBHOOK}",
        "headers": {},
        "addresses": [],
        "phone_numbers": [],
    }
    spec("notification_channel", type="email", addresses=["a@example.com"])


def test_notification_channel_secret_literals() -> None:
    assert one_error(
        "notification_channel",
        type="slack",
        webhook_url="https://hooks.slack.com/services/T0/B0/abc",
    ) == (
        "secret_literal",
        "webhook_url",
        "this looks like a Slack webhook URL written as a literal; "
        "secrets must be references: ${env:NAME} or ${file:PATH}",
    )
    assert one_error(
        "notification_channel", type="pagerduty", integration_key="0123456789abcdef0123456789abcdef"
    )[:2] == (
        "secret_literal",
        "integration_key",
    )
    assert one_error(
        "notification_channel",
        type="webhook",
        webhook_url="${env:H}",
        headers={"Authorization": "Bearer abcdefghijkl"},
    )[:2] == (
        "secret_literal",
        "headers.Authorization",
    )


def test_notification_channel_needs_destination() -> None:
    assert one_error("notification_channel", type="slack") == (
        "missing_one_of",
        "",
        "a slack channel needs webhook_url or token",
    )
    assert one_error("notification_channel", type="email") == (
        "missing_one_of",
        "",
        "an email channel needs addresses",
    )
    assert one_error("notification_channel", type="fax")[:2] == ("invalid_choice", "type")


def test_notification_rule_persona_and_approval_route() -> None:
    out = spec(
        "notification_rule",
        persona="CFO",
        channels=["email", "slack"],
        frequency="daily_digest",
        alerts=["budget_exceeded"],
        format="executive_summary",
    )
    assert out["persona"] == "cfo"
    data = get_kind("notification_rule").coerce(
        "slack_approvals",
        "slack-approval-ri_purchase",
        {
            "action": "ri_purchase",
            "channel": "#finops-approvals",
            "message_template": "Cost: ${upfront_cost}",
        },
    )
    assert data["channels"] == ["slack"]
    from finopsmetrics_cli.models import get_kind as gk

    obj = gk("notification_rule").model.model_validate(data).canonical_spec()
    assert obj["message_template"] == "Cost: ${upfront_cost}"


def test_notification_rule_errors() -> None:
    assert one_error("notification_rule", channels=["slack"]) == (
        "missing_one_of",
        "",
        "a notification rule needs a persona or an action",
    )
    assert one_error("notification_rule", persona="cfo") == (
        "missing_one_of",
        "",
        "a notification rule for a persona needs channels",
    )
    assert one_error("notification_rule", action="ri_purchase") == (
        "missing_one_of",
        "",
        "an approval route (action) needs a channel",
    )
    assert one_error("notification_rule", persona="cfo", channels=["slack"], frequency="weekly")[
        :2
    ] == (
        "invalid_choice",
        "frequency",
    )
