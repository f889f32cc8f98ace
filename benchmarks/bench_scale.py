"""DuckDB vs Apache Spark (local mode) for the same evaluation, and where a cluster wins.

Builds ROWS FOCUS rows (the shape of bench_evaluate: 120 days, 30 services,
40 accounts, team/env tags, 20,000 resources), publishes them as the Parquet
dataset ``costs sync`` writes for Spark, and times one evaluation of 100
budgets and 10 anomaly detectors (one scan, as every run) on:

- DuckDB over the cost store (in process, warm: the floor on one machine);
- Spark ``local[*]`` over the Parquet dataset (session already started; its
  start-up is reported apart, since a long-running process pays it once).

From the measured per-row costs it states, on paper, the row count above
which a cluster of N cores would finish first, assuming Spark's per-row
work divides over the cores and its fixed cost per evaluation (job
scheduling: the intercept of the two sizes) does not. Each engine runs once
untimed first (Spark's JIT, DuckDB's caches); figures are medians of RUNS.

    .venv/bin/python benchmarks/bench_scale.py [ROWS,ROWS...] [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_evaluate import build_costs  # noqa: E402

from finopsmetrics_cli.evaluate.model import Control  # noqa: E402

TODAY = date(2026, 1, 1)
AT = date(2024, 4, 29)


def controls() -> list[Control]:
    out = [
        Control("budget", f"b{i}", {"amount": 1000 + i, "filters": {"service": f"svc-{i % 30}"}})
        for i in range(70)
    ]
    out += [
        Control("budget", f"t{i}", {"amount": 500 + i, "filters": {"team": f"team-{i % 25}"}})
        for i in range(30)
    ]
    out += [
        Control("anomaly_detector", f"d{i}",
                {"filters": {"account": f"acct-{i}"}, "type": "zscore", "window": 14})
        for i in range(10)
    ]  # fmt: skip
    return out


def timed(adapter: object, runs: int) -> float:
    from finopsmetrics_cli.evaluate.runner import run

    run(adapter, controls(), store="bench", today=TODAY, at=AT)  # type: ignore[arg-type]  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(adapter, controls(), store="bench", today=TODAY, at=AT)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1000000,10000000").split(",")]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    from finopsmetrics_cli.costs.dataset import publish
    from finopsmetrics_cli.costs.store import CostStore
    from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
    from finopsmetrics_cli.evaluate.engines.spark import open_dataset, spark_session

    start = time.perf_counter()
    spark_session("local[*]")
    print(f"Spark session start-up (JVM, local[*]): {time.perf_counter() - start:.1f} s")
    results: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            store = Path(tmp) / f"costs-{rows}.duckdb"
            build_costs(store, rows)
            with CostStore(store).connect(read_only=True) as conn:
                start = time.perf_counter()
                publish(conn, str(Path(tmp) / f"dataset-{rows}"))
                published = time.perf_counter() - start
                duck = timed(DuckDBAdapter(conn), runs)
            with open_dataset(str(Path(tmp) / f"dataset-{rows}"), "local[*]", "EffectiveCost") as s:
                spark = timed(s, runs)
            results.append((rows, duck, spark))
            print(f"{rows:>11,} rows: DuckDB {duck:7.2f} s   Spark local {spark:7.2f} s   "
                  f"(x{spark / duck:.1f}; dataset published in {published:.1f} s; "
                  f"median of {runs})")  # fmt: skip
    if len(results) < 2:
        return
    (n1, d1, s1), (n2, d2, s2) = results[0], results[-1]
    duck_row = (d2 - d1) / (n2 - n1)
    spark_row = (s2 - s1) / (n2 - n1)
    spark_fixed = max(s1 - spark_row * n1, 0.0)
    if spark_row <= 0 or duck_row <= 0:
        print("per-row costs cannot be told from fixed costs in this run (a noisy machine): "
              "run again, or with more rows")  # fmt: skip
        return
    print(f"per million rows: DuckDB {duck_row * 1e6:.3f} s, Spark local "
          f"{spark_row * 1e6:.3f} s (this machine's cores); Spark's fixed cost per "
          f"evaluation {spark_fixed:.1f} s")  # fmt: skip
    import os

    local_cores = os.cpu_count() or 1
    for cores in (16, 64, 256):
        per_row = spark_row * local_cores / cores
        if per_row >= duck_row:
            print(f"  cluster of {cores:>3} cores: never faster than DuckDB here")
            continue
        crossover = spark_fixed / (duck_row - per_row)
        print(f"  cluster of {cores:>3} cores: faster above ~{crossover / 1e6:,.0f}M rows "
              f"(DuckDB {duck_row * crossover:.0f} s there)")  # fmt: skip


if __name__ == "__main__":
    main()
