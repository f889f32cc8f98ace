from __future__ import annotations

from datetime import date

import pytest

from finopsmetrics_cli.evaluate.periods import clipped_period, period_bounds, period_label


@pytest.mark.parametrize(
    ("period", "day", "start", "end", "label"),
    [
        ("daily", date(2024, 3, 15), date(2024, 3, 15), date(2024, 3, 15), "2024-03-15"),
        # ISO weeks run Monday to Sunday; 2024-12-31 is in week 1 of 2025
        ("weekly", date(2024, 3, 15), date(2024, 3, 11), date(2024, 3, 17), "2024-W11"),
        ("weekly", date(2024, 12, 31), date(2024, 12, 30), date(2025, 1, 5), "2025-W01"),
        ("monthly", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("monthly", date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31), "2024-12"),
        ("quarterly", date(2024, 5, 20), date(2024, 4, 1), date(2024, 6, 30), "2024-Q2"),
        ("quarterly", date(2024, 12, 1), date(2024, 10, 1), date(2024, 12, 31), "2024-Q4"),
        ("yearly", date(2024, 7, 4), date(2024, 1, 1), date(2024, 12, 31), "2024"),
    ],
)
def test_period_bounds_and_labels(
    period: str, day: date, start: date, end: date, label: str
) -> None:
    assert period_bounds(period, day) == (start, end)
    assert period_label(period, start) == label


def test_clipped_to_start_and_end_dates() -> None:
    q1 = ("quarterly", date(2024, 2, 10))
    assert clipped_period(*q1, date(2024, 1, 15), date(2024, 3, 10)) == (
        date(2024, 1, 15), date(2024, 3, 10),
    )  # fmt: skip
    assert clipped_period(*q1, date(2024, 2, 11), None) is None  # not started yet
    assert clipped_period(*q1, None, date(2024, 2, 9)) is None  # already over
    assert clipped_period(*q1, None, None) == (date(2024, 1, 1), date(2024, 3, 31))
