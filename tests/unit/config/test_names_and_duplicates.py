"""Names a new user gets wrong: who a policy notifies, duplicated objects, and a
single name written where a list of names is expected."""

from __future__ import annotations

import pytest

from finopsmetrics_cli.config import validate_text
from finopsmetrics_cli.errors import Diagnostic

CHANNEL = (
    "notification_channels:\n"
    "  - name: finops-alerts\n"
    "    type: slack\n"
    '    channel: "#finops"\n'
    "    webhook_url: ${env:SLACK_WEBHOOK_URL}\n"
)
RULE = "notification_rules:\n  - persona: cfo\n    channels: [finops-alerts]\n"


def _policy(notification: str) -> str:
    return (
        "policies:\n"
        "  - name: tagged\n"
        "    condition: resource.cost_monthly > 10\n"
        "    action: alert\n"
        f"    notification: {notification}\n"
    )


def _lines(diags: list[Diagnostic]) -> list[str]:
    return [d.render() for d in diags]


def test_a_misspelt_notification_channel_warns_with_a_suggestion_without_any_rule() -> None:
    config, diags = validate_text(CHANNEL + _policy("[finops-slak]"), "f.yaml")
    assert config is not None
    assert _lines(diags) == [
        "f.yaml:10:20: warning[W301]: policy 'tagged': notification[0] names "
        "notification_channel or notification_rule 'finops-slak', which is not declared\n"
        "  hint: did you mean 'finops-alerts'?"
    ]


@pytest.mark.parametrize("rules", ["", RULE])
def test_a_declared_channel_is_never_reported_as_a_missing_rule(rules: str) -> None:
    config, diags = validate_text(CHANNEL + rules + _policy("[finops-alerts, cfo, slack]"))
    assert config is not None
    assert [d for d in diags if d.code == "W301"] == ([] if rules else diags)
    refs = config.objects["policy.tagged"].references
    expected = ("notification_channel.finops-alerts",)
    assert refs == (expected + ("notification_rule.cfo",) if rules else expected)


def test_a_persona_nobody_routes_is_a_warning_listing_channels_and_rules() -> None:
    config, diags = validate_text(CHANNEL + RULE + _policy("finance"), "f.yaml")
    assert config is not None
    assert _lines(diags) == [
        "f.yaml:13:19: warning[W301]: policy 'tagged': notification[0] names "
        "notification_channel or notification_rule 'finance', which is not declared\n"
        "  hint: known notification_channel or notification_rule names: cfo, finops-alerts, "
        "email, jira, pagerduty and 5 more"
    ]


def test_errors_inside_a_duplicate_are_reported_with_the_duplicate() -> None:
    text = CHANNEL + (
        "budgets:\n"
        "  - name: ml\n"
        "    amount: 100\n"
        "  - name: ml\n"
        "    amount: 5\n"
        "    alerts: [{threshold: 80%, channels: [finops-slak]}]\n"
        "    bogus: 1\n"
    )
    config, diags = validate_text(text, "f.yaml")
    assert config is None
    assert [(d.code, d.location.line if d.location else 0) for d in diags] == [
        ("E106", 9),
        ("E120", 12),
    ]
    fixed, diags = validate_text(text.replace("    bogus: 1\n", ""), "f.yaml")
    assert fixed is None
    assert _lines(diags)[1] == (
        "f.yaml:11:42: error[E301]: budget 'ml': alerts[0].channels[0] names "
        "notification_channel 'finops-slak', which is not declared\n"
        "  hint: did you mean 'finops-alerts'?"
    )


def test_an_identical_nameless_copy_is_still_one_object_with_a_warning() -> None:
    rule = "  - {pattern: '^ml-', tags: {team: ml}}\n"
    text = "tag_rules:\n" + rule + rule
    config, diags = validate_text(text)
    assert config is not None and len(config.objects) == 1
    assert [d.code for d in diags] == ["W106"]


ONE_OR_LIST = [
    (
        "budgets",
        "amount: 5\n    alerts: [{threshold: 80%, channels: CH}]",
        "alerts.0.channels",
        "email",
    ),
    (
        "budgets",
        "amount: 5\n    alerts: [{threshold: 80%, recipients: CH}]",
        "alerts.0.recipients",
        "cfo",
    ),
    ("notification_rules", "persona: cfo\n    channels: CH", "channels", "slack"),
    ("teams", "owners: CH", "owners", "lead@example.com"),
    ("reports", "template: weekly\n    trigger: anomaly\n    sections: CH", "sections", "summary"),
    (
        "policies",
        "condition: resource.cost_monthly > 1\n    action: prevent\n    approvers: CH",
        "action.approvers",
        "cto",
    ),
]


@pytest.mark.parametrize(("section", "body", "field", "value"), ONE_OR_LIST)
def test_one_name_and_a_list_of_one_are_the_same_spec(
    section: str, body: str, field: str, value: str
) -> None:
    one, d1 = validate_text(f"{section}:\n  - name: x\n    {body.replace('CH', value)}\n")
    many, d2 = validate_text(f"{section}:\n  - name: x\n    {body.replace('CH', f'[{value}]')}\n")
    assert one is not None and many is not None, (d1, d2)
    assert one.digest == many.digest
    spec = one.objects[next(iter(one.objects))].spec
    for step in field.split("."):
        spec = spec[int(step)] if step.isdigit() else spec[step]
    assert spec == [value]


def test_a_number_where_names_are_expected_is_our_own_message() -> None:
    config, diags = validate_text("teams:\n  - name: t\n    owners: 5\n", "f.yaml")
    assert config is None
    assert _lines(diags) == [
        "f.yaml:3:13: error[E219]: team 't': owners: expected an email address or a list of "
        "them, got 5\n  hint: write an email address alone (x) or a list ([x, y])"
    ]
    _, diags = validate_text("budgets:\n  b: {amount: 1, alerts: [{threshold: 1, channels: {}}]}\n")
    assert [d.message for d in diags] == [
        "budget 'b': alerts[0].channels: expected a name or a list of them, got a mapping"
    ]


def test_a_mapping_where_a_list_of_objects_is_expected_gets_a_hint() -> None:
    text = "budgets:\n  b:\n    amount: 5\n    alerts: {threshold: 80%}\n"
    _, diags = validate_text(text, "f.yaml")
    assert _lines(diags) == [
        "f.yaml:4:13: error[E122]: budget 'b': alerts: expected a list (got a mapping)\n"
        "  hint: write a list: [a, b], or one `- ` item per line"
    ]
