"""Benchmark `finopsmetrics validate` and start-up against the SPEC's bars.

Runs the real CLI in fresh processes (as a user or CI does) and prints wall
time (best and median of N runs) and peak memory (max RSS of the child):

    .venv/bin/python benchmarks/bench_validate.py [--runs 5] [--objects 10000]

CPU time (user+sys of the child) is printed too: on a shared, loaded machine
it shows what the wall time would be on an idle one.

Bars (SPEC 8, 2-core machine): validate of 10,000 objects < 2 s; of the
example < 0.6 s; `finopsmetrics --version` < 0.3 s; peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_config import generate_config, generate_virtual_tag_config  # noqa: E402

EXE = str(Path(sys.executable).parent / "finopsmetrics")
# As installed, modules load from bytecode caches; with PYTHONDONTWRITEBYTECODE
# set (some shells here set it), every edited module would be compiled again
# in each timed run (~0.1-0.3 s). Children write their caches; one warm-up run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(args: list[str]) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def measure(label: str, args: list[str], runs: int, bar: float | None, expect_rc: int = 0) -> bool:
    run_once(args)  # warm-up: bytecode caches written, files in the page cache
    results = [run_once(args) for _ in range(runs)]
    walls = [r[0] for r in results]
    peak = max(r[1] for r in results)
    codes = {r[2] for r in results}
    cpu = min(r[3] for r in results)
    ok = codes == {expect_rc} and (bar is None or min(walls) < bar) and peak < 500
    verdict = "ok" if ok else "OVER BAR" if codes == {expect_rc} else f"exit codes {sorted(codes)}"
    bar_text = f"< {bar:.1f} s" if bar else "(no bar)"
    print(
        f"{label:<42} best {min(walls):6.3f} s  median {statistics.median(walls):6.3f} s  "
        f"cpu {cpu:6.3f} s  peak {peak:6.1f} MB  bar {bar_text:<9} {verdict}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--mappings", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(
        f"cpus: {os.cpu_count()}  load average:"
        f" {os.getloadavg()[0]:.2f}  python: {sys.version.split()[0]}"
    )
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.yaml"
        big.write_text(generate_config(args.objects), encoding="utf-8")
        vt = Path(tmp) / "virtual_tags.yaml"
        vt.write_text(generate_virtual_tag_config(args.mappings), encoding="utf-8")
        print(
            f"generated: {big.stat().st_size / 1e6:.1f} MB ({args.objects:,} objects), "
            f"{vt.stat().st_size / 1e6:.1f} MB ({args.mappings:,} virtual-tag mappings)"
        )
        ok &= measure("finopsmetrics --version", [EXE, "--version"], args.runs, 0.3)
        ok &= measure(
            "validate examples/finopsmetrics.yaml",
            [EXE, "validate", str(ROOT / "examples" / "finopsmetrics.yaml"), "-q"],
            args.runs,
            0.6,
        )
        ok &= measure(
            f"validate {args.objects:,} objects", [EXE, "validate", str(big), "-q"], args.runs, 2.0
        )
        ok &= measure(
            f"validate {args.mappings:,} vt mappings",
            [EXE, "validate", str(vt), "-q"],
            args.runs,
            None,
        )
    print("all bars hold" if ok else "some bar does not hold")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
