"""One notation for field paths: validate, plan and drift all print ``alerts[0].threshold``,
and ``lifecycle.ignore_changes`` accepts what they print."""

from __future__ import annotations

from finopsmetrics_cli.config import validate_text
from finopsmetrics_cli.drift import drift_report
from finopsmetrics_cli.plan.diff import diff_specs
from finopsmetrics_cli.state.api import LiveObject

BUDGET = (
    "budgets:\n"
    "  - name: ml\n"
    "    amount: 100\n"
    "    alerts:\n"
    "      - threshold: 80%\n"
    "      - threshold: 2000%\n"
    "        channels: [slak]\n"
)


def test_validate_prints_bracket_paths() -> None:
    config, diags = validate_text(BUDGET, "f.yaml")
    assert config is None
    assert [d.render() for d in diags] == [
        "f.yaml:6:20: error[E212]: budget 'ml': alerts[1].threshold: threshold must be greater "
        "than 0 and at most 10 (1.0 = 100%), got 20.0\n"
        "  hint: 1.0 (or 100%) is the full amount; 0.8 alerts at 80%",
    ]
    config, diags = validate_text(BUDGET.replace("2000%", "90%"), "f.yaml")
    assert config is None
    assert [d.message for d in diags] == [
        "budget 'ml': alerts[1].channels[0] names notification_channel 'slak', "
        "which is not declared",
    ]
    assert diags[0].path == ("alerts", 1, "channels", 0)  # JSON keeps the list form


def test_plan_and_drift_print_the_same_paths() -> None:
    old = {"alerts": [{"threshold": 0.8}, {"threshold": 0.9, "channels": ["a"]}]}
    new = {"alerts": [{"threshold": 0.8}, {"threshold": 0.95, "channels": ["b"]}]}
    assert [c.path for c in diff_specs(old, new)] == [
        "alerts[1].channels[0]", "alerts[1].threshold"]
    live = LiveObject("budget", "ml", new, "config", old, 1, None, "me", None, "me", "api")
    report = drift_report(None, [live], None)
    assert [f.path for f in report.items[0].fields] == [
        "alerts[1].channels[0]", "alerts[1].threshold"]


def test_ignore_changes_accepts_the_printed_paths() -> None:
    for path in ("alerts[1].threshold", "alerts[*].threshold", "alerts.*.threshold"):
        text = BUDGET.replace("2000%", "90%").replace("[slak]", "[email]") + (
            f"    lifecycle:\n      ignore_changes: ['{path}']\n")
        config, diags = validate_text(text, "f.yaml")
        assert config is not None, diags
        assert config.objects["budget.ml"].lifecycle.ignore_changes == (path,)
    valid = BUDGET.replace("2000%", "90%").replace("[slak]", "[email]")
    _, diags = validate_text(valid + "    lifecycle:\n      ignore_changes: ['alertz[0]']\n")
    assert [d.message for d in diags] == [
        "budget 'ml': lifecycle.ignore_changes[0]: ignore_changes names 'alertz[0]', which is "
        "not a field of this kind; did you mean 'alerts'?"
    ]
