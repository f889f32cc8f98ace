"""Where an evaluation runs: DuckDB on this machine (default), Apache Spark, or BigQuery.

``settings.costs.engine`` picks the adapter; every adapter runs the same
queries (built once, rendered per dialect by ``dialect``). Live state carries
no settings, so a run without a configuration (``evaluate`` on what was
applied, the reconciler) reads them from the environment, which also
overrides the file: ``FINOPSMETRICS_COSTS_ENGINE``, ``..._DATASET``,
``FINOPSMETRICS_SPARK_MASTER``, ``FINOPSMETRICS_COSTS_TABLE``, and
``FINOPSMETRICS_SPARK_CONF`` (a JSON object whose keys override the file's
``spark_conf`` one by one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import EvaluationError

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Settings
    from finopsmetrics_cli.evaluate.engine import EngineAdapter

ENGINES = ("duckdb", "spark", "bigquery")
ENVIRONMENT = {
    "engine": "FINOPSMETRICS_COSTS_ENGINE",
    "dataset": "FINOPSMETRICS_COSTS_DATASET",
    "spark_master": "FINOPSMETRICS_SPARK_MASTER",
    "table": "FINOPSMETRICS_COSTS_TABLE",
}


def _costs(settings: Settings | None) -> dict[str, Any]:
    import os

    raw = settings.raw.get("costs") if settings is not None else None
    found = dict(raw) if isinstance(raw, dict) else {}
    for key, name in ENVIRONMENT.items():
        if os.environ.get(name):
            found[key] = os.environ[name]
    return found


def dataset_to_publish(settings: Settings | None) -> str | None:
    """Where ``costs sync`` writes the Spark dataset (None: not on Spark)."""
    costs = _costs(settings)
    if costs.get("engine") == "spark" and costs.get("dataset"):
        return str(costs["dataset"])
    return None


def configured_engine(settings: Settings | None) -> str:
    return str(_costs(settings).get("engine") or "duckdb")


@contextmanager
def open_engine(settings: Settings | None) -> Iterator[EngineAdapter]:
    """The adapter of a non-DuckDB ``settings.costs.engine`` (DuckDB opens the store itself)."""
    from finopsmetrics_cli.costs.focus import METRICS

    costs = _costs(settings)
    engine = configured_engine(settings)
    metric = METRICS.get(str(costs.get("metric") or "effective"), "EffectiveCost")
    if engine == "spark":
        import os

        from finopsmetrics_cli.evaluate.engines.spark import DEFAULT_MASTER, open_dataset
        from finopsmetrics_cli.evaluate.engines.spark_conf import as_strings, from_environment

        dataset = costs.get("dataset")
        if not dataset:
            raise EvaluationError(
                "settings.costs.engine is spark but settings.costs.dataset is not set",
                hint="set dataset to the directory (or s3a:// URL) costs sync writes Parquet to",
            )
        master = str(costs.get("spark_master") or DEFAULT_MASTER)
        conf = {**as_strings(costs.get("spark_conf") or {}), **from_environment(os.environ)}
        with open_dataset(str(dataset), master, metric, conf) as spark:
            yield spark
    elif engine == "bigquery":
        from finopsmetrics_cli.evaluate.engines.bigquery import open_table

        table = costs.get("table")
        if not table:
            raise EvaluationError(
                "settings.costs.engine is bigquery but settings.costs.table is not set",
                hint="set table to PROJECT.DATASET.TABLE, a table or view with FOCUS columns",
            )
        with open_table(str(table), metric) as bigquery:
            yield bigquery
    else:
        raise EvaluationError(
            f"costs engine {engine!r} (settings.costs.engine or {ENVIRONMENT['engine']}) "
            "is not an engine",
            hint=f"engines: {', '.join(ENGINES)}",
        )
