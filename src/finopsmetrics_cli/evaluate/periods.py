"""Budget periods: the calendar period holding a day, clipped to a budget's dates."""

from __future__ import annotations

from datetime import date, timedelta

PERIODS: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """First and last day of the ``period`` holding ``day`` (weeks are ISO: Monday-Sunday)."""
    if period == "daily":
        return day, day
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "monthly":
        return day.replace(day=1), _month_end(day.year, day.month)
    if period == "quarterly":
        first = 3 * ((day.month - 1) // 3) + 1
        return date(day.year, first, 1), _month_end(day.year, first + 2)
    if period == "yearly":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"unknown period {period!r}")


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def period_label(period: str, start: date) -> str:
    """What a period is called in finding keys and messages: 2024-03, 2024-Q1, 2024-W09."""
    if period == "daily":
        return start.isoformat()
    if period == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "monthly":
        return f"{start:%Y-%m}"
    if period == "quarterly":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def clipped_period(
    period: str, day: date, start_date: date | None, end_date: date | None
) -> tuple[date, date] | None:
    """The budget's period holding ``day`` within start_date/end_date; None when inactive."""
    if (start_date and day < start_date) or (end_date and day > end_date):
        return None
    start, end = period_bounds(period, day)
    if start_date and start_date > start:
        start = start_date
    if end_date and end_date < end:
        end = end_date
    return start, end


def days(start: date, end: date) -> list[date]:
    """Every day from start to end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
