"""Budget forecast back-test: forecast at mid-month vs the realised month total.

Generates many daily cost series (a level, a trend of -0.3%..+0.6% a day,
weekend dips down to 35%, 3-12% noise, an occasional one-day spike in the
history) and, for every month after the first two, forecasts the month's
total as of the 15th with ``evaluate.forecast`` and compares it with what the
month really cost. Prints the absolute percentage error (mean, median, p90,
max) and the share of forecasts within 10% (target: mean error under 10%).

    .venv/bin/python benchmarks/bench_forecast.py [SERIES] [SEED]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta

from finopsmetrics_cli.evaluate.forecast import forecast_total
from finopsmetrics_cli.evaluate.periods import period_bounds

START = date(2024, 1, 1)
DAYS = 366


def generate(rng: random.Random) -> dict[date, float]:
    base = rng.uniform(20, 20000)
    slope = rng.uniform(-0.003, 0.006)
    noise = rng.uniform(0.03, 0.12)
    weekend = rng.uniform(0.35, 1.0)
    spikes = set(rng.sample(range(DAYS), rng.randint(0, 4)))
    out = {}
    for i in range(DAYS):
        day = START + timedelta(days=i)
        value = base * max(0.05, 1 + slope * i) * (weekend if day.weekday() >= 5 else 1.0)
        value *= max(0.0, rng.gauss(1.0, noise))
        if i in spikes:
            value *= rng.uniform(2, 5)
        out[day] = round(value, 2)
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 11)
    errors: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        data = generate(rng)
        for month in range(3, 13):
            start, end = period_bounds("monthly", date(2024, month, 1))
            at = date(2024, month, 15)
            seen = {d: v for d, v in data.items() if d <= at}  # nothing after --at
            forecast = forecast_total(seen, start, end, at)
            realised = sum(v for d, v in data.items() if start <= d <= end)
            errors.append(abs(forecast - realised) / realised)
    took = time.perf_counter() - started
    errors.sort()
    within = sum(1 for e in errors if e <= 0.10) / len(errors)
    print(f"{len(errors)} month forecasts at mid-month ({count} series x 10 months), "
          f"{took:.2f}s ({took / len(errors) * 1e6:.0f} us each)")
    print(f"absolute error: mean {statistics.fmean(errors):.2%}, "
          f"median {statistics.median(errors):.2%}, p90 {errors[int(len(errors) * 0.9)]:.2%}, "
          f"max {errors[-1]:.2%}; within 10%: {within:.1%} (target: mean under 10%)")


if __name__ == "__main__":
    main()
