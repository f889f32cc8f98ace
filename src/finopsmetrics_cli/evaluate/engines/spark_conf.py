"""The settings a SparkSession starts with: ours, then the user's ``spark_conf``.

Kept apart from ``spark`` (which imports sqlglot) so ``validate`` checks a
configuration's ``settings.costs.spark_conf`` without loading the engine.
A session's settings are, later ones winning: our defaults, the S3A endpoint
of the environment, the user's (``settings.costs.spark_conf``, then
``FINOPSMETRICS_SPARK_CONF``), and last the settings that make Spark answer
as DuckDB does, which no one may change (``validate`` refuses them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from finopsmetrics_cli.errors import EvaluationError

#: make Spark answer as DuckDB does: UTC session time (timestamps are UTC wall
#: clock), ANSI mode off (a map read of a missing key is NULL, not an error), map
#: keys de-duplicated last-wins (DuckDB's ``map_concat``), partition values kept as
#: strings (``2024-03`` is a period). Results depend on them: never overridden.
FIXED = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}
#: defaults a user's spark_conf may override
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
#: local mode: few shuffle partitions (200 tiny tasks cost more than the work),
#: and the driver on the loopback interface only
LOCAL = {
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
ENVIRONMENT = "FINOPSMETRICS_SPARK_CONF"
S3A_ENDPOINT = "spark.hadoop.fs.s3a.endpoint"
S3A_PATH_STYLE = "spark.hadoop.fs.s3a.path.style.access"
S3A_REGION = "spark.hadoop.fs.s3a.endpoint.region"
EXAMPLE = "spark.executor.memory: 8g"


def conf_problem(conf: Any, where: str) -> tuple[str, str, str | None, bool] | None:
    """What is wrong with a spark_conf mapping: (message, hint, the key at fault, whether
    the key itself rather than its value is wrong), if anything. ``where`` names it."""
    if not isinstance(conf, dict):
        return (
            f"{where} must map Spark settings to values, got {conf!r}",
            f"e.g. spark_conf: {{{EXAMPLE}}}",
            None,
            False,
        )
    for key, value in conf.items():
        if not isinstance(key, str) or not key.startswith("spark."):
            return (
                f"{where}: {key!r} is not a Spark setting (their names start with spark.)",
                "Hadoop settings take the spark.hadoop. prefix, e.g. spark.hadoop.fs.s3a.endpoint",
                str(key),
                True,
            )
        if key in FIXED:
            return (
                f"{where}: {key} cannot be set (finopsmetrics sets it so that Spark "
                "answers as DuckDB does)",
                "remove it; these are fixed: "
                + ", ".join(f"{name}={fixed}" for name, fixed in FIXED.items()),
                key,
                True,
            )
        if isinstance(value, dict | list) or value is None or value == "":
            return (
                f"{where}: {key} must be a string, number or boolean, got {value!r}",
                f"e.g. {EXAMPLE}",
                key,
                False,
            )
    return None


def as_strings(conf: Mapping[str, Any]) -> dict[str, str]:
    """Spark reads every setting as a string; YAML's ``true`` is Spark's ``true``."""
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for key, value in conf.items()
    }


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``FINOPSMETRICS_SPARK_CONF``: a JSON object (values such as spark.jars.packages
    hold commas, so no ``k=v,k=v`` list could carry them)."""
    text = environ.get(ENVIRONMENT, "").strip()
    if not text:
        return {}
    hint = f"""e.g. {ENVIRONMENT}='{{"spark.executor.memory": "8g"}}'"""
    try:
        conf = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvaluationError(
            f"{ENVIRONMENT} is not a JSON object of Spark settings: {exc.msg} (column {exc.colno})",
            hint=hint,
        ) from exc
    if not isinstance(conf, dict):
        raise EvaluationError(
            f"{ENVIRONMENT} is not a JSON object of Spark settings: got {text}", hint=hint
        )
    problem = conf_problem(conf, ENVIRONMENT)
    if problem is not None:
        raise EvaluationError(problem[0], hint=problem[1])
    return as_strings(conf)


def endpoint_defaults(environ: Mapping[str, str]) -> dict[str, str]:
    """S3A's endpoint from the variables boto3 (and so ``costs sync``) honours, so the
    dataset is read from where it was written; path-style, as S3-compatible stores need."""
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return {}
    found = {S3A_ENDPOINT: endpoint, S3A_PATH_STYLE: "true"}
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if region:
        found[S3A_REGION] = region
    return found


def session_conf(
    master: str, user: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    """Every setting a session for ``master`` starts with (the user's win over ours)."""
    local = LOCAL if master.startswith("local") else {}
    # a user's own endpoint (real S3 beside a local one, say) takes none of ours
    endpoint = {} if S3A_ENDPOINT in user else endpoint_defaults(environ)
    return {**DEFAULTS, **local, **endpoint, **user, **FIXED}
