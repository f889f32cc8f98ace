"""Top-level ``settings:``: a few typed knobs, checked like everything else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.model import Settings
from finopsmetrics_cli.errors import Diagnostic

if TYPE_CHECKING:
    from finopsmetrics_cli.config.loader import RawConfig

#: Every setting, with what it means (rendered in docs/reference/file-format.md).
SETTINGS_DOC = {
    "max_destroy": "Most objects one plan may destroy without --allow-destroy (integer >= 0).",
    "attributes": "Extra condition attributes: context -> {attribute: type}, e.g. "
    "{resource: {gpu_count: number}}.",
    "costs": "Cost data: store (the cost store's path, default "
    ".finopsmetrics/costs.duckdb), metric (effective, billed, list or contracted; default "
    "effective), engine (duckdb, spark or bigquery), dataset, spark_master, spark_conf (Spark "
    "settings for the session, e.g. {spark.executor.memory: 8g}), table, inventory (a "
    "CSV, JSON or Parquet file of resource attributes, e.g. cpu_avg_7d, that policies read "
    "beside those derived from cost rows; relative to the configuration's directory).",
    "console_url": "Base URL of your console: notifications link each finding to "
    "CONSOLE_URL/findings/ID (a channel's own console_url wins).",
}

#: ``settings.costs`` keys and, for those with a fixed set of values, the values.
COSTS_KEYS: dict[str, tuple[str, ...] | None] = {
    "store": None,
    "metric": ("effective", "billed", "list", "contracted"),
    "engine": ("duckdb", "spark", "bigquery"),
    "dataset": None,
    "spark_master": None,
    "spark_conf": None,  # a mapping, checked by spark_conf.conf_problem
    "table": None,
    "inventory": None,
}


def build_settings(raw: RawConfig) -> tuple[Settings, list[Diagnostic]]:
    """Typed settings from the merged ``settings:`` mappings of every file."""
    from finopsmetrics_cli.config.loader import suggest

    diags: list[Diagnostic] = []
    values: dict[str, Any] = {}
    for key, value in raw.settings.items():
        source, path = raw.settings_origin[key]
        if key not in SETTINGS_DOC:
            diags.append(
                codes.diag(
                    "E110",
                    f"unknown setting {key!r}",
                    source.locate(path, key=True),
                    hint=suggest(key, SETTINGS_DOC) or f"settings are: {', '.join(SETTINGS_DOC)}",
                )
            )
        elif key == "max_destroy" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            diags.append(
                codes.diag(
                    "E110",
                    f"settings.max_destroy must be an integer >= 0, got {value!r}",
                    source.locate(path),
                    hint="e.g. max_destroy: 10",
                )
            )
        elif key == "attributes" and value is not None and not isinstance(value, dict):
            diags.append(
                codes.diag(
                    "E110",
                    "settings.attributes must map a context to its attributes",
                    source.locate(path),
                    hint="e.g. attributes: {resource: {gpu_count: number}}",
                )
            )
        elif key == "console_url" and not (
            isinstance(value, str) and value.startswith(("https://", "http://"))
        ):
            diags.append(
                codes.diag(
                    "E110",
                    f"settings.console_url must be an http(s) URL, got {value!r}",
                    source.locate(path),
                    hint="e.g. console_url: https://finops.example.com",
                )
            )
        elif key == "costs" and value is not None:
            problem = _costs_problem(value)
            if problem is None:
                values[key] = value
            else:
                message, hint, at, on_key = problem
                diags.append(
                    codes.diag("E110", message, source.locate((*path, *at), key=on_key), hint=hint)
                )
        else:
            values[key] = value
    settings = Settings(
        max_destroy=values.get("max_destroy"),
        attributes=values.get("attributes") or {},
        raw=dict(raw.settings),
    )
    return settings, diags


def _costs_problem(value: Any) -> tuple[str, str, tuple[str, ...], bool] | None:
    """What is wrong with ``settings.costs`` (message, hint, path below it, whether the
    path's key rather than its value is wrong), if anything."""
    from finopsmetrics_cli.config.loader import suggest
    from finopsmetrics_cli.evaluate.engines.spark_conf import conf_problem

    if not isinstance(value, dict):
        return "settings.costs must be a mapping", "e.g. costs: {store: costs.duckdb}", (), False
    for key, item in value.items():
        if key not in COSTS_KEYS:
            return (
                f"unknown setting costs.{key}",
                suggest(str(key), COSTS_KEYS) or "costs settings are: " + ", ".join(COSTS_KEYS),
                (str(key),),
                True,
            )
        if key == "spark_conf":
            problem = conf_problem(item, "settings.costs.spark_conf")
            if problem is not None:
                message, hint, at, on_key = problem
                return message, hint, ("spark_conf", *((at,) if at else ())), on_key
            continue
        allowed = COSTS_KEYS[key]
        if not isinstance(item, str) or not item or (allowed and item not in allowed):
            expected = "one of " + ", ".join(allowed) if allowed else "a non-empty string"
            return (
                f"settings.costs.{key} must be {expected}, got {item!r}",
                f"e.g. {key}: {allowed[0] if allowed else 'costs.duckdb'}",
                (str(key),),
                False,
            )
    needs = {
        "spark": ("dataset", "e.g. dataset: /data/finops/focus (or s3a://BUCKET/PREFIX)"),
        "bigquery": ("table", "e.g. table: PROJECT.DATASET.TABLE (a FOCUS table or view)"),
    }
    engine = value.get("engine")
    if engine in needs and not value.get(needs[engine][0]):
        key, hint = needs[engine]
        return (
            f"settings.costs.engine {engine} needs settings.costs.{key}",
            hint,
            ("engine",),
            False,
        )
    return None
