"""Condition language speed: parse + check, and one condition over many rows.

    .venv/bin/python benchmarks/bench_conditions.py [--conditions 10000] [--rows 1000000]

Prints wall-clock and CPU seconds (the CPU figure is the one to trust on a
shared machine). Targets: parse + check of 10,000 distinct conditions, median
of five runs with the garbage collector on, < 0.6 s on a busy 2-core machine
(issue 11; it was < 1 s before); the DuckDB path over 1,000,000 rows < 1 s.

The conditions share eight forms, as a configuration's do: from the third of
a form on, compiling recognises the form and its checked attributes instead of
parsing and checking again, and keeps no tree (see ``conditions.shapes``). The
"every tree built" line adds what evaluating each condition first costs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from finopsmetrics_cli.conditions import check, compile_condition, parse

TEMPLATES = [
    'resource.environment == "{env}" AND resource.cpu_avg_7d < {pct}% AND '
    "resource.idle_hours > {n}",
    'resource.type == "ec2_instance" AND resource.instance_type IN ["p4d.{n}xlarge", '
    '"p5.48xlarge"] AND requester.role NOT IN ["cto", "{role}"]',
    "team.spend_current_month > team.budget_monthly * 0.{n}{i} AND "
    "team.spend_current_month < team.budget_monthly",
    'resource.type IN ["s3_bucket", "rds_instance"] AND resource.environment == "{env}" AND '
    "resource.encryption_enabled == false",
    'resource.contains_pii == true AND resource.region NOT IN ["eu-west-{i}", "eu-central-1"]',
    "resource.creator_email CONTAINS '@{role}.'",
    'resource.tags["cost-center"] IS NULL AND resource.age > {i}h',
    'resource.name MATCHES "^{env}-[a-z]+-{n}$" OR resource.tags.team == "{role}"',
]


def distinct_conditions(count: int) -> list[str]:
    rng = random.Random(7)
    texts = []
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        texts.append(template.format(env=rng.choice(["dev", "prod", "staging"]) + str(i),
                                     pct=rng.randint(1, 90), n=rng.randint(2, 9),
                                     role=f"team{i}", i=i))
    assert len(set(texts)) == count
    return texts


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_parse(count: int, runs: int = 5) -> None:
    texts = distinct_conditions(count)
    compile_condition(texts[0])  # warm imports
    walls, cpus = [], []
    for _ in range(runs):  # each run compiles into a fresh list, kept alive as a loader does
        wall, cpu, compiled = timed(lambda: [compile_condition(t) for t in texts])
        walls.append(wall)
        cpus.append(cpu)
        del compiled
    print(f"compile (parse + check) {count:>7,} conditions: {statistics.median(walls):6.3f} s "
          f"wall, {statistics.median(cpus):6.3f} s cpu (median of {runs}; wall "
          f"{min(walls):.3f}-{max(walls):.3f})")
    wall, cpu, _ = timed(lambda: [compile_condition(t).expr for t in texts])
    print(f"  every tree built      {count:>7,} conditions: {wall:6.3f} s wall, {cpu:6.3f} s cpu")
    wall, cpu, exprs = timed(lambda: [parse(t) for t in texts])
    print(f"  of which parse        {count:>7,} conditions: {wall:6.3f} s wall, {cpu:6.3f} s cpu")
    wall, cpu, errors = timed(lambda: [check(e) for e in exprs])
    assert not any(errors)
    print(f"  of which check        {count:>7,} conditions: {wall:6.3f} s wall, {cpu:6.3f} s cpu")
    from finopsmetrics_cli.conditions.syntax import _parser, lark_parse

    wall, cpu, _ = timed(_parser)
    print(f"lark parser build (tables cached on disk): {wall:6.3f} s wall, {cpu:6.3f} s cpu")
    sample = texts[:500]
    wall, cpu, _ = timed(lambda: [lark_parse(t) for t in sample])
    wall2, _, _ = timed(lambda: [parse(t) for t in sample])
    print(f"per condition: lark reference parser {wall / len(sample) * 1e6:.0f} us, "
          f"fast parser (known forms built by their shape) {wall2 / len(sample) * 1e6:.0f} us")


CONDITION = (
    'resource.environment == "dev" AND resource.cpu_avg_7d < 5% AND '
    'resource.idle_hours > 48 AND resource.tags["cost-center"] IS NOT NULL'
)


def bench_rows(rows: int) -> None:
    import duckdb  # noqa: TID251 - benchmark of the SQL back end

    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE inventory AS SELECT
          i AS id,
          CASE WHEN i % 10 = 0 THEN NULL ELSE ['dev', 'prod', 'staging'][1 + i % 3] END
            AS environment,
          CASE WHEN i % 17 = 0 THEN NULL ELSE (hash(i) % 1000) / 10000.0 END AS cpu_avg_7d,
          CASE WHEN i % 13 = 0 THEN NULL ELSE CAST(hash(i * 7) % 200 AS DOUBLE) END
            AS idle_hours,
          CASE WHEN i % 5 = 0 THEN map(['team'], ['ml'])
               ELSE map(['team', 'cost-center'], ['ml', 'rd']) END AS tags
        FROM range({rows}) t(i)
    """)
    condition = compile_condition(CONDITION)
    fragment = condition.to_sql({
        "resource.environment": "environment", "resource.cpu_avg_7d": "cpu_avg_7d",
        "resource.idle_hours": "idle_hours", "resource.tags": "tags",
    })
    query = f"SELECT count(*) FROM inventory WHERE {fragment.sql}"
    best = None
    for _ in range(3):
        wall, cpu, result = timed(lambda: con.execute(query, fragment.params).fetchone())
        best = min(best or wall, wall)
    sql_count = result[0]
    print(f"DuckDB SQL       {rows:>9,} rows: {best:6.3f} s wall (best of 3), "
          f"{sql_count:,} matched")

    fetched = con.execute(
        "SELECT environment, cpu_avg_7d, idle_hours, tags FROM inventory ORDER BY id"
    ).fetchall()
    records = [{"resource": {"environment": e, "cpu_avg_7d": c, "idle_hours": h, "tags": t}}
               for e, c, h, t in fetched]
    del fetched
    evaluate = condition.evaluate
    wall, cpu, py_count = timed(lambda: sum(1 for r in records if evaluate(r) is True))
    print(f"Python evaluator {rows:>9,} rows: {wall:6.3f} s wall, {cpu:6.3f} s cpu, "
          f"{py_count:,} matched")
    assert py_count == sql_count, (py_count, sql_count)
    print(f"ratio Python / DuckDB: {wall / best:5.1f}x")


def calibrate() -> None:
    """How fast this Python is: figures from a busy or slow machine scale with this."""
    def loop() -> None:
        for _ in range(10_000_000):
            pass

    wall, cpu, _ = timed(loop)
    print(f"calibration: empty 10M-iteration loop {wall:6.3f} s wall, {cpu:6.3f} s cpu "
          "(~0.2 s on a current laptop)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conditions", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    calibrate()
    bench_parse(args.conditions)
    bench_rows(args.rows)


if __name__ == "__main__":
    main()
