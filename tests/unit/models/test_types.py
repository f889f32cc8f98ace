"""The reusable field types: accepted spellings, canonical values, exact errors."""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError

from finopsmetrics_cli.models.secrets import SecretRef, looks_like_secret
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    Condition,
    Cron,
    CurrencyCode,
    Duration,
    Email,
    Horizon,
    IdentifierList,
    Name,
    Percent,
    Ratio,
    Regex,
    TagMap,
    Threshold,
    cron_problem,
    duration_seconds,
    normalise_condition,
)


def make(annotation: Any) -> type[BaseModel]:
    class M(BaseModel):
        v: annotation  # type: ignore[valid-type]

    return M


def ok(annotation: Any, value: Any) -> Any:
    return make(annotation).model_validate({"v": value}).v


def err(annotation: Any, value: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        make(annotation).model_validate({"v": value})
    (error,) = info.value.errors(include_url=False)
    return error["type"], error["msg"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("80%", 0.8),
        ("80 %", 0.8),
        (" 80% ", 0.8),
        (0.8, 0.8),
        (1, 1.0),
        ("33.3%", 0.333),
        ("0.5", 0.5),
        ("150%", 1.5),
    ],
)
def test_percent_spellings(value: Any, expected: float) -> None:
    assert ok(Percent, value) == expected


@pytest.mark.parametrize("value", ["eighty", "80%%", True, None, [80]])
def test_percent_rejects(value: Any) -> None:
    kind, _ = err(Percent, value)
    assert kind == "invalid_percent"


def test_percent_message() -> None:
    assert err(Percent, "lots") == (
        "invalid_percent",
        "expected a number or a percent such as 80%, got 'lots'",
    )


@pytest.mark.parametrize("value", ["80%", 0.8, 10, "1000%", 0.0001])
def test_threshold_accepts(value: Any) -> None:
    assert 0 < ok(Threshold, value) <= 10


@pytest.mark.parametrize("value", [0, "0%", -0.5, 10.5, "1001%"])
def test_threshold_range(value: Any) -> None:
    kind, msg = err(Threshold, value)
    assert kind == "threshold_range"
    assert msg.startswith("threshold must be greater than 0 and at most 10 (1.0 = 100%), got ")


def test_ratio_range() -> None:
    assert ok(Ratio, "95%") == 0.95
    assert err(Ratio, 1.5) == (
        "ratio_range",
        "expected a ratio between 0 and 1 (0% to 100%), got 1.5",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24h", "1d"),
        ("48h", "2d"),
        ("2880m", "2d"),
        ("2d", "2d"),
        ("7d", "7d"),
        ("1w", "7d"),
        ("90m", "90m"),
        ("1h30m", "90m"),
        ("30s", "30s"),
        ("36h", "36h"),
        (" 24 H ", "1d"),
    ],
)
def test_duration_canonical(value: str, expected: str) -> None:
    assert ok(Duration, value) == expected


@pytest.mark.parametrize("value", ["24", "1y", "h", "", "0h", 24, "-1h", "1.5h"])
def test_duration_rejects(value: Any) -> None:
    assert err(Duration, value)[0] == "invalid_duration"


def test_duration_messages() -> None:
    assert err(Duration, "0h") == (
        "invalid_duration",
        "duration must be longer than zero, got '0h'",
    )
    assert err(Duration, 24)[1] == (
        "expected a duration such as 30m, 24h, 7d or 2w (s, m=minutes, h, d, w), got 24"
    )
    assert duration_seconds("1d2h") == 93600


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6m", "6m"),
        ("12m", "1y"),
        ("24m", "2y"),
        ("1y", "1y"),
        ("90d", "90d"),
        ("2w", "14d"),
        ("18mo", "18m"),
    ],
)
def test_horizon_months(value: str, expected: str) -> None:
    assert ok(Horizon, value) == expected


def test_horizon_rejects() -> None:
    assert err(Horizon, "6h") == (
        "invalid_horizon",
        "expected a horizon such as 90d, 6m (months) or 1y, got '6h'",
    )


def test_currency() -> None:
    assert ok(CurrencyCode, "usd") == "USD"
    assert ok(CurrencyCode, " Eur ") == "EUR"
    assert err(CurrencyCode, "USX") == (
        "invalid_currency",
        "unknown currency code 'USX'; did you mean USD?",
    )
    assert err(CurrencyCode, "dollars")[0] == "invalid_currency"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0 9 * * MON", "0 9 * * MON"),
        ("0 9 * * mon", "0 9 * * MON"),
        ("0  9 1 *   *", "0 9 1 * *"),
        ("*/15 0-6,22,23 * JAN-MAR MON-FRI", "*/15 0-6,22,23 * JAN-MAR MON-FRI"),
        ("0 0 L * *", None),
        ("@daily", "@daily"),
        ("0 9 * * 7", "0 9 * * 7"),
    ],
)
def test_cron(value: str, expected: str | None) -> None:
    if expected is None:
        assert err(Cron, value)[0] == "invalid_cron"
    else:
        assert ok(Cron, value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0 9 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("60 9 * * *", "minute field '60' is out of range 0-59"),
        ("0 24 * * *", "hour field '24' is out of range 0-23"),
        ("0 9 0 * *", "day of month field '0' is out of range 1-31"),
        ("0 9 * 13 *", "month field '13' is out of range 1-12"),
        ("0 9 * * FUN", "day of week field 'FUN' is out of range 0-7"),
        ("0 9 * * 5-1", "day of week field '5-1' has a range that runs backwards"),
        ("*/0 9 * * *", "minute field '*/0' has a zero step"),
        ("0 9 * * *-1", "day of week field '*-1' is malformed"),
    ],
)
def test_cron_problems(value: str, problem: str) -> None:
    assert cron_problem(value) == problem
    assert err(Cron, value) == ("invalid_cron", f"invalid cron expression {value!r}: {problem}")


def test_regex() -> None:
    assert ok(Regex, "^prod-.*") == "^prod-.*"
    kind, msg = err(Regex, "([a-")
    assert kind == "invalid_regex"
    assert msg.startswith("invalid regular expression '([a-': ")
    assert err(Regex, "a" * 1001) == (
        "invalid_regex",
        "regular expression is longer than 1000 characters",
    )


def test_plain_regex_shortcut_accepts_only_valid_patterns() -> None:
    """Patterns that skip re.compile (literals, '.', one quantifier, anchors) must all
    be valid, and every other spelling must still be compiled and judged."""
    from finopsmetrics_cli.models.types import _PLAIN_REGEX

    alphabet = ["a", ".", "-", "*", "+", "?", "^", "$", "(", "{", "\\", " "]
    shortcut = 0
    for length in range(1, 5):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            if _PLAIN_REGEX.fullmatch(text):
                re.compile(text)
                shortcut += 1
    assert shortcut > 500
    for bad in ("*a", "a**", "^*", "+", "a$b", "^^a", "(a", "a{", "\\"):
        assert not _PLAIN_REGEX.fullmatch(bad)
    assert err(Regex, "a**")[1] == "invalid regular expression 'a**': multiple repeat at position 2"
    assert err(Regex, "(?<=a+)b")[0] == "invalid_regex"  # found by compiling, not parsing
    assert ok(Regex, ".*-ml-7-.*") == ".*-ml-7-.*"


def test_email() -> None:
    assert ok(Email, "Ana@Example.COM") == "Ana@example.com"
    assert err(Email, "ana@") == ("invalid_email", "expected an email address, got 'ana@'")
    assert err(Email, "a b@example.com")[0] == "invalid_email"


def test_choice_case_insensitive() -> None:
    Period = Annotated[str, ChoiceOf("daily", "real_time", "monthly")]
    assert ok(Period, "Monthly") == "monthly"
    assert ok(Period, "Real-Time") == "real_time"
    assert ok(Period, "real time") == "real_time"
    assert err(Period, "montly") == (
        "invalid_choice",
        "'montly' is not one of: daily, real_time, monthly; did you mean 'monthly'?",
    )
    assert err(Period, 3) == ("invalid_choice", "expected one of: daily, real_time, monthly, got 3")


def test_one_or_many() -> None:
    assert ok(IdentifierList, "slack") == ["slack"]
    assert ok(IdentifierList, ["Team_Lead", "finance"]) == ["team_lead", "finance"]


def test_tag_values_become_strings() -> None:
    assert ok(TagMap, {"auto_shutdown": True, "tier": 2}) == {"auto_shutdown": "true", "tier": "2"}


def test_condition_whitespace_outside_quotes() -> None:
    text = 'resource.type == "ec2  instance" AND\n   resource.idle_hours > 48\n'
    assert ok(Condition, text) == 'resource.type == "ec2  instance" AND resource.idle_hours > 48'
    assert normalise_condition("a  CONTAINS 'x \\' y'  AND b") == "a CONTAINS 'x \\' y' AND b"
    assert err(Condition, "  ")[0] == "missing_one_of"


def test_name() -> None:
    assert ok(Name, "ML Training Q1 2025") == "ML Training Q1 2025"
    assert err(Name, " x")[0] == "invalid_name"
    assert err(Name, "")[1] == "name must not be empty"
    assert err(Name, "a\nb")[0] == "invalid_name"


@pytest.mark.parametrize(
    "value", ["${env:SLACK_WEBHOOK}", "${file:/run/secrets/slack}", " ${env:A_1} "]
)
def test_secret_reference(value: str) -> None:
    assert ok(SecretRef, value) == value.strip()


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "a Slack webhook URL"),
        ("https://contoso.webhook.office.com/webhookb2/abc", "a Microsoft Teams webhook URL"),
        ("xoxb-1234567890-abcdefghij", "a Slack token"),
        ("0123456789abcdef0123456789abcdef", "a PagerDuty integration key"),
        ("https://example.com/hook?token=abc", "a URL with a credential"),
        ("https://api.example.com/webhooks/123", "a webhook URL"),
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
        ("Zx81kLq0Pw93Hs72Nd61Mf50Jg49Ka38", "a PagerDuty integration key"),
        ("Zx81kLq0Pw93Hs72Nd61Mf50Jg49Ka38Qp", "a token-like string"),
    ],
)
def test_secret_literals_are_recognised(value: str, what: str) -> None:
    assert looks_like_secret(value) == what
    assert err(SecretRef, value) == (
        "secret_literal",
        f"this looks like {what} written as a literal; secrets must be references: "
        "${env:NAME} or ${file:PATH}",
    )


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("hunter2", "a literal string"),
        ("$SLACK", "a literal string"),
        ("${env:}", "a malformed reference"),
        ("${ENV:X}", "a malformed reference"),
        ("${env:A-B}", "a malformed reference"),
        (12345678, "a number"),
        (True, "a boolean"),
        (["hunter2"], "a list"),
        ({"k": "hunter2"}, "a mapping"),
    ],
)
def test_secret_other_literals_are_described_never_shown(value: object, got: str) -> None:
    assert err(SecretRef, value) == (
        "secret_not_reference",
        f"a secret field holds a reference, ${{env:NAME}} or ${{file:PATH}}, got {got}",
    )


@pytest.mark.parametrize(
    "value", ["#finops-alerts", "finops_team", "ml-training-prod", "https://example.com"]
)
def test_ordinary_values_do_not_look_like_secrets(value: str) -> None:
    assert looks_like_secret(value) is None


def test_timezone() -> None:
    from finopsmetrics_cli.models.types import TimeZone

    assert ok(TimeZone, "Europe/Paris") == "Europe/Paris"
    assert ok(TimeZone, "utc") == "UTC"
    assert err(TimeZone, "Mars/Olympus") == (
        "invalid_timezone",
        "expected an IANA time zone such as UTC or Europe/Paris, got 'Mars/Olympus'",
    )
    assert err(TimeZone, "../etc/passwd")[0] == "invalid_timezone"


@pytest.mark.parametrize(
    "value",
    [
        "123e4567-e89b-12d3-a456-426614174000",
        "0123456789abcdef0123456789abcdef",
        "my_databricks_cluster_id_0412_x1",
        "/var/lib/finops/data2024/exports",
        "com.example.finops.plugin.exporter2",
    ],
)
def test_config_scan_ignores_ids_and_paths(value: str) -> None:
    from finopsmetrics_cli.models.secrets import scan_for_secrets

    assert scan_for_secrets({"a": [value]}) is None


def test_config_scan_finds_tokens() -> None:
    from finopsmetrics_cli.models.secrets import scan_for_secrets

    assert scan_for_secrets({"a": [{"b": "xK9mP2vL8nQ4wR7tY1zA5bC3dE6fG0hJ"}]}) == (
        ("a", 0, "b"),
        "a token-like string",
    )
    assert scan_for_secrets({"t": "${env:TOKEN}", "u": "https://hooks.slack.com/x"}) == (
        ("u",),
        "a Slack webhook URL",
    )
