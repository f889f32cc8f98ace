from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from finopsmetrics_cli.evaluate.detectors import (
    METHODS,
    DetectorSettings,
    band_multiplier,
    method_for,
    scan,
    severity,
)

START = date(2024, 1, 1)  # a Monday
DAYS = 120
REPORT = START + timedelta(days=42)


def make(
    *,
    weekend: float = 1.0,
    slope: float = 0.0,
    noise: float = 0.05,
    spikes: dict[int, float] | None = None,
    shift: tuple[int, float] | None = None,
    seed: int = 3,
) -> list[tuple[date, float]]:
    rng = random.Random(seed)
    out = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        value = 1000.0 * (1 + slope * i) * (weekend if day.weekday() >= 5 else 1.0)
        if shift and i >= shift[0]:
            value *= shift[1]
        value *= rng.gauss(1.0, noise)
        value *= (spikes or {}).get(i, 1.0)
        out.append((day, value))
    return out


def flagged(points: list[tuple[date, float]], method: str, **kw: float) -> list[tuple[int, str]]:
    settings = DetectorSettings(method=method, window=int(kw.pop("window", 28)), **kw)
    return [((f.day - START).days, f.shape) for f in scan(points, settings, REPORT)]


@pytest.mark.parametrize("method", METHODS)
def test_a_spike_is_found_on_its_day(method: str) -> None:
    assert flagged(make(spikes={70: 3.0}), method) == [(70, "spike")]


@pytest.mark.parametrize("method", METHODS)
def test_a_steady_trend_is_not_flagged(method: str) -> None:
    assert flagged(make(slope=0.015), method) == []


def test_weekly_dips_are_not_flagged_and_spikes_still_are() -> None:
    weekly = make(weekend=0.4, spikes={73: 1.8})  # a Friday, +80%
    assert flagged(weekly, "seasonal") == [(73, "spike")]
    assert flagged(make(weekend=0.4), "seasonal") == []


@pytest.mark.parametrize("method", METHODS)
def test_a_level_shift_is_reported_once(method: str) -> None:
    assert flagged(make(shift=(60, 1.8)), method) == [(60, "level_shift")]


def test_the_last_day_of_a_shift_is_a_spike_until_the_next_days_arrive() -> None:
    points = make(shift=(60, 1.8))
    assert flagged(points[:61], "mad") == [(60, "spike")]
    assert flagged(points[:64], "mad") == [(60, "level_shift")]


def test_min_impact_absolute_and_relative() -> None:
    points = make(spikes={70: 1.5}, noise=0.01)  # +500 on a 1,000 day
    assert flagged(points, "mad") == [(70, "spike")]
    assert flagged(points, "mad", min_impact=600.0) == []
    assert flagged(points, "mad", min_relative=0.6) == []
    assert flagged(points, "mad", min_relative=0.4) == [(70, "spike")]


def test_a_dip_is_never_an_anomaly() -> None:
    assert flagged(make(spikes={70: 0.1}), "zscore") == []


def test_higher_sensitivity_flags_smaller_deviations() -> None:
    assert band_multiplier(0.99) < band_multiplier(0.95) < band_multiplier(0.5)
    points = make(spikes={70: 1.3}, noise=0.04)
    assert flagged(points, "mad", sensitivity=1.0) == [(70, "spike")]
    assert flagged(points, "mad", sensitivity=0.0) == []


def test_declared_types_run_as_a_named_method() -> None:
    assert [method_for(t) for t in ("isolation_forest", "prophet", "arima", "ewma")] == [
        "mad", "seasonal", "ewma", "ewma",
    ]  # fmt: skip


def test_severity_by_relative_impact() -> None:
    assert [severity(a, 100.0) for a in (110, 125, 160, 250)] == [
        "low", "medium", "high", "critical",
    ]  # fmt: skip
    assert severity(5.0, 0.0) == "critical"
