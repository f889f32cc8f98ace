"""Pulumi dynamic provider benchmark: what one resource costs per operation.

Drives ``FinopsProvider`` as the provider host does (check, create, diff,
read, update, delete) for N budgets against a real DuckDB state, and prints
milliseconds per operation. Each operation is one engine call (a state lock
and a transaction for writes), so these figures are the engine's per-object
cost as Pulumi sees it.

    .venv/bin/python benchmarks/bench_pulumi.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi_finopsmetrics._provider import FinopsProvider


def _timed(label: str, count: int, step: Callable[[int], Any]) -> None:
    start = time.perf_counter()
    for i in range(count):
        step(i)
    elapsed = time.perf_counter() - start
    print(f"{label:<8} {count:>5} x  {elapsed * 1000 / count:8.1f} ms/op  ({elapsed:.2f} s)")


def main(count: int) -> None:
    provider = FinopsProvider("budget")
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "state.duckdb")

        def props(i: int, amount: int = 1000) -> dict[str, Any]:
            return {
                "name": f"team-{i}",
                "amount": float(amount),
                "alerts": [{"threshold": "80%", "channels": ["slack"]}],
                "__store": store,
            }

        checked: dict[int, dict[str, Any]] = {}
        outs: dict[int, dict[str, Any]] = {}
        print(f"budget resources: {count}, state: DuckDB in a temp dir")
        _timed(
            "check", count, lambda i: checked.__setitem__(i, provider.check({}, props(i)).inputs)
        )
        _timed("create", count, lambda i: outs.__setitem__(i, provider.create(checked[i]).outs))
        _timed("diff", count, lambda i: provider.diff(f"budget.team-{i}", outs[i], checked[i]))
        _timed("read", count, lambda i: provider.read(f"budget.team-{i}", outs[i]))
        _timed(
            "update", count, lambda i: provider.update(f"budget.team-{i}", outs[i], props(i, 2000))
        )
        _timed("delete", count, lambda i: provider.delete(f"budget.team-{i}", outs[i]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
