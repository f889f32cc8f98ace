from __future__ import annotations

import json
from datetime import date, datetime

from finopsmetrics_cli.errors import Location
from finopsmetrics_cli.evaluate import render
from finopsmetrics_cli.evaluate.model import (
    AlertFired,
    Anomaly,
    BudgetStatus,
    EvaluationResult,
    Finding,
)

SEEN = datetime(2024, 3, 21, 6, 0, 0)


def result() -> EvaluationResult:
    budget = BudgetStatus("ml-training-q1", "quarterly", date(2024, 1, 1), date(2024, 3, 31),
                          40_000.0, "USD", 41_200.0, 44_000.004,
                          (AlertFired(1.0, "actual"),))  # fmt: skip
    anomaly = Anomaly("spend", date(2024, 3, 18), {"service": "Amazon S3"}, 450.0, 50.0,
                      "critical", "prophet", "seasonal")  # fmt: skip
    findings = [
        Finding("budget", "ml-training-q1", "budget_actual", "100% 2024-Q1", "high",
                "41,200.00 of 40,000.00 USD spent (103%): the 100% alert fired",
                location=Location("finopsmetrics.yaml", 12, 5), first_seen=SEEN, last_seen=SEEN),
        Finding("anomaly_detector", "spend", "anomaly", "2024-03-18 service=Amazon S3",
                "critical", "spike on 2024-03-18", status="open", first_seen=SEEN,
                last_seen=SEEN, day=date(2024, 3, 18)),
        Finding("budget", "old", "budget_actual", "80% 2024-02", "medium", "gone",
                status="resolved", first_seen=SEEN, last_seen=SEEN),
    ]  # fmt: skip
    return EvaluationResult(date(2024, 3, 20), date(2024, 3, 20), date(2024, 3, 14),
                            "EffectiveCost", ("budget", "anomaly_detector"), [budget], [anomaly],
                            findings, ["a warning"])  # fmt: skip


def test_json_is_the_documented_shape() -> None:
    doc = json.loads(render.to_json(result()))
    assert doc["format_version"] == 1
    assert (doc["at"], doc["data_through"]) == ("2024-03-20", "2024-03-20")
    assert doc["budgets"] == [{
        "name": "ml-training-q1",
        "period": {"type": "quarterly", "start": "2024-01-01", "end": "2024-03-31"},
        "amount": 40000.0, "currency": "USD", "actual": 41200.0, "forecast": 44000.0,
        "percent_actual": 1.03, "percent_forecast": 1.1, "alerts_fired": [
            {"threshold": 1.0, "type": "actual"}],
    }]  # fmt: skip
    assert doc["anomalies"] == [{
        "detector": "spend", "date": "2024-03-18", "series": {"service": "Amazon S3"},
        "actual": 450.0, "expected": 50.0, "impact": 400.0, "severity": "critical",
        "model": "prophet", "method": "seasonal", "shape": "spike",
    }]  # fmt: skip
    first = doc["findings"][0]
    assert {k: first[k] for k in ("id", "kind", "name", "type", "severity", "status")} == {
        "id": result().findings[0].id, "kind": "budget", "name": "ml-training-q1",
        "type": "budget_actual", "severity": "high", "status": "new",
    }  # fmt: skip
    assert (first["file"], first["line"]) == ("finopsmetrics.yaml", 12)


def test_github_annotations_point_at_the_control_and_skip_resolved() -> None:
    assert render.to_github(result()).splitlines() == [
        "::error file=finopsmetrics.yaml,line=12,col=5,"
        "title=budget.ml-training-q1 (budget_actual)::"
        "41,200.00 of 40,000.00 USD spent (103%25): the 100%25 alert fired",
        "::error title=anomaly_detector.spend (anomaly)::spike on 2024-03-18",
    ]


def test_sarif_has_locations_and_stable_fingerprints() -> None:
    log = json.loads(render.to_sarif(result()))
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["budget_actual", "anomaly"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "finopsmetrics.yaml"},
        "region": {"startLine": 12, "startColumn": 5},
    }
    assert "locations" not in results[1]  # live state: no file
    assert results[0]["partialFingerprints"] == {
        "finopsmetricsFinding/v1": result().findings[0].id
    }


def test_markdown_is_a_pr_comment_with_a_marker() -> None:
    text = render.to_markdown(result())
    assert text.startswith("<!-- finopsmetrics:evaluate -->\n### finopsmetrics evaluate\n")
    assert "Evaluated as of 2024-03-20 (data through 2024-03-20): 1 new, 1 open, 1 resolved" in text
    row = "| `ml-training-q1` | 2024-01-01..2024-03-31 | 40,000.00 USD | 41,200.00 | 103% |"
    assert row in text
    assert "> **warning:** a warning" in text
