"""Evaluation benchmark: 1,000 budgets, 50 anomaly detectors and 100 policies over
1,000,000 cost rows.

Builds a cost store of 1,000,000 FOCUS rows over 120 days (30 services, 40
accounts, 8 regions, tags team/env, 20,000 resources) and a state holding
1,000 budgets and 50 anomaly detectors (10 of them split by service), then
times ``finopsmetrics evaluate`` as a user runs it (a fresh process: start-up,
state read, the cost scan, forecasts, anomaly scoring, findings written) and
reports its CPU time (steadier than wall time on a shared machine) and peak
RSS. Beside it: DuckDB's own time for one plain group-by of the same rows
(service x day), the floor any evaluation pays, and the ratio.
Targets (2 cores): under 3 s, peak memory under 1 GB.

100 policies join the mix (conditions over the resource inventory derived
from the cost rows: cost_monthly, cost_daily, age, tags, service, region, id),
all compiled into the one inventory query.

    .venv/bin/python benchmarks/bench_evaluate.py [ROWS] [RUNS]
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("finopsmetrics")
DAYS = 120
BUDGETS, DETECTORS, POLICIES = 1000, 50, 100

_LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(proc.stderr)
print(proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""


def build_costs(path: Path, rows: int) -> None:
    from finopsmetrics_cli.costs.store import CostStore

    with CostStore(path).connect(read_only=False) as conn:
        conn.execute(
            f"""
            INSERT INTO cost_rows (BilledCost, EffectiveCost, ListCost, BillingCurrency,
                ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, ChargeCategory,
                ProviderName, ServiceName, SubAccountId, SubAccountName, RegionId, ResourceId,
                Tags, x_Source)
            SELECT c, c, c, 'USD', ts, ts + INTERVAL 1 DAY, date_trunc('month', ts), 'Usage',
                'AWS', 'svc-' || (i % 30), 'acct-' || (i % 40), 'name-' || (i % 40),
                'region-' || (i % 8), 'res-' || (i % 20000),
                map(['team', 'env'], ['team-' || (i % 25), 'env-' || (i % 3)]), 'bench'
            FROM (
                SELECT i, TIMESTAMP '2024-01-01' + to_days(CAST(i % {DAYS} AS INTEGER)) AS ts,
                    CAST(round(random() * 10 * (1 + (i % 7 < 5)::INT), 4) AS DECIMAL(38, 10)) AS c
                FROM range({rows}) t(i)
            )
            """
        )


def filters(rng: random.Random) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return f"{{service: svc-{rng.randrange(30)}}}"
    if choice == 1:
        return f"{{team: team-{rng.randrange(25)}}}"
    if choice == 2:
        return f"{{account: acct-{rng.randrange(40)}, env: env-{rng.randrange(3)}}}"
    if choice == 3:
        return f"{{service: [svc-{rng.randrange(30)}, svc-{rng.randrange(30)}]}}"
    if choice == 4:
        return f"{{service: 'svc-{rng.randrange(1, 3)}*', region: region-{rng.randrange(8)}}}"
    return "{}"


def config(rows: int) -> str:
    from finopsmetrics_cli.evaluate.runner import evaluable_kinds

    rng = random.Random(5)
    per_day = rows * 10 / DAYS  # about 10 per row-day on weekdays
    out = ["version: 1", "budgets:"]
    for i in range(BUDGETS):
        amount = round(per_day * 30 * rng.uniform(0.005, 0.05), 2)
        out += [f"  - name: budget-{i}", f"    amount: {amount}", f"    filters: {filters(rng)}",
                "    alerts: [{threshold: 80%}, {threshold: 100%, type: forecasted}]"]
    out.append("anomaly_detectors:")
    methods = ["isolation_forest", "zscore", "mad", "ewma", "prophet"]
    for i in range(DETECTORS):
        out += [f"  - name: detector-{i}", f"    filters: {filters(rng)}",
                f"    model: {{type: {methods[i % 5]}, window: 14d}}"]
    if "policy" in evaluable_kinds():
        out.append("policies:")
        for i in range(POLICIES):
            out += [f"  - name: policy-{i}", f"    condition: '{policy(i)}'",
                    "    action: alert"]
    return "\n".join(out) + "\n"


def policy(i: int) -> str:
    """Conditions over every derived attribute, each matching a few resources (a policy that
    matches thousands is a data problem, not a benchmark)."""
    shapes = [
        f'resource.cost_monthly > {150 + i} AND resource.tags.team == "team-{i % 25}"',
        f'resource.service == "svc-{i % 30}" AND resource.cost_daily > {14 + i % 5}',
        f'resource.region IN ["region-{i % 8}"] AND resource.age > 100d AND '
        f"resource.cost_monthly > {170 + i % 7}",
        f'resource.id ENDS WITH "{i % 10}7" AND resource.cost_monthly > {140 + i % 9}',
    ]
    return shapes[i % 4]


def floor(path: Path) -> float:
    """DuckDB alone: one plain group-by of every row (service x day), best of 3."""
    from finopsmetrics_cli.costs.store import CostStore

    best = float("inf")
    with CostStore(path).connect() as conn:
        for _ in range(3):
            start = time.perf_counter()
            conn.execute(
                'SELECT "ServiceName", CAST("ChargePeriodStart" AS DATE), sum("EffectiveCost") '
                "FROM costs GROUP BY ALL"
            ).fetchall()
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        costs, state, yaml = root / "costs.duckdb", root / "state.duckdb", root / "f.yaml"
        start = time.perf_counter()
        build_costs(costs, rows)
        yaml.write_text(config(rows))
        subprocess.run([str(BIN), "apply", str(yaml), "--auto-approve", "-q", "--state",
                        str(state)], check=True, capture_output=True)  # fmt: skip
        print(f"setup: {rows:,} cost rows over {DAYS} days, {BUDGETS} budgets, {DETECTORS} "
              f"detectors, {POLICIES} policies in state ({time.perf_counter() - start:.1f} s)")
        command = [str(BIN), "evaluate", "-q", "--state", str(state), "--costs", str(costs)]
        walls, cpus, peaks = [], [], []
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            code, wall, cpu, peak = done.stdout.split()
            if code != "0":
                raise SystemExit(f"evaluate failed: {done.stderr}")
            walls.append(float(wall))
            cpus.append(float(cpu))
            peaks.append(float(peak))
        base = floor(costs)
        wall = statistics.median(walls)
        print(f"evaluate (CLI, median of {runs}): {wall:.2f} s wall "
              f"[{', '.join(f'{w:.2f}' for w in walls)}], {statistics.median(cpus):.2f} s CPU, "
              f"peak RSS {max(peaks):.0f} MB (targets: < 3 s, < 1024 MB)")
        print(f"floor (DuckDB, one group-by of all rows): {base:.3f} s; ratio {wall / base:.1f}x")
        from finopsmetrics_cli.engine import Engine
        from finopsmetrics_cli.evaluate.service import EvaluateOptions

        start = time.perf_counter()
        result = Engine(state).evaluate(None, EvaluateOptions(costs=str(costs)))
        took = time.perf_counter() - start
        fired = sum(1 for b in result.budgets if b.alerts_fired)
        matched = sum(1 for f in result.findings if f.kind == "policy")
        print(f"in-process Engine.evaluate: {took:.2f} s; {len(result.budgets)} budgets "
              f"({fired} with alerts), {len(result.anomalies)} anomalies, "
              f"{matched} policy matches, {len(result.findings)} findings")


if __name__ == "__main__":
    main()
