from __future__ import annotations

from datetime import date, timedelta

import pytest

from finopsmetrics_cli.evaluate.forecast import forecast_total, weekday_factors


def series(start: date, days: int, value: float | None = None, **kw: float) -> dict[date, float]:
    out = {}
    for i in range(days):
        day = start + timedelta(days=i)
        weekend = day.weekday() >= 5
        base = value if value is not None else kw["base"] + kw.get("slope", 0.0) * i
        out[day] = base * (kw.get("weekend", 1.0) if weekend else 1.0)
    return out


def test_a_flat_run_rate_is_projected_over_the_remaining_days() -> None:
    data = series(date(2024, 2, 1), 44, 100.0)  # Feb 1 .. Mar 15
    total = forecast_total(data, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 15))
    assert total == pytest.approx(3100.0)


def test_weekend_dips_are_forecast_on_weekends() -> None:
    data = series(date(2024, 1, 1), 75, base=100.0, weekend=0.5)  # through Mar 15 (a Friday)
    total = forecast_total(data, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 15))
    # March 2024 has 21 weekdays and 10 weekend days
    assert total == pytest.approx(21 * 100 + 10 * 50, rel=0.005)
    assert weekday_factors(list(data.items()))[5] < 0.75


def test_a_steady_trend_is_extended() -> None:
    data = series(date(2024, 1, 1), 75, base=100.0, slope=2.0)
    total = forecast_total(data, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 15))
    exact = sum(100.0 + 2.0 * i for i in range(60, 91))
    assert total == pytest.approx(exact, rel=0.002)


def test_one_spike_does_not_become_the_run_rate() -> None:
    data = series(date(2024, 2, 1), 44, 100.0)
    data[date(2024, 3, 14)] = 5000.0
    total = forecast_total(data, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 15))
    assert total == pytest.approx(3100.0 + 4900.0, rel=0.01)


def test_no_history_forecasts_the_actual_and_the_last_day_is_the_actual() -> None:
    assert forecast_total({}, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 15)) == 0.0
    data = series(date(2024, 3, 1), 31, 10.0)
    assert forecast_total(data, date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 31)) == 310.0
