"""What validate says about notification channels and rules that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.evaluate.model import Finding
from finopsmetrics_cli.notify.routing import alert_names


@pytest.mark.parametrize("kind", ["jira", "servicenow", "sms"])
def test_channel_types_that_cannot_deliver_are_refused(tmp_path: Path, kind: str) -> None:
    config = tmp_path / "f.yaml"
    needs = "phone_numbers: ['+15550100']" if kind == "sms" else "url: https://x.example.com"
    config.write_text(f"notification_channels:\n  - name: c\n    type: {kind}\n    {needs}\n")
    result = CliRunner().invoke(app, ["validate", str(config), "--no-color"])
    assert result.exit_code == 1
    assert (
        f"{config}:3:11: error[E239]: notification_channel 'c': type: {kind} channels are "
        "not deliverable yet: alerts sent to it would be lost" in result.output
    )


def test_quiet_hours_must_be_a_window(tmp_path: Path) -> None:
    config = tmp_path / "f.yaml"
    config.write_text(
        "notification_rules:\n  - persona: x\n    channels: [slack]\n"
        '    quiet_hours: {start: "22:00", end: "22:00", time_zone: Mars/Base}\n'
    )
    result = CliRunner().invoke(app, ["validate", str(config), "--no-color"])
    assert result.exit_code == 1
    assert "error[E238]" in result.output  # the time zone
    config.write_text(
        "notification_rules:\n  - persona: x\n    channels: [slack]\n"
        '    quiet_hours: {start: "22:00", end: "22:00"}\n'
    )
    result = CliRunner().invoke(app, ["validate", str(config), "--no-color"])
    assert (
        "error[E237]: notification_rule 'x': quiet_hours.end: quiet hours start and end "
        "are both 22:00" in result.output
    )


def test_alert_types_of_policy_like_findings() -> None:
    for kind in ("policy", "lifecycle_rule", "compliance_framework"):
        f = Finding(kind, "n", f"{kind}_match", "k", "medium", "m")
        assert "policy_violation" in alert_names(f)
    coverage = Finding("tag_rule", "n", "tag_coverage", "k", "low", "m")
    assert {"tag_coverage", "untagged_resources"} <= alert_names(coverage)
