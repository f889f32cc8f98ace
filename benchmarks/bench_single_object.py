"""Single-object API benchmark: what Terraform and Pulumi pay per resource.

Creates N budgets, reads them back, updates and deletes them through
``Engine.create/read/update/delete`` on a fresh DuckDB state in a temp dir,
and prints mean wall and CPU milliseconds per call (CPU is fairer on a busy
machine). The bar is < 100 ms per write on an idle 2-core machine.

    .venv/bin/python benchmarks/bench_single_object.py [N] [PRELOAD]

PRELOAD objects (default 0) are committed first in one transaction, to show
how the cost grows with the size of the state.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.state.api import Write

BAR_MS = 100.0
BUDGET = {"amount": 900, "period": "monthly", "currency": "USD"}


def per_call(label: str, n: int, call: Callable[[int], object]) -> float:
    """Run ``call(i)`` for i in range(n); print and return mean wall ms per call."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        call(i)
    wall = (time.perf_counter() - start) / n * 1000
    cpu_ms = (time.process_time() - cpu) / n * 1000
    print(f"{label:<8} {n:>5} calls  {wall:8.1f} ms/call wall  {cpu_ms:8.1f} ms/call CPU")
    return wall


def preload(engine: Engine, count: int) -> None:
    if not count:
        return
    from finopsmetrics_cli import state as state_pkg

    writes = [Write("create", "budget", f"pre-{i}", {**BUDGET, "name": f"pre-{i}"}, "config")
              for i in range(count)]  # fmt: skip
    with state_pkg.open_writer(engine.location, actor="bench") as writer:
        writer.commit(writes, actor="bench", source="cli")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    pre = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Path(tmp) / "state.duckdb", actor="bench", source="terraform")
        preload(engine, pre)
        engine.create("budget", "warmup", BUDGET, manager="terraform")  # imports, file creation
        print(f"single-object API, {pre} objects preloaded")
        writes = [
            per_call(
                "create", n, lambda i: engine.create("budget", f"b{i}", BUDGET, manager="terraform")
            ),
            per_call(
                "update",
                n,
                lambda i: engine.update(
                    "budget", f"b{i}", {**BUDGET, "amount": 901}, manager="terraform"
                ),
            ),
        ]
        per_call("read", n, lambda i: engine.read(f"budget.b{i}"))
        per_call("validate", n, lambda i: engine.validate_object("budget", f"b{i}", BUDGET))
        writes.append(
            per_call("delete", n, lambda i: engine.delete("budget", f"b{i}", manager="terraform"))
        )
        worst = max(writes)
        verdict = "within" if worst < BAR_MS else "OVER"
        print(f"slowest write {worst:.1f} ms/call: {verdict} the {BAR_MS:.0f} ms bar")


if __name__ == "__main__":
    main()
