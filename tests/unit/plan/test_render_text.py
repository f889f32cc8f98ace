"""The text plan, drift and markdown as people read them: exact text of a plan that
holds every action, objects by address, numbers as written, colours in bulk."""

from __future__ import annotations

import io
import json

import pytest
from plan_factories import config, desired, entry, live

from finopsmetrics_cli.cli.output import STYLES, style_codes, write_lines
from finopsmetrics_cli.drift import drift_report
from finopsmetrics_cli.plan.diff import FieldChange
from finopsmetrics_cli.plan.markdown import drift_markdown, plan_markdown
from finopsmetrics_cli.plan.model import Plan, PlanOptions
from finopsmetrics_cli.plan.planner import build_plan
from finopsmetrics_cli.plan.render import field_line, plain, plan_json, plan_lines, styled
from finopsmetrics_cli.plan.values import number_text, percent_fields, value_text

ALERTS = [{"threshold": 0.8, "type": "actual", "channels": ["email"]},
          {"threshold": 1.0, "type": "forecasted", "channels": ["email"]}]


def every_action_plan() -> Plan:
    """Create, update, replace, destroy, import, adopt-free outside changes (an edit and a
    take-over), secret references; declared in an order that is neither apply nor address
    order."""
    cfg = config(
        desired("scenario.growth", {"horizon": "6mo", "variables": {"growth": 0.15},
                                    "confidence_interval": 0.95}),
        desired("notification_channel.ops", {"type": "slack", "webhook_url": "${env:OPS_HOOK}"}),
        desired("budget.team-b", {"amount": 65000.0, "currency": "USD", "alerts": [
            {"threshold": 0.9, "type": "actual", "channels": ["ops"]},
            {"threshold": 1.2, "type": "actual", "channels": ["ops"]}]}),
        desired("budget.team-a", {"amount": 50000.0, "currency": "EUR", "period": "monthly",
                                  "alerts": ALERTS, "filters": {"team": "a"}}),
        desired("notification_channel.pager", {"type": "webhook",
                                               "webhook_url": "${env:NEW_HOOK}"}),
        desired("budget.adopted", {"amount": 10.5, "currency": "USD"}),
        desired("cost_allocation.shared", {"method": "fixed", "allocations": [
            {"target": "a", "share": 0.6}, {"target": "b", "share": 0.4}]}),
    )
    current = [
        live("budget.team-b", {"amount": 50000.0, "currency": "USD", "alerts": [
            {"threshold": 0.8, "type": "actual", "channels": ["ops"]}]},
            applied={"amount": 40000.0, "currency": "USD", "alerts": [
                {"threshold": 0.8, "type": "actual", "channels": ["ops"]}]}),
        live("notification_channel.pager", {"type": "slack", "webhook_url": "${env:OLD_HOOK}"}),
        live("policy.retired", {"condition": 'resource.type == "vm"', "action": "alert"}),
        live("budget.adopted", {"amount": 10.5, "currency": "USD"}, manager=None),
        live("cost_allocation.shared", {"method": "fixed", "allocations": [
            {"target": "a", "share": 0.5}, {"target": "b", "share": 0.5}]}),
        live("scenario.other", {"horizon": "3mo", "variables": {"growth": 0.1}},
             applied={"horizon": "3mo", "variables": {"growth": 0.2}}),
    ]
    return build_plan(cfg, current, PlanOptions(), lineage="L", serial=7,
                      last_change=lambda a: entry(a, "edit", actor="bob"))


EXPECTED = """\
Objects changed outside of code since the last apply:

  ~ budget.team-b was changed outside of code by bob (source api) at 2026-11-27 10:00:00Z
      ~ amount: 40000 -> 50000
  ~ scenario.other was changed outside of code by bob (source api) at 2026-11-27 10:00:00Z
      ~ variables.growth: 20% -> 10%

Unless you accept them (plan --refresh-only), the plan below undoes these changes.

finopsmetrics will perform the following actions:

  # budget.adopted will be imported
 <= budget.adopted

  # budget.team-a will be created
  + budget.team-a
      + amount: 50000
      + currency: "EUR"
      + period: "monthly"
      + alerts[0].threshold: 80%
      + alerts[0].type: "actual"
      + alerts[0].channels: ["email"]
      + alerts[1].threshold: 100%
      + alerts[1].type: "forecasted"
      + alerts[1].channels: ["email"]
      + filters.team: "a"

  # budget.team-b will be updated in-place
  ~ budget.team-b
      ~ alerts[0].threshold: 80% -> 90%
      + alerts[1]: {"threshold": 120%, "type": "actual", "channels": ["ops"]}
      ~ amount: 50000 -> 65000

  # cost_allocation.shared will be updated in-place
  ~ cost_allocation.shared
      ~ allocations[0].share: 50% -> 60%
      ~ allocations[1].share: 50% -> 40%

  # notification_channel.ops will be created
  + notification_channel.ops
      + type: "slack"
      + webhook_url: "${env:OPS_HOOK}"

  # notification_channel.pager must be replaced (type cannot change in place)
-/+ notification_channel.pager
      ~ type: "slack" -> "webhook"  # forces replacement
      ~ webhook_url: "${env:OLD_HOOK}" -> "${env:NEW_HOOK}"

  # policy.retired will be destroyed
  - policy.retired

  # scenario.growth will be created
  + scenario.growth
      + horizon: "6mo"
      + variables.growth: 15%
      + confidence_interval: 95%

  # scenario.other will be destroyed
  - scenario.other

Plan: 1 to import, 4 to add, 2 to change, 3 to destroy.
"""


def test_every_action_as_people_read_it() -> None:
    assert plain(plan_lines(every_action_plan())) == EXPECTED


def test_display_is_by_address_but_apply_order_is_kept() -> None:
    plan = every_action_plan()
    apply_order = [c.address for c in plan.changes]
    shown = [c["address"] for c in json.loads(plan_json(plan))["changes"]]
    assert shown == sorted(shown, key=lambda a: tuple(a.split(".", 1)))
    assert sorted(apply_order) == sorted(shown) and apply_order != shown
    assert plan.to_dict()["changes"] == [c.to_dict() for c in plan.changes]  # plan files


def test_json_keeps_canonical_values() -> None:
    document = json.loads(plan_json(every_action_plan()))
    team_b = next(c for c in document["changes"] if c["address"] == "budget.team-b")
    assert team_b["fields"][0] == {"path": "alerts[0].threshold", "action": "change",
                                   "old": 0.8, "new": 0.9}
    assert team_b["after"]["amount"] == 65000.0
    assert document["format_version"] == 1


def test_markdown_uses_the_same_lines() -> None:
    text = plan_markdown(every_action_plan())
    assert "\n!     ~ alerts[0].threshold: 80% -> 90%\n" in text
    assert "\n!     ~ amount: 50000 -> 65000\n" in text
    body = text[text.index("```diff", text.index("Show 9 change(s)")):]
    order = [ln.split()[1] for ln in body.splitlines() if ln.startswith("  # ")]
    assert order == sorted(order, key=lambda a: tuple(a.split(".", 1)))


def test_drift_text_and_markdown_show_numbers_as_written() -> None:
    current = [
        live("scenario.z", {"variables": {"g": 0.25}}, applied={"variables": {"g": 0.2}}),
        live("budget.a", {"amount": 65000.0}, applied={"amount": 50000.0}),
    ]
    report = drift_report(None, current, lambda a: entry(a, "edit", actor="eve"))
    from finopsmetrics_cli.plan.render import drift_lines

    assert plain(drift_lines(report)) == """\
Objects changed outside of code:

  ~ budget.a was changed outside of code by eve (source api) at 2026-11-27 10:00:00Z
      ~ amount: 50000 -> 65000
  ~ scenario.z was changed outside of code by eve (source api) at 2026-11-27 10:00:00Z
      ~ variables.g: 20% -> 25%

Drift: 2 of 2 managed objects changed outside of code.
"""
    assert "\n!     ~ variables.g: 20% -> 25%\n" in drift_markdown(report)


@pytest.mark.parametrize(
    ("value", "percent", "text"),
    [
        (50000.0, False, "50000"),
        (0.35, False, "0.35"),
        (-2.0, False, "-2"),
        (7, False, "7"),
        (1e20, False, "1e+20"),
        (0.8, True, "80%"),
        (0.07, True, "7%"),
        (0.855, True, "85.5%"),
        (1.0, True, "100%"),
        (10, True, "1000%"),
        (0.0001, True, "0.01%"),
    ],
)
def test_number_text(value: float, percent: bool, text: str) -> None:
    assert number_text(value, percent=percent) == text


def test_values_keep_json_spelling_apart_from_numbers() -> None:
    assert value_text("80") == '"80"'
    assert value_text(True) == "true"
    assert value_text(None) == "null"
    assert value_text({"a": [1.0, "x\n"], "b": {}}) == '{"a": [1, "x\\n"], "b": {}}'
    assert value_text("é") == '"é"'


def test_percent_fields_come_from_the_field_types() -> None:
    assert percent_fields("budget") == {"alerts": {"*": {"threshold": {"%": True}}}}
    assert percent_fields("cost_allocation") == {"allocations": {"*": {"share": {"%": True}}}}
    assert percent_fields("team") is None
    assert percent_fields("no_such_kind") is None
    # a duration named like a threshold is not a percent: the type decides, not the name
    assert "inactive_threshold" not in (percent_fields("saas_license_policy") or {})


def test_forces_replacement_and_unknown_kind() -> None:
    change = FieldChange("model.type", "change", "zscore", "mad")
    assert field_line(change, ("model.type",), "anomaly_detector") == (
        "~", "yellow", 'model.type: "zscore" -> "mad"  # forces replacement')
    assert field_line(FieldChange("x", "change", 0.5, 2.0), (), "gone_kind") == (
        "~", "yellow", "x: 0.5 -> 2")


def test_terminal_controls_are_dropped_from_text() -> None:
    lines = [("bold", "actor \x1b[31mred\x07"), ("", "value \"\\u001b\"")]
    assert plain(lines) == 'actor [31mred\nvalue "\\u001b"\n'
    assert styled(lines, {"bold": ("<b>", "</b>")}) == '<b>actor [31mred</b>\nvalue "\\u001b"\n'


def _terminal(**kwargs: object) -> object:
    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, highlight=False, soft_wrap=True,
                   emoji=False, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
def test_colours_are_the_ones_rich_prints_line_by_line(color_system: str) -> None:
    from rich.text import Text

    lines = plan_lines(every_action_plan())
    one_by_one = _terminal(color_system=color_system)
    for style, line in lines:
        one_by_one.print(Text(line, style=style))  # type: ignore[attr-defined]
    bulk = _terminal(color_system=color_system)
    write_lines(lines, console=bulk)  # type: ignore[arg-type]
    expected = one_by_one.file.getvalue()  # type: ignore[attr-defined]
    assert bulk.file.getvalue() == expected  # type: ignore[attr-defined]
    assert "\x1b[32m  + budget.team-a\x1b[0m\n" in expected


def test_plain_when_not_a_terminal_or_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    assert style_codes(_terminal(no_color=True)) is None  # type: ignore[arg-type]
    assert style_codes(Console(file=io.StringIO())) is None
    monkeypatch.setenv("NO_COLOR", "1")
    from finopsmetrics_cli.cli.output import make_console

    assert style_codes(make_console()) is None
    monkeypatch.delenv("NO_COLOR")
    codes = style_codes(_terminal(color_system="standard"))  # type: ignore[arg-type]
    assert codes is not None and set(codes) == set(STYLES)
    assert codes["green"] == ("\x1b[32m", "\x1b[0m")


def test_write_lines_to_a_pipe_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    write_lines([("bold", "Plan: 1 to add, 0 to change, 0 to destroy.")])
    assert capsys.readouterr().out == "Plan: 1 to add, 0 to change, 0 to destroy.\n"
