"""What virtual tags cost the budget scan: 50 budgets filtering on virtual keys over
1,000,000 cost rows, without virtual tags and with 20 virtual tag objects (regex and
condition rules, defaults), in process (the evaluation itself, no start-up).

    .venv/bin/python benchmarks/bench_virtual_tags.py [ROWS] [RUNS]
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

from finopsmetrics_cli.config.validate import validate_object  # noqa: E402
from finopsmetrics_cli.costs.store import CostStore  # noqa: E402
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter  # noqa: E402
from finopsmetrics_cli.evaluate.model import Control  # noqa: E402
from finopsmetrics_cli.evaluate.runner import run  # noqa: E402

VIRTUAL_TAGS, BUDGETS = 20, 50


def control(kind: str, name: str, spec: dict[str, object]) -> Control:
    return Control(kind, name, validate_object(kind, name, spec))


def virtual_tags() -> list[Control]:
    return [
        control(
            "virtual_tag",
            f"vt{i}",
            {
                "rules": [
                    {"resource_pattern": f"res-{i}.*", "tags": {f"k{i % 5}": f"v{i}"}},
                    {"condition": f'resource.service == "svc-{i}"', "tags": {"owner": f"o{i}"}},
                ],
                "default": {f"d{i % 3}": "x"},
            },
        )
        for i in range(VIRTUAL_TAGS)
    ]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    budgets = [
        control("budget", f"b{i}", {"amount": 100, "filters": {f"k{i % 5}": f"v{i}"}})
        for i in range(BUDGETS)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "costs.duckdb"
        build_costs(path, rows)
        for label, context in (
            ("no virtual tags", []),
            (f"{VIRTUAL_TAGS} virtual tags", virtual_tags()),
        ):
            took = []
            for _ in range(runs):
                with CostStore(path).connect() as conn:
                    start = time.perf_counter()
                    result, _ = run(
                        DuckDBAdapter(conn),
                        budgets,
                        store=str(path),
                        today=date(2026, 1, 1),
                        kinds=["budget"],
                        context=context,
                    )
                    took.append(time.perf_counter() - start)
            spent = sum(b.actual for b in result.budgets)
            print(
                f"{BUDGETS} budgets over {rows:,} rows, {label}: "
                f"median {statistics.median(took):.2f} s "
                f"[{', '.join(f'{t:.2f}' for t in took)}]; {spent:,.2f} summed"
            )


if __name__ == "__main__":
    main()
