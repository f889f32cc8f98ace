from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from plan_factories import config, desired, entry, live

from finopsmetrics_cli.drift import drift_report
from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.markdown import PLAN_MARKER, drift_markdown, plan_markdown
from finopsmetrics_cli.plan.model import Plan, PlanOptions
from finopsmetrics_cli.plan.planfile import checksum, read_plan_file, write_plan_file
from finopsmetrics_cli.plan.planner import build_plan
from finopsmetrics_cli.plan.render import drift_github, drift_json, plain, plan_json, plan_lines

ROOT = Path(__file__).resolve().parents[3]
SECRET = {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK}"}


def sample_plan() -> Plan:
    cfg = config(
        desired("notification_channel.ops", SECRET),
        desired("budget.ml", {"amount": 200, "alerts": [{"threshold": 0.5}, {"threshold": 0.9}]}),
        desired("budget.imp", {"amount": 1}),
    )
    current = [
        live("budget.ml", {"amount": 100, "alerts": [{"threshold": 0.5}, {"threshold": 0.8}]},
             applied={"amount": 50, "alerts": [{"threshold": 0.5}, {"threshold": 0.8}]}),
        live("budget.imp", {"amount": 1}, manager=None),
        live("budget.gone", {"amount": 3}),
    ]
    return build_plan(cfg, current, PlanOptions(), lineage="L", serial=4,
                      last_change=lambda a: entry(a, "edit", actor="bob"))


def test_text_plan() -> None:
    text = plain(plan_lines(sample_plan()))
    assert text == """\
Objects changed outside of code since the last apply:

  ~ budget.ml was changed outside of code by bob (source api) at 2026-11-27 10:00:00Z
      ~ amount: 50 -> 100

Unless you accept them (plan --refresh-only), the plan below undoes these changes.

finopsmetrics will perform the following actions:

  # budget.gone will be destroyed
  - budget.gone

  # budget.imp will be imported
 <= budget.imp

  # budget.ml will be updated in-place
  ~ budget.ml
      ~ alerts[1].threshold: 80% -> 90%
      ~ amount: 100 -> 200

  # notification_channel.ops will be created
  + notification_channel.ops
      + type: "slack"
      + webhook_url: "${env:SLACK_WEBHOOK}"

Plan: 1 to import, 1 to add, 1 to change, 1 to destroy.
"""


def test_json_matches_schema_and_round_trips() -> None:
    plan = sample_plan()
    document = json.loads(plan_json(plan))
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["format_version"] == 1
    assert document["summary_line"] == "Plan: 1 to import, 1 to add, 1 to change, 1 to destroy."
    document.pop("summary_line")
    by_address = [c.to_dict() for c in sorted(plan.changes, key=lambda c: c.address)]
    assert Plan.from_dict(document) == Plan.from_dict({**plan.to_dict(), "changes": by_address})
    assert Plan.from_dict(plan.to_dict()) == plan


def test_drift_json_matches_schema_and_github() -> None:
    current = [live("budget.ml", {"amount": 2}, applied={"amount": 1})]
    report = drift_report(None, current, lambda a: entry(a, "edit", actor="eve"))
    schema = json.loads((ROOT / "schemas" / "drift.schema.json").read_text())
    jsonschema.validate(json.loads(drift_json(report)), schema)
    assert drift_github(report, {}) == (
        "::warning title=drift budget.ml::budget.ml was changed outside of code by eve "
        "(source api) at 2026-11-27 10:00:00Z: amount\n"
    )
    assert drift_markdown(report).startswith("<!-- finopsmetrics:drift -->\n")


def test_markdown_summary_first_and_truncated() -> None:
    text = plan_markdown(sample_plan())
    lines = text.splitlines()
    assert lines[0] == PLAN_MARKER
    assert lines[3] == "**Plan: 1 to import, 1 to add, 1 to change, 1 to destroy.**"
    assert lines[5:8] == ["| add | change | destroy | import |", "|---:|---:|---:|---:|",
                          "| 1 | 1 | 1 | 1 |"]
    assert "<details>" in text and "```diff" in text
    assert "\n!     ~ amount: 100 -> 200\n" in text
    assert "\n+ + notification_channel.ops\n" in text
    big = config(*[desired(f"budget.b{i:04d}", {"amount": i}) for i in range(2000)])
    long_text = plan_markdown(build_plan(big, [], PlanOptions()))
    assert len(long_text) < 65_536
    assert "more not shown (plan too long for a comment)." in long_text


def test_no_changes_markdown() -> None:
    plan = build_plan(config(), [], PlanOptions())
    assert plan_markdown(plan) == f"{PLAN_MARKER}\n### finopsmetrics plan\n\n**No changes.**\n"


def test_plan_file_round_trip_and_tamper(tmp_path: Path) -> None:
    plan = sample_plan()
    path = tmp_path / "p.plan"
    write_plan_file(plan, path)
    assert read_plan_file(path) == plan
    document = json.loads(path.read_text())
    document["plan"]["changes"][0]["after"] = {"amount": 1_000_000}
    path.write_text(json.dumps(document))
    with pytest.raises(PlanError, match=r"has been modified since it was written \(checksum"):
        read_plan_file(path)
    path.write_text("not json {")
    with pytest.raises(PlanError, match=r"is not a finopsmetrics plan file \(it is not valid JSON"):
        read_plan_file(path)
    path.write_text(json.dumps({"kind": "finopsmetrics-plan", "format_version": "9.0"}))
    with pytest.raises(PlanError, match=r"^plan file .* has format version 9\.0; this "
                                        r"finopsmetrics reads version 1$"):
        read_plan_file(path)


def test_plan_file_written_with_format_version_1_0_still_reads(tmp_path: Path) -> None:
    """Plan files from releases that wrote the string "1.0" are read as version 1."""
    plan = sample_plan()
    path = tmp_path / "old.plan"
    write_plan_file(plan, path)
    document = json.loads(path.read_text())
    assert document["format_version"] == 1 and document["plan"]["format_version"] == 1
    document["format_version"] = document["plan"]["format_version"] = "1.0"
    document["checksum"] = checksum(document["plan"])
    path.write_text(json.dumps(document))
    assert read_plan_file(path) == plan
