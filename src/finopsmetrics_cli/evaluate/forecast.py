"""Forecast of a budget period's total from daily history.

Method (documented in docs/commands/evaluate.md, measured by
``benchmarks/bench_forecast.py``): the period total is the actual spend so far
plus a forecast of every remaining day. Each remaining day is a level times
its weekday's factor:

- history: up to the 8 weeks before ``at`` (days without rows count as 0);
- weekday factors: each weekday's median ratio to the centred 7-day mean
  around it, normalised to a mean of 1 (needs 2 weeks; else all are 1);
- level and trend: a least-squares line through the last 4 weeks of the
  de-seasonalised history (each day divided by its factor), after clipping
  one-off spikes to the median +/- 3 MADs so a single spike does not become
  the run rate; the line is extended over the remaining days and never
  below zero.

Plain Python: the series are a few dozen points per budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from statistics import median

HISTORY_DAYS = 56
TREND_DAYS = 28


def forecast_total(series: Mapping[date, float], start: date, end: date, at: date) -> float:
    """Forecast of the total of ``start..end`` as of the end of ``at`` (start <= at <= end)."""
    actual = sum(v for d, v in series.items() if start <= d <= at)
    remaining = (end - at).days
    if remaining <= 0:
        return actual
    history = daily_history(series, at, HISTORY_DAYS)
    if not history:
        return actual
    return actual + sum(project(history, at, remaining))


def daily_history(series: Mapping[date, float], at: date, limit: int) -> list[tuple[date, float]]:
    """The last ``limit`` days up to ``at`` from the series' first day, gaps as 0."""
    known = [d for d in series if d <= at]
    if not known:
        return []
    first = max(min(known), at - timedelta(days=limit - 1))
    get = series.get
    return [(day, get(day, 0.0)) for day in _days(first, at)]


@lru_cache(maxsize=64)
def _days(first: date, last: date) -> tuple[date, ...]:
    """first..last (budgets of one evaluation share a handful of these)."""
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def weekday_factors(history: list[tuple[date, float]]) -> list[float]:
    """Each weekday's median ratio to the centred 7-day mean around it, normalised
    to a mean of 1 (ratios to a moving mean keep a trend out of the factors;
    medians keep one spike from making its weekday expensive)."""
    if len(history) < 14:
        return [1.0] * 7
    by_day: list[list[float]] = [[] for _ in range(7)]
    values = [v for _, v in history]
    first_weekday = history[0][0].weekday()
    window = sum(values[0:7])  # the 7 days centred on day i, kept as a running sum
    for i in range(3, len(history) - 3):
        if i > 3:
            window += values[i + 3] - values[i - 4]
        if window > 0:
            by_day[(first_weekday + i) % 7].append(values[i] * 7 / window)
    if any(not ratios for ratios in by_day):
        return [1.0] * 7
    medians = [median(ratios) for ratios in by_day]
    mean = sum(medians) / 7
    return [max(m / mean, 0.0) for m in medians] if mean > 0 else [1.0] * 7


def project(history: list[tuple[date, float]], at: date, horizon: int) -> list[float]:
    """Forecast of the ``horizon`` days after ``at``."""
    factors = weekday_factors(history)
    recent = history[-TREND_DAYS:]
    level = [v / factors[d.weekday()] if factors[d.weekday()] > 0 else v for d, v in recent]
    level = clip_spikes(level)
    intercept, slope = linear_fit(level)
    last = len(level) - 1
    out = []
    for h in range(1, horizon + 1):
        day = at + timedelta(days=h)
        out.append(max(intercept + slope * (last + h), 0.0) * factors[day.weekday()])
    return out


def clip_spikes(values: list[float]) -> list[float]:
    """Values clipped to the median +/- 3 scaled MADs (at least 2% of the median)."""
    if len(values) < 5:
        return values
    mid = median(values)
    spread = max(1.4826 * median(abs(v - mid) for v in values), 0.02 * abs(mid))
    if spread <= 0:
        return values
    low, high = mid - 3 * spread, mid + 3 * spread
    return [min(max(v, low), high) for v in values]


def linear_fit(values: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of values against 0, 1, 2, ..."""
    n = len(values)
    if n < 2:
        return (values[0] if values else 0.0), 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    sxy = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    slope = sxy / sxx
    return mean_y - slope * mean_x, slope
