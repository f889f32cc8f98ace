"""Anomaly detection on one daily cost series.

Every method fits the ``window`` days before a day and gives an expected
value and a scale; a day is an anomaly when it is above
``expected + k * scale`` (``k`` from the sensitivity) and its impact passes
``min_impact``. Methods (measured by ``benchmarks/bench_anomalies.py``):

- ``zscore``: mean and standard deviation of the window;
- ``mad``: the median, and the RMS of the deviations clipped at 3 scaled
  median absolute deviations (robust to spikes, steadier than the MAD alone);
- ``ewma``: an exponentially weighted mean, scale = the weighted RMS of
  one-day-ahead errors (so a steady trend widens the band instead of firing);
- ``seasonal``: ``mad`` on the series divided by weekday factors, times the
  factor; a weekday's factor is its median ratio to the trailing week's
  median, over at least 8 weeks (so trends and level shifts do not bend it).

Windows of two weeks or more also carry a trend: the slope between the means
(medians) of their first and last whole weeks. Declared types that have no
implementation of their own run as a named method: ``isolation_forest`` as
``mad`` (a robust outlier score), ``prophet`` as ``seasonal`` (trend plus
weekly seasonality), ``arima`` as ``ewma``.

What keeps noise quiet: a day above the band never joins the history (a
spike does not widen the band for the days after it); when most of the next
days are above the band too, it is a level shift: reported once, on its first day,
and the history restarts there, so the new level is not flagged again and
again. Days below the band are never anomalies (a weekend dip is not news).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, median

METHODS: tuple[str, ...] = ("zscore", "mad", "ewma", "seasonal")
RUN_AS: dict[str, str] = {"isolation_forest": "mad", "prophet": "seasonal", "arima": "ewma"}
SEASONAL_MIN_WINDOW = 56
LOOKAHEAD = 3
REL_FLOOR = 0.02  # the band is never narrower than 2% of the expected value


def method_for(declared: str) -> str:
    """The implemented method a declared model type runs as."""
    return declared if declared in METHODS else RUN_AS.get(declared, "mad")


def band_multiplier(sensitivity: float) -> float:
    """``k`` of the band: sensitivity 1 -> 4, 0.95 -> 4.25, 0.5 -> 6.5, 0 -> 9."""
    return 4.0 + 5.0 * (1.0 - min(max(sensitivity, 0.0), 1.0))


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    method: str
    sensitivity: float = 0.95
    window: int = 7
    min_impact: float = 0.0
    min_relative: float = 0.0

    @property
    def fit_days(self) -> int:
        """Days of history each fit uses."""
        return max(self.window, SEASONAL_MIN_WINDOW) if self.method == "seasonal" else self.window

    @property
    def min_points(self) -> int:
        return 7 if self.method == "seasonal" else min(5, max(self.window, 2))


@dataclass(frozen=True, slots=True)
class Flag:
    day: date
    actual: float
    expected: float
    scale: float
    shape: str


@dataclass(frozen=True, slots=True)
class Fit:
    """A fitted window: expected value and scale for any day near it."""

    level: float
    slope: float
    center: float  # ordinal of the day the level belongs to
    scale: float
    factors: tuple[float, ...] | None = None

    def expected(self, day: date) -> float:
        base = max(self.level + self.slope * (day.toordinal() - self.center), 0.0)
        return base * (self.factors[day.weekday()] if self.factors else 1.0)

    def band(self, day: date) -> tuple[float, float]:
        expected = self.expected(day)
        factor = self.factors[day.weekday()] if self.factors else 1.0
        scale = max(self.scale * factor, REL_FLOOR * expected, 0.01)
        return expected, scale


def _trend(points: Sequence[tuple[date, float]], center: Sequence[float] = (), robust: bool = False
           ) -> float:
    """Slope per day between the first and last whole weeks of a 2-week+ window."""
    if len(points) < 14:
        return 0.0
    h = (len(points) // 14) * 7
    first, last = points[:h], points[-h:]
    agg = median if robust else fmean
    d1 = fmean(d.toordinal() for d, _ in first)
    d2 = fmean(d.toordinal() for d, _ in last)
    if d2 <= d1:
        return 0.0
    return (agg(v for _, v in last) - agg(v for _, v in first)) / (d2 - d1)


def _location_fit(points: Sequence[tuple[date, float]], robust: bool) -> Fit:
    values = [v for _, v in points]
    center = fmean(d.toordinal() for d, _ in points)
    slope = _trend(points, robust=robust)
    residuals = [v - slope * (d.toordinal() - center) for d, v in points]
    if robust:
        level = median(residuals)
        mad = 1.4826 * median(abs(r - level) for r in residuals)
        # the MAD alone is a noisy scale on a few weeks of points; the RMS of the
        # residuals clipped at 3 MADs is as robust to a spike and steadier
        bound = 3 * mad
        clipped = [min(abs(r - level), bound) ** 2 for r in residuals]
        scale = max(mad, math.sqrt(fmean(clipped))) if mad > 0 else 0.0
    else:
        level = fmean(residuals)
        scale = math.sqrt(fmean((r - level) ** 2 for r in residuals)) if len(values) > 1 else 0.0
    return Fit(level, slope, center, scale)


def _ewma_fit(points: Sequence[tuple[date, float]], window: int) -> Fit:
    alpha = 2.0 / (window + 1.0)
    level = points[0][1]
    square = 0.0
    for _, value in points[1:]:
        error = value - level
        square = (1 - alpha) * square + alpha * error * error
        level += alpha * error
    # the weights of n-1 errors sum to 1 - (1 - alpha)^(n-1): correct the start-up bias
    weight = 1 - (1 - alpha) ** (len(points) - 1)
    scale = math.sqrt(square / weight) if weight > 0 else 0.0
    return Fit(level, 0.0, float(points[-1][0].toordinal()), scale)


def local_ratios(series: Sequence[tuple[date, float]]) -> dict[date, float]:
    """Each day's value / the median of its trailing week (itself and the 6 days before).

    Dividing by a local level takes trend and level shifts out of the weekday
    factors; the median keeps a spike from bending its neighbours.
    """
    out: dict[date, float] = {}
    for index in range(6, len(series)):
        level = median(v for _, v in series[index - 6 : index + 1])
        if level > 0:
            out[series[index][0]] = series[index][1] / level
    return out


def weekday_factors(days: Sequence[date], ratios: dict[date, float]) -> tuple[float, ...] | None:
    """Each weekday's median local ratio over ``days``, normalised to a mean of 1.

    None without three ratios of every weekday.
    """
    by_day: list[list[float]] = [[] for _ in range(7)]
    for day in days:
        ratio = ratios.get(day)
        if ratio is not None:
            by_day[day.weekday()].append(ratio)
    if any(len(values) < 3 for values in by_day):
        return None
    raw = [max(median(values), 0.05) for values in by_day]
    mean = fmean(raw)
    return tuple(f / mean for f in raw)


def fit(settings: DetectorSettings, points: Sequence[tuple[date, float]],
        factors: tuple[float, ...] | None = None) -> Fit:
    """Fit ``settings.method`` on ``points`` (the window's normal days, oldest first)."""
    method = settings.method
    if method == "zscore":
        return _location_fit(points, robust=False)
    if method == "mad":
        return _location_fit(points, robust=True)
    if method == "ewma":
        return _ewma_fit(points, settings.window)
    if factors is None:
        return _location_fit(points, robust=True)
    flat = [(d, v / factors[d.weekday()]) for d, v in points]
    base = _location_fit(flat, robust=True)
    # the factors were fitted on these very points: their residuals understate the noise
    n = len(points)
    scale = base.scale * math.sqrt(n / max(n - 7, 1) * (1 + 7 / n))
    return Fit(base.level, base.slope, base.center, scale, factors)


def scan(
    series: Sequence[tuple[date, float]], settings: DetectorSettings, report_from: date
) -> list[Flag]:
    """Anomalies of ``series`` (every day, oldest first) on days from ``report_from``."""
    k = band_multiplier(settings.sensitivity)
    clean: list[tuple[date, float, date]] = []  # normal days and the level each belongs to
    regime_start = series[0][0] if series else report_from
    factors: tuple[float, ...] | None = None
    flags: list[Flag] = []
    span = timedelta(days=settings.fit_days)
    ratios = local_ratios(series) if settings.method == "seasonal" else {}
    lo = 0  # clean is in day order: clean[lo:] is the window
    for index, (day, value) in enumerate(series):
        while lo < len(clean) and clean[lo][0] < day - span:
            lo += 1
        recent = clean[lo:]
        window = [(d, v) for d, v, start in recent if start == regime_start]
        if len(window) < settings.min_points:
            clean.append((day, value, regime_start))
            continue
        if settings.method == "seasonal":
            factors = weekday_factors([p[0] for p in recent], ratios) or factors
        model = fit(settings, window, factors)
        expected, scale = model.band(day)
        if value <= expected + k * scale:
            clean.append((day, value, regime_start))
            continue
        ahead = series[index + 1 : index + 1 + LOOKAHEAD]
        above = sum(1 for d, v in ahead if _above(model, d, v, k))
        shift = bool(ahead) and above * 2 > len(ahead)
        if shift:  # a new level: history restarts here
            regime_start = day
            clean.append((day, value, regime_start))
        if day >= report_from and _significant(value - expected, expected, settings):
            flags.append(Flag(day, value, expected, scale, "level_shift" if shift else "spike"))
    return flags


def _above(model: Fit, day: date, value: float, k: float) -> bool:
    expected, scale = model.band(day)
    return value > expected + k * scale


def _significant(impact: float, expected: float, settings: DetectorSettings) -> bool:
    if impact < settings.min_impact:
        return False
    return not (expected > 0 and impact < settings.min_relative * expected)


def severity(actual: float, expected: float) -> str:
    """By how much the day exceeds what was expected: x2 critical, +50% high, +20% medium."""
    if expected <= 0:
        return "critical" if actual > 0 else "low"
    ratio = (actual - expected) / expected
    if ratio >= 1.0:
        return "critical"
    if ratio >= 0.5:
        return "high"
    if ratio >= 0.2:
        return "medium"
    return "low"
