"""dashboard (grid placement), report (cron, schedule or trigger)."""

from __future__ import annotations

import pytest
from tests.unit.models.helpers import one_error, spec

W = [
    {"type": "cost_trend", "position": [0, 0], "size": [2, 1], "config": {"time_range": "30d"}},
    {"type": "recommendations", "position": [2, 0], "size": [1, 2]},
]


def test_dashboard_seed_23() -> None:
    out = spec("dashboard", layout="3x3_grid", widgets=W)
    assert out["widgets"][1] == {
        "type": "recommendations",
        "position": [2, 0],
        "size": [1, 2],
        "config": {},
    }


@pytest.mark.parametrize("layout", ["3x3_grid", "3X3", "3 x 3 grid", "3x3-grid"])
def test_dashboard_layout_spellings(layout: str) -> None:
    assert spec("dashboard", layout=layout)["layout"] == "3x3_grid"


def test_dashboard_without_layout_or_positions() -> None:
    out = spec(
        "dashboard", role="cfo", widgets=[{"type": "cost_trend", "config": {"time_range": "30d"}}]
    )
    assert "layout" not in out and out["widgets"][0]["size"] == [1, 1]


def test_dashboard_widget_outside_grid() -> None:
    assert one_error(
        "dashboard", layout="3x3_grid", widgets=[{"type": "a", "position": [2, 2], "size": [2, 1]}]
    ) == (
        "widget_outside_grid",
        "widgets.0.size",
        "widget 0 at [2, 2] with size [2, 1] does not fit the 3x3 grid",
    )
    assert one_error(
        "dashboard", layout="2x2_grid", widgets=[{"type": "a"}, {"type": "b", "position": [0, 5]}]
    ) == (
        "widget_outside_grid",
        "widgets.1.position",
        "widget 1 at [0, 5] with size [1, 1] does not fit the 2x2 grid",
    )


def test_dashboard_widget_overlap() -> None:
    widgets = [*W, {"type": "budget_status", "position": [2, 1]}]
    assert one_error("dashboard", layout="3x3_grid", widgets=widgets) == (
        "widget_overlap",
        "widgets.2.position",
        "widget 2 overlaps widget 1 at cell [2, 1]",
    )
    # overlap is checked without a layout too
    assert one_error(
        "dashboard",
        widgets=[
            {"type": "a", "position": [0, 0], "size": [5, 5]},
            {"type": "b", "position": [4, 4]},
        ],
    )[:2] == (
        "widget_overlap",
        "widgets.1.position",
    )


def test_dashboard_huge_widgets_are_cheap() -> None:
    big = [
        {"type": "a", "position": [0, 0], "size": [10**9, 10**9]},
        {"type": "b", "position": [10**9, 0]},
    ]
    spec("dashboard", widgets=big)


def test_dashboard_field_errors() -> None:
    assert one_error("dashboard", layout="grid") == (
        "invalid_layout",
        "layout",
        "expected a layout COLSxROWS_grid such as 3x3_grid (1 to 24 each), got 'grid'",
    )
    assert one_error("dashboard", widgets=[{"type": "a", "position": [-1, 0]}])[:2] == (
        "greater_than_equal",
        "widgets.0.position.0",
    )
    assert one_error("dashboard", widgets=[{"type": "a", "size": [0, 1]}])[:2] == (
        "not_positive",
        "widgets.0.size.0",
    )
    assert one_error("dashboard", widgets=[{"type": "a", "position": [0]}])[:2] == (
        "missing",
        "widgets.0.position.1",
    )


def test_report_seed_71() -> None:
    out = spec(
        "report",
        template="team_chargeback",
        schedule="0 9 * * mon",
        recipients=["team_leads", "finance"],
        format="Excel",
        breakdown=["team"],
    )
    assert (out["schedule"], out["format"]) == ("0 9 * * MON", "excel")
    spec(
        "report",
        template="cost_anomaly_report",
        schedule="0 8 * * *",
        format="slack_message",
        trigger="anomaly_detected",
    )


def test_report_errors() -> None:
    assert one_error("report", template="t") == (
        "missing_one_of",
        "",
        "a report needs a schedule or a trigger",
    )
    assert one_error("report", template="t", schedule="0 25 * * *") == (
        "invalid_cron",
        "schedule",
        "invalid cron expression '0 25 * * *': hour field '25' is out of range 0-23",
    )
    assert one_error("report", template="t", trigger="x", format="docx")[:2] == (
        "invalid_choice",
        "format",
    )
    assert one_error("report", template="t", trigger="x", sections=["a", "b", "a"]) == (
        "duplicate_item",
        "sections.2",
        "section a appears twice",
    )
