"""Engine benchmark: 10,000 objects across every kind, real DuckDB state.

Prints figures for the bars (2-core machine): first apply < 3 s with the
whole plan printed, plan of 10,000 creates < 1.5 s printed, no-change plan
< 2 s, plan with 100 changed objects < 2 s, drift < 2 s, peak memory < 500 MB.
Each phase is timed twice: in-process through the engine (config already
loaded), and end to end as a user runs the CLI (process start, YAML load and
validation included, output on and written to a pipe, as in CI), with the
peak RSS of that process. Rendering the text plan is also timed on its own.

    .venv/bin/python benchmarks/bench_engine.py [N]
"""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_config import generate_config  # noqa: E402

BIN = Path(sys.executable).with_name("finopsmetrics")
BARS = {"first apply": 3.0, "plan, all creates": 1.5, "no-change plan": 2.0,
        "plan, 100 changed": 2.0, "drift": 2.0}


CPU: dict[str, float] = {}


def timed(fn: Callable[[], Any], label: str = "") -> tuple[float, Any]:
    """Wall seconds (CPU seconds are kept in CPU[label]: fairer on a busy machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    if label:
        CPU[label] = CPU.get(label, 0.0) + time.process_time() - cpu
    return time.perf_counter() - start, value


# Runs one CLI command and reports its wall time, CPU and peak RSS. A small launcher
# process does it so that the RSS is the command's own: a child forked from this
# large benchmark process briefly holds this process's pages before it execs.
_LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(proc.stderr)
print(proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""


def cli(*args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one CLI run (with its helper child)."""
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(BIN), *args], capture_output=True, text=True
    )
    code, wall, cpu, peak = proc.stdout.split()
    if int(code) not in (0, 2):
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return float(wall), float(cpu), float(peak)


def cli_median(runs: int, *args: str) -> tuple[float, float, float]:
    """Median wall and CPU of several runs of a read-only command (VM timing is noisy)."""
    results = [cli(*args) for _ in range(runs)]
    walls = sorted(r[0] for r in results)
    cpus = sorted(r[1] for r in results)
    return walls[runs // 2], cpus[runs // 2], max(r[2] for r in results)


def change_budgets(text: str, count: int) -> str:
    changed = 0

    def bump(match: re.Match[str]) -> str:
        nonlocal changed
        if changed >= count:
            return match.group(0)
        changed += 1
        return f"    amount: {int(match.group(1)) + 1}"

    return re.sub(r"^    amount: (\d+)$", bump, text, flags=re.M)


def main() -> int:
    from rich.console import Console

    from finopsmetrics_cli.cli.output import style_codes
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.plan.render import plain, plan_lines, styled
    from finopsmetrics_cli.state import open_writer
    from finopsmetrics_cli.state.api import Write

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config_file, changed_file = root / "big.yaml", root / "changed.yaml"
        text = generate_config(n)
        config_file.write_text(text)
        changed_file.write_text(change_budgets(text, 100))

        # in-process, through the engine
        engine = Engine(root / "engine.duckdb", actor="bench")
        load_s, config = timed(lambda: engine.load_config([config_file]))
        changed = engine.load_config([changed_file])
        print(f"{len(config.objects):,} objects; loading + validating the YAML: {load_s:.2f} s")
        plan_s, plan = timed(lambda: engine.plan(config), "first apply")
        render_s, text = timed(lambda: plain(plan_lines(plan)), "first apply")
        colour = style_codes(Console(file=io.StringIO(), force_terminal=True))
        assert colour is not None
        styled_s, _ = timed(lambda: styled(plan_lines(plan), colour))
        print(f"  text plan of {len(plan.changes):,} creates: {text.count(chr(10)):,} lines, "
              f"rendered in {render_s:.2f} s plain, {styled_s:.2f} s with colours")
        CPU["plan, all creates"] = CPU["first apply"]
        rows.append(("plan, all creates", plan_s + render_s, None))
        apply_s, result = timed(lambda: engine.apply(plan), "first apply")
        rows.insert(0, ("first apply", plan_s + render_s + apply_s, None))
        print(f"  engine  first apply: plan {plan_s:.2f} s + text {render_s:.2f} s "
              f"+ apply {apply_s:.2f} s ({result.line()})")
        t, p = timed(lambda: engine.plan(config), "no-change plan")
        assert not p.has_changes
        rows.append(("no-change plan", t, None))
        t, p = timed(lambda: engine.plan(changed), "plan, 100 changed")
        assert p.summary.change == 100, p.summary.line()
        rows.append(("plan, 100 changed", t, None))
        with open_writer(engine.location, actor="console") as writer:
            edits = [Write("edit", o.kind, o.name, {**o.spec, "drifted": True}, o.manager)
                     for o in writer.list(kind="budget")[:100]]
            writer.commit(edits, actor="console", source="api")
        t, report = timed(lambda: engine.drift(config), "drift")
        assert len(report.items) == 100
        rows.append(("drift", t, None))

        # end to end, as a user runs the CLI: output on, to a pipe
        state = str(root / "cli.duckdb")
        empty = str(root / "empty.duckdb")  # never created: plan opens no state
        cli_rows = [
            ("first apply", cli("apply", str(config_file), "--auto-approve", "--state", state)),
            ("plan, all creates", cli_median(5, "plan", str(config_file), "--state", empty)),
            ("no-change plan", cli_median(5, "plan", str(config_file), "--state", state)),
            ("plan, 100 changed", cli_median(5, "plan", str(changed_file), "--state", state)),
            ("drift", cli_median(5, "drift", str(config_file), "--state", state)),
        ]
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"\nload average {load} on {os.cpu_count()} cores; seconds wall (cpu); "
          "CLI output on, to a pipe; CLI plan/drift: median of 5 runs")
    print(f"{'phase':<20}{'engine':>16}{'CLI incl. YAML load':>22}{'bar':>7}  CLI peak RSS")
    for (name, engine_s, _), (_, (cli_s, cli_cpu, peak)) in zip(rows, cli_rows, strict=True):
        print(f"{name:<20}{engine_s:>7.2f} ({CPU[name]:5.2f}){cli_s:>12.2f} ({cli_cpu:5.2f})"
              f"{BARS[name]:>7.1f}  {peak:6.0f} MB")
    print(f"\npeak RSS: CLI processes {max(c[1][2] for c in cli_rows):.0f} MB, "
          f"this benchmark process {peak_self:.0f} MB (bar 500 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
