"""Cost store benchmark: `costs sync` of 1,000,000 FOCUS rows (Parquet and CSV) and
`costs show --by service,month` over them.

Writes one FOCUS file of ROWS rows (4 months, 40 services, 50 accounts, tags
team/env) as Parquet and as CSV, then, RUNS times each, in fresh processes:

- DuckDB's own ``CREATE TABLE AS SELECT * FROM read_parquet(...)`` of the file
  into a new database (the floor any sync pays), and ``read_csv`` likewise;
- ``costs sync`` of a ``focus`` source over the same file into a new store
  (mapping, checked casts, tags, bookkeeping, one transaction);

and prints the medians, the ratio sync / DuckDB, and each process's peak RSS.
Then ``costs show --by service,month`` over the synced rows: in-process (the
query) and as a user runs it (a fresh ``finopsmetrics`` process).
Targets (2 cores): Parquet sync under 10 s and within 3x DuckDB; CSV within 3x
``read_csv``; show under 0.5 s; peak memory under 1 GB.

    .venv/bin/python benchmarks/bench_costs.py [ROWS] [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("finopsmetrics")

_MEASURE = """
import resource, sys, time
kind, source, target = sys.argv[1:4]
start = time.perf_counter()
if kind == "sync":
    from finopsmetrics_cli.costs.store import CostStore
    from finopsmetrics_cli.costs.sync import SourceSpec, sync_sources
    (result,) = sync_sources(CostStore(target), [SourceSpec("bench", "focus", source)])
    assert result.error is None, result.error
    rows = result.rows
else:
    import duckdb
    reader = "read_parquet" if source.endswith(".parquet") else "read_csv"
    with duckdb.connect(target) as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(f"CREATE TABLE t AS SELECT * FROM {reader}('{source}')")
        rows = conn.execute("SELECT count(*) FROM t").fetchone()[0]
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(rows, wall, peak)
"""


def write_files(directory: Path, rows: int) -> tuple[Path, Path]:
    import duckdb  # noqa: TID251 - the benchmark writes its input with DuckDB

    parquet, csv = directory / "focus.parquet", directory / "focus.csv"
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET enable_progress_bar = false")
        conn.execute(
            f"""
            CREATE TABLE t AS SELECT
              round(random() * 10, 4)::DECIMAL(38, 10) AS BilledCost,
              round(random() * 9, 4)::DECIMAL(38, 10) AS EffectiveCost,
              round(random() * 12, 4)::DECIMAL(38, 10) AS ListCost,
              'USD' AS BillingCurrency, '123456789012' AS BillingAccountId,
              date_trunc('month', TIMESTAMP '2024-01-01' + to_days(CAST(i % 120 AS INTEGER)))
                AS BillingPeriodStart,
              TIMESTAMP '2024-01-01' + to_days(CAST(i % 120 AS INTEGER)) AS ChargePeriodStart,
              TIMESTAMP '2024-01-01' + to_days(CAST(i % 120 AS INTEGER) + 1) AS ChargePeriodEnd,
              'Usage' AS ChargeCategory, 'AWS' AS ProviderName,
              'Service ' || (i % 40) AS ServiceName, 'Compute' AS ServiceCategory,
              'acct' || (i % 50) AS SubAccountId, 'us-east-' || (i % 4) AS RegionId,
              'arn:aws:ec2:i-' || (i % 20000) AS ResourceId, 'SKU' || (i % 500) AS SkuId,
              'Standard' AS PricingCategory, round(random() * 100, 2)::DECIMAL(38, 10)
                AS ConsumedQuantity, 'Hours' AS ConsumedUnit,
              MAP {{'team': 'team' || (i % 10), 'env': 'prod'}} AS Tags
            FROM range({rows}) r(i)
            """
        )
        conn.execute(f"COPY t TO '{parquet}' (FORMAT parquet)")
        conn.execute(
            f"COPY (SELECT * REPLACE (to_json(Tags)::VARCHAR AS Tags) FROM t) TO '{csv}' (HEADER)"
        )
    return parquet, csv


def measure(kind: str, source: Path, directory: Path) -> tuple[float, float]:
    target = directory / f"{kind}-{time.monotonic_ns()}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, kind, str(source), str(target)],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()[-1].split()  # fmt: skip
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return float(out[1]), float(out[2])


def compare(label: str, source: Path, directory: Path, runs: int) -> tuple[float, float]:
    base, ours, peaks = [], [], []
    for _ in range(runs):
        wall, _ = measure("duckdb", source, directory)
        base.append(wall)
        wall, peak = measure("sync", source, directory)
        ours.append(wall)
        peaks.append(peak)
    b, s = statistics.median(base), statistics.median(ours)
    print(f"{label}: DuckDB CREATE TABLE AS {b:6.2f} s | costs sync {s:6.2f} s | "
          f"ratio {s / b:4.2f}x | sync peak RSS {max(peaks):5.0f} MB")  # fmt: skip
    return s, s / b


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory(prefix="bench-costs-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        # written by a child: a parent grown by DuckDB would lend its peak RSS to every
        # process it starts (a forked child's maxrss counts what it inherited)
        subprocess.run([sys.executable, __file__, "--write", str(directory), str(rows)],
                       check=True)  # fmt: skip
        parquet, csv = directory / "focus.parquet", directory / "focus.csv"
        print(f"{rows:,} FOCUS rows written in {time.perf_counter() - started:.1f} s "
              f"(Parquet {parquet.stat().st_size / 1e6:.0f} MB, "
              f"CSV {csv.stat().st_size / 1e6:.0f} MB); medians of {runs} runs, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        pq_sync, pq_ratio = compare("Parquet", parquet, directory, runs)
        _, csv_ratio = compare("CSV    ", csv, directory, runs)

        from finopsmetrics_cli.costs.report import ShowOptions, show
        from finopsmetrics_cli.costs.store import CostStore
        from finopsmetrics_cli.costs.sync import SourceSpec, sync_sources

        store = directory / "costs.duckdb"
        sync_sources(CostStore(store), [SourceSpec("bench", "focus", str(parquet))])
        query = []
        for _ in range(max(runs, 5)):
            start = time.perf_counter()
            table = show(CostStore(store), ShowOptions(by=("service", "month")))
            query.append(time.perf_counter() - start)
        cli = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [str(BIN), "costs", "show", "--by", "service,month", "--costs", str(store)],
                capture_output=True, check=True,
            )  # fmt: skip
            cli.append(time.perf_counter() - start)
        q, c = statistics.median(query), statistics.median(cli)
        print(f"costs show --by service,month ({len(table.rows)} rows out): "
              f"query {q:.3f} s, whole command {c:.3f} s")  # fmt: skip
        print(
            f"targets: Parquet sync < 10 s: {'ok' if pq_sync < 10 else 'MISSED'}; "
            f"within 3x: Parquet {'ok' if pq_ratio <= 3 else 'MISSED'}, "
            f"CSV {'ok' if csv_ratio <= 3 else 'MISSED'}; "
            f"show < 0.5 s: query {'ok' if q < 0.5 else 'MISSED'}, "
            f"command {'ok' if c < 0.5 else 'MISSED'}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_files(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
