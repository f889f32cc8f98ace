"""Anomaly detection back-test: precision and recall on generated series.

Each series is 150 days of a daily cost with a level, a trend, noise, and
(for the "weekly" family) weekend dips; into it go single-day spikes (+60% to
+300%) and permanent level shifts (+40% to +120%). Every detector method scans
every series (the first 6 weeks are warm-up) and its flags are scored:

* a flag on a spike's day or a shift's first day (or the day after) is a hit;
  every other flag is a false alarm (a shift flagged twice counts once as a
  hit and once as a false alarm);
* precision = hits / flags, recall = events found / events injected.

Series without events (weekly dips only, a steady trend only) are part of the
mix, so a method that flags weekends or trends pays in precision. Target:
both >= 0.9 for ``seasonal`` on both families and for every method on the
family it is meant for (``weekly`` needs the weekday-aware method).

    .venv/bin/python benchmarks/bench_anomalies.py [SERIES_PER_FAMILY] [SEED]
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

from finopsmetrics_cli.evaluate.anomalies import DEFAULT_MIN_RELATIVE
from finopsmetrics_cli.evaluate.detectors import METHODS, DetectorSettings, scan

DAYS = 150
WARMUP = 42
START = date(2024, 1, 1)


@dataclass
class Series:
    points: list[tuple[date, float]]
    spikes: set[date]
    shifts: set[date]


def generate(rng: random.Random, weekly: bool) -> Series:
    base = rng.uniform(50, 5000)
    slope = rng.uniform(-0.002, 0.006)
    noise = rng.uniform(0.03, 0.10)
    weekend = rng.uniform(0.35, 0.8) if weekly else 1.0
    kind = rng.random()  # 20% clean series, 20% trend-only with a strong trend
    if kind < 0.2:
        n_spikes, n_shifts = 0, 0
    elif kind < 0.4:
        n_spikes, n_shifts, slope = 0, 0, rng.uniform(0.01, 0.02)
    else:
        n_spikes, n_shifts = rng.randint(1, 3), rng.randint(0, 1)
    event_days = rng.sample(range(WARMUP + 3, DAYS - 4), n_spikes + n_shifts)
    spikes = {START + timedelta(days=d) for d in event_days[:n_spikes]}
    shifts = {START + timedelta(days=d) for d in event_days[n_spikes:]}
    level = 1.0
    points = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        if day in shifts:
            level *= 1 + rng.uniform(0.4, 1.2)
        value = base * level * (1 + slope * i) * (weekend if day.weekday() >= 5 else 1.0)
        value *= max(0.0, rng.gauss(1.0, noise))
        if day in spikes:
            value *= 1 + rng.uniform(0.6, 3.0)
        points.append((day, round(value, 2)))
    return Series(points, spikes, shifts)


def score(series: list[Series], settings: DetectorSettings) -> tuple[float, float, int, int]:
    hits = flags = found = events = 0
    report_from = START + timedelta(days=WARMUP)
    for s in series:
        flagged = {f.day for f in scan(s.points, settings, report_from)}
        targets = {d: {d} for d in s.spikes} | {d: {d, d + timedelta(days=1)} for d in s.shifts}
        matched: set[date] = set()
        for day in sorted(flagged):
            owner = next((e for e, ok in targets.items() if day in ok and e not in matched), None)
            if owner is not None:
                matched.add(owner)
                hits += 1
        flags += len(flagged)
        found += len(matched)
        events += len(targets)
    return (hits / flags if flags else 1.0), (found / events if events else 1.0), flags, events


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    families = {"flat": [generate(rng, False) for _ in range(count)],
                "weekly": [generate(rng, True) for _ in range(count)]}
    print(f"{count} series per family, {DAYS} days each, sensitivity 0.95, window 28d, "
          f"min_impact relative {DEFAULT_MIN_RELATIVE:.0%} (the default)")
    print(f"{'method':<10} {'family':<7} {'precision':>9} {'recall':>7} {'flags':>6} "
          f"{'events':>6} {'time':>7}")
    for method in METHODS:
        settings = DetectorSettings(method=method, sensitivity=0.95, window=28,
                                    min_relative=DEFAULT_MIN_RELATIVE)
        for family, series in families.items():
            started = time.perf_counter()
            precision, recall, flags, events = score(series, settings)
            took = time.perf_counter() - started
            print(f"{method:<10} {family:<7} {precision:>9.3f} {recall:>7.3f} {flags:>6} "
                  f"{events:>6} {took:>6.2f}s")


if __name__ == "__main__":
    main()
