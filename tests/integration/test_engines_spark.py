"""Every evaluation kind on Spark local mode equals DuckDB's on the same FOCUS rows.

One SparkSession for the test session (a JVM takes seconds to start); the
data is small. Spark reads the Parquet dataset ``costs sync`` publishes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_matrix import ALLOCATED, CONTROLS, INVENTORY_CSV, SINCE, TODAY, rows
from tests.unit.evaluate.costdata import write_rows

from finopsmetrics_cli.conditions import AttributeSchema
from finopsmetrics_cli.costs.dataset import MANIFEST, publish
from finopsmetrics_cli.costs.store import CostStore
from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
from finopsmetrics_cli.evaluate.engines.spark import java_problem, open_dataset
from finopsmetrics_cli.evaluate.runner import run

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),  # one worker, one JVM (make test runs --dist loadgroup)
    pytest.mark.skipif(java_problem() is not None, reason=f"no Java for Spark: {java_problem()}"),
]
MASTER = "local[2]"
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cost-data"
# tiny data: the C1 compiler and no whole-stage code generation start and run faster
os.environ.setdefault(
    "PYSPARK_SUBMIT_ARGS",
    '--driver-java-options "-XX:+UseSerialGC -XX:TieredStopAtLevel=1" '
    "--conf spark.sql.codegen.wholeStage=false pyspark-shell",
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("matrix")
    store = write_rows(root / "costs.duckdb", rows())
    with CostStore(store).connect() as conn:
        publish(conn, str(root / "dataset"))
    yield store, root / "dataset"


def _outcome(adapter: Any, inventory: Path) -> dict[str, Any]:
    result, _ = run(adapter, CONTROLS, store="costs", today=TODAY, since=SINCE,
                    schema=AttributeSchema.default(), inventory=str(inventory))  # fmt: skip
    return {
        "budgets": result.budgets,
        "anomalies": result.anomalies,
        "findings": result.findings,
        "sections": result.sections,
        "warnings": result.warnings,
        "allocated": [tuple(r) for r in adapter.fetch_sql(ALLOCATED)],
    }


def test_every_kind_on_spark_equals_duckdb(published: tuple[Path, Path]) -> None:
    store, dataset = published
    inventory = store.parent / "inventory.csv"
    inventory.write_text(INVENTORY_CSV)
    with CostStore(store).connect() as conn:
        expected = _outcome(DuckDBAdapter(conn), inventory)
    with open_dataset(str(dataset), MASTER, "EffectiveCost") as spark:
        got = _outcome(spark, inventory)
    assert expected["warnings"] == []
    # the matrix exercises every family: not an empty comparison
    assert {b.name for b in expected["budgets"]} == {"web", "storage", "split-a", "all"}
    assert [a.detector for a in expected["anomalies"]] != []
    kinds = {f.kind for f in expected["findings"]}
    assert {"anomaly_detector", "policy"} <= kinds
    assert "idle" in {f.name for f in expected["findings"]}  # read from the inventory file
    assert [r[0] for r in expected["allocated"]] == ["-", "a", "b", "c"]
    for key, value in expected.items():
        assert got[key] == value, key


def test_publish_rewrites_only_changed_partitions(tmp_path: Path) -> None:
    store = write_rows(tmp_path / "costs.duckdb", rows())
    dataset = tmp_path / "dataset"
    with CostStore(store).connect() as conn:
        first = publish(conn, str(dataset))
        again = publish(conn, str(dataset))
    parts = sorted(str(p.relative_to(dataset)) for p in dataset.rglob("*.parquet"))
    assert parts == [
        "x_Source=aws-cur/x_BillingPeriod=2025-10/part-0.parquet",
        "x_Source=aws-cur/x_BillingPeriod=2025-11/part-0.parquet",
    ]
    assert (first.written, first.kept, again.written, again.kept) == (2, 0, 0, 2)
    assert sorted(json.loads((dataset / MANIFEST).read_text())) == [
        "aws-cur\x1f2025-10", "aws-cur\x1f2025-11",
    ]  # fmt: skip


def test_dataset_without_cost_columns_is_refused(tmp_path: Path) -> None:
    import duckdb  # noqa: TID251 - writes the bad dataset

    bad = tmp_path / "bad" / "x_Source=a"
    bad.mkdir(parents=True)
    duckdb.sql(
        "COPY (SELECT TIMESTAMP '2025-01-01' AS \"ChargePeriodStart\", 1.0 AS \"BilledCost\") "
        f"TO '{bad / 'part-0.parquet'}' (FORMAT PARQUET)"
    )
    with pytest.raises(EvaluationError) as caught:
        with open_dataset(str(tmp_path / "bad"), MASTER, "EffectiveCost"):
            pass
    assert str(caught.value) == (
        f"the FOCUS dataset {tmp_path / 'bad'} lacks the columns BillingCurrency, EffectiveCost"
    )
    assert caught.value.hint == (
        "point settings.costs.dataset at FOCUS 1.2 rows written by `costs sync`"
    )


CLI_CONFIG = """\
version: 1
settings:
  costs: {settings}
cost_sources:
  - name: focus-sample
    type: focus
    location: cost-data/*.csv
budgets:
  - name: compute
    amount: 500
    filters: {{service_category: Compute}}
    alerts: [{{threshold: 50%}}]
  - name: everything
    amount: 2000
anomaly_detectors:
  - name: by-service
    group_by: [service]
    model: {{type: zscore, window: 7d}}
"""


def _workspace(root: Path, settings: str) -> Any:
    import shutil

    from tests.e2e.engine_cli import Workspace

    root.mkdir()
    shutil.copytree(SAMPLES / "focus", root / "cost-data")
    return Workspace(root, CLI_CONFIG.format(settings=settings))


def test_cli_sync_then_evaluate_on_spark_equals_duckdb(tmp_path: Path) -> None:
    spark = _workspace(tmp_path / "spark", "{engine: spark, dataset: dataset, "
                       f"spark_master: '{MASTER}', store: costs.duckdb}}")  # fmt: skip
    duck = _workspace(tmp_path / "duck", "{store: costs.duckdb}")
    outputs = []
    for ws in (spark, duck):
        cwd = os.getcwd()
        os.chdir(ws.root)  # settings paths are read from the working directory
        try:
            sync = ws.run("costs", "sync", str(ws.config))
            assert sync.exit_code == 0, sync.stderr
            result = ws.run("evaluate", str(ws.config), "--format", "json")
        finally:
            os.chdir(cwd)
        assert result.exit_code == 0, result.stderr
        outputs.append(json.loads(result.stdout))
    assert sorted(p.name for p in (spark.root / "dataset").glob("x_Source=*/*")) == [
        "x_BillingPeriod=2024-09", "x_BillingPeriod=2024-10",
    ]  # fmt: skip
    assert not (duck.root / "dataset").exists()
    assert [b["name"] for b in outputs[0]["budgets"]] == ["compute", "everything"]
    for doc in outputs:  # where and when the run happened, not what it found
        for finding in doc["findings"]:
            for key in ("file", "first_seen", "last_seen"):
                finding.pop(key)
    assert outputs[0]["findings"] != []
    assert outputs[0] == outputs[1]


def test_cli_unreachable_master_exits_1_and_records_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ws = _workspace(tmp_path / "ws", "{engine: spark, dataset: dataset, "
                    f"spark_master: 'spark://127.0.0.1:{port}'}}")  # fmt: skip
    assert ws.run("apply", str(ws.config), "--auto-approve", "-q").exit_code == 0
    before = ws.state.read_bytes()
    result = ws.run("evaluate", str(ws.config))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: Spark master spark://127.0.0.1:{port} cannot be reached (connection refused)\n"
    )
    assert ws.state.read_bytes() == before


def test_dataset_not_written_yet_names_costs_sync(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError) as caught:
        with open_dataset(str(tmp_path / "nothing"), MASTER, "EffectiveCost"):
            pass
    assert str(caught.value).startswith(
        f"no cost data: the Spark dataset {tmp_path / 'nothing'} cannot be read ("
    )
    assert caught.value.hint == (
        "run `finopsmetrics costs sync` with settings.costs.engine: spark to write it"
    )


def test_costs_show_on_spark_equals_duckdb(
    published: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from finopsmetrics_cli.cli.app import app

    store, dataset = published
    monkeypatch.chdir(tmp_path)
    args = ["costs", "show", "--by", "service,month", "--top", "2", "--filter", "team=web,db",
            "--format", "json"]  # fmt: skip
    local = CliRunner().invoke(app, [*args, "--costs", str(store)])
    assert local.exit_code == 0, local.stderr
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "spark")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_DATASET", str(dataset))
    monkeypatch.setenv("FINOPSMETRICS_SPARK_MASTER", MASTER)
    on_spark = CliRunner().invoke(app, args)
    assert on_spark.exit_code == 0, on_spark.stderr
    assert len(json.loads(local.stdout)["rows"]) == 4
    assert json.loads(on_spark.stdout) == json.loads(local.stdout)
