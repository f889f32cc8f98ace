"""Crash safety of `costs sync`: SIGKILL a sync at random moments, many times. After
every kill each billing period holds exactly the rows of the old file or exactly those
of the new one (never both, never a part), the bookkeeping agrees with the rows, and
the next sync completes normally."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from finopsmetrics_cli.costs.store import CostStore

ROWS = 200_000  # per version of the file; 4 months
KILLS = 12

CHILD = r"""
import sys
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.costs.sync import SourceSpec, sync_sources

print("syncing", flush=True)
(result,) = sync_sources(CostStore(sys.argv[1]), [SourceSpec("bills", "focus", sys.argv[2])])
assert result.error is None, result.error
print("synced", result.rows, flush=True)
"""


def write_version(path: Path, version: int) -> None:
    """Version v bills v per row; version 2 also restates a fifth month."""
    import duckdb  # noqa: TID251 - the test writes Parquet files

    months = 4 if version == 1 else 5
    tmp = path.with_suffix(".tmp")
    duckdb.sql(
        f"COPY (SELECT {version}::DECIMAL(38, 10) AS BilledCost, 'USD' AS BillingCurrency, "
        f"TIMESTAMP '2024-01-01' + to_days(CAST(i % ({months} * 28) AS INTEGER)) "
        "AS ChargePeriodStart, 'svc' || (i % 7) AS ServiceName "
        f"FROM range({ROWS}) r(i)) TO '{tmp}' (FORMAT parquet)"
    )
    tmp.replace(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + version * 1_000_000_000))


def expected(version: int) -> dict[str, tuple[int, int]]:
    """Per month: (rows, total billed) that version holds."""
    months = 4 if version == 1 else 5
    days = months * 28
    out: dict[str, tuple[int, int]] = {}
    for day in range(days):
        month = f"2024-{1 + sum(day >= start for start in (31, 60, 91, 121)):02d}"
        count = ROWS // days + (1 if day < ROWS % days else 0)
        rows, _ = out.get(month, (0, 0))
        out[month] = (rows + count, (rows + count) * version)
    return out


def check_consistent(store: Path) -> int:
    """The store holds one version of the source, whole; return it."""
    with CostStore(store).connect() as conn:
        per_month = {
            f"{p:%Y-%m}": (int(n), int(t), v)
            for p, n, t, v in conn.execute(
                "SELECT date_trunc('month', \"ChargePeriodStart\")::DATE AS p, count(*), "
                'sum("BilledCost"), min("BilledCost")::INTEGER FROM costs GROUP BY p'
            ).fetchall()
        }
        versions = {v for _, _, v in per_month.values()}
        assert len(versions) == 1, per_month
        (version,) = versions
        assert {m: (n, t) for m, (n, t, _) in per_month.items()} == expected(version)
        book = conn.execute(
            "SELECT strftime(billing_period, '%Y-%m'), rows, billed_cost::INTEGER "
            "FROM synced_periods ORDER BY 1"
        ).fetchall()
        assert {m: (n, t) for m, n, t in book} == expected(version)
        files = conn.execute(
            "SELECT strftime(billing_period, '%Y-%m'), rows FROM synced_files ORDER BY 1"
        ).fetchall()
        assert {m: n for m, n in files} == {m: n for m, (n, _) in expected(version).items()}
    return version


def run_child(store: Path, bill: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), str(bill)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_started(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("syncing"), (line, child.stderr.read() if child.stderr else "")


@pytest.mark.slow
def test_sigkill_during_sync_leaves_each_period_before_or_after(tmp_path: Path) -> None:
    store, bill = tmp_path / "costs.duckdb", tmp_path / "bill.parquet"
    write_version(bill, 1)
    calibration = run_child(store, bill)
    started = time.monotonic()
    wait_started(calibration)
    assert calibration.wait(timeout=300) == 0, calibration.stderr.read()  # type: ignore[union-attr]
    duration = time.monotonic() - started
    assert check_consistent(store) == 1

    rng = random.Random(12)
    version = 1
    seen = {1: 0, 2: 0}
    for _ in range(KILLS):
        version = 2 if version == 1 else 1
        write_version(bill, version)
        child = run_child(store, bill)
        wait_started(child)
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        got = check_consistent(store)
        seen[got] += 1
        if got != version:  # killed before the commit: the next run must bring it
            finish = run_child(store, bill)
            assert finish.wait(timeout=300) == 0, finish.stderr.read()  # type: ignore[union-attr]
            assert check_consistent(store) == version
    assert seen[1] + seen[2] == KILLS
