"""settings.costs.spark_conf and FINOPSMETRICS_SPARK_CONF, without a JVM: what ``validate``
refuses (exact message, line and column), how the session's settings are put together."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.config import load_config
from finopsmetrics_cli.errors import EvaluationError, ValidationFailed
from finopsmetrics_cli.evaluate.engines.spark_conf import (
    FIXED,
    as_strings,
    from_environment,
    session_conf,
)

FIXED_HINT = (
    "remove it; these are fixed: spark.sql.session.timeZone=UTC, spark.sql.ansi.enabled=false, "
    "spark.sql.mapKeyDedupPolicy=LAST_WIN, "
    "spark.sql.sources.partitionColumnTypeInference.enabled=false"
)
MOTO = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_DEFAULT_REGION": "eu-west-1"}


def errors(tmp_path: Path, costs: str) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(f"settings:\n  costs:\n    engine: spark\n    dataset: focus\n{costs}")
    try:
        load_config([path])
    except ValidationFailed as exc:
        return [d.render().replace(str(path), "c.yaml") for d in exc.diagnostics]
    return []


def test_a_valid_spark_conf_validates(tmp_path: Path) -> None:
    costs = (
        "    spark_conf:\n"
        "      spark.jars.packages: org.apache.hadoop:hadoop-aws:3.5.0\n"
        "      spark.executor.memory: 8g\n"
        "      spark.sql.shuffle.partitions: 64\n"
        "      spark.hadoop.fs.s3a.path.style.access: true\n"
    )
    assert errors(tmp_path, costs) == []


@pytest.mark.parametrize(
    ("costs", "expected"),
    [
        ("    spark_conf:\n      spark.sql.session.timeZone: Europe/Paris\n",
         "c.yaml:6:7: error[E110]: settings.costs.spark_conf: spark.sql.session.timeZone cannot "
         "be set (finopsmetrics sets it so that Spark answers as DuckDB does)\n"
         f"  hint: {FIXED_HINT}"),
        ("    spark_conf: {spark.executor.memory: 8g, spark.sql.ansi.enabled: true}\n",
         "c.yaml:5:45: error[E110]: settings.costs.spark_conf: spark.sql.ansi.enabled cannot "
         "be set (finopsmetrics sets it so that Spark answers as DuckDB does)\n"
         f"  hint: {FIXED_HINT}"),
        ("    spark_conf:\n      fs.s3a.endpoint: http://minio:9000\n",
         "c.yaml:6:7: error[E110]: settings.costs.spark_conf: 'fs.s3a.endpoint' is not a Spark "
         "setting (their names start with spark.)\n"
         "  hint: Hadoop settings take the spark.hadoop. prefix, e.g. "
         "spark.hadoop.fs.s3a.endpoint"),
        ("    spark_conf:\n      spark.executor.memory: [8g]\n",
         "c.yaml:6:30: error[E110]: settings.costs.spark_conf: spark.executor.memory must be a "
         "string, number or boolean, got ['8g']\n  hint: e.g. spark.executor.memory: 8g"),
        ("    spark_conf:\n      spark.executor.memory:\n",
         "c.yaml:6:29: error[E110]: settings.costs.spark_conf: spark.executor.memory must be a "
         "string, number or boolean, got None\n  hint: e.g. spark.executor.memory: 8g"),
        ("    spark_conf: spark.executor.memory=8g\n",
         "c.yaml:5:17: error[E110]: settings.costs.spark_conf must map Spark settings to values, "
         "got 'spark.executor.memory=8g'\n  hint: e.g. spark_conf: {spark.executor.memory: 8g}"),
    ],
)  # fmt: skip
def test_validate_refuses(tmp_path: Path, costs: str, expected: str) -> None:
    assert errors(tmp_path, costs) == [expected]


def test_a_users_value_wins_over_ours_but_not_over_the_fixed_ones() -> None:
    user = {"spark.sql.shuffle.partitions": "64", "spark.ui.enabled": "true"}
    conf = session_conf("local[2]", user, {})
    assert conf["spark.sql.shuffle.partitions"] == "64"  # our local default is 4
    assert conf["spark.ui.enabled"] == "true"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert {k: conf[k] for k in FIXED} == FIXED
    # on a cluster, the local-mode defaults are not ours to set
    assert "spark.sql.shuffle.partitions" not in session_conf("spark://m:7077", {}, {})


def test_the_s3a_endpoint_follows_the_aws_variables() -> None:
    s3a = {k: v for k, v in session_conf("local[1]", {}, MOTO).items() if "s3a" in k}
    assert s3a == {
        "spark.hadoop.fs.s3a.endpoint": "http://127.0.0.1:5000",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.endpoint.region": "eu-west-1",
    }
    both = {**MOTO, "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}  # boto3's order too
    assert session_conf("local[1]", {}, both)["spark.hadoop.fs.s3a.endpoint"] == (
        "http://127.0.0.1:9000"
    )
    assert "spark.hadoop.fs.s3a.endpoint" not in session_conf("local[1]", {}, {})
    # a user's own endpoint takes none of ours (no path style forced on real S3)
    own = session_conf("local[1]", {"spark.hadoop.fs.s3a.endpoint": "s3.eu-west-1.amazonaws.com"},
                       MOTO)  # fmt: skip
    assert own["spark.hadoop.fs.s3a.endpoint"] == "s3.eu-west-1.amazonaws.com"
    assert "spark.hadoop.fs.s3a.path.style.access" not in own
    overridden = session_conf("local[1]", {"spark.hadoop.fs.s3a.path.style.access": "false"}, MOTO)
    assert overridden["spark.hadoop.fs.s3a.path.style.access"] == "false"


def test_values_are_written_as_spark_reads_them() -> None:
    assert as_strings({"a": True, "b": False, "c": 64, "d": 0.5, "e": "8g"}) == {
        "a": "true", "b": "false", "c": "64", "d": "0.5", "e": "8g",
    }  # fmt: skip


def test_the_environment_variable_is_a_json_object() -> None:
    name = "FINOPSMETRICS_SPARK_CONF"
    assert from_environment({}) == {}
    assert from_environment({name: " "}) == {}
    packages = "org.apache.hadoop:hadoop-aws:3.5.0,org.postgresql:postgresql:42.7.3"
    assert from_environment(
        {name: f'{{"spark.jars.packages": "{packages}", "spark.sql.shuffle.partitions": 8}}'}
    ) == {"spark.jars.packages": packages, "spark.sql.shuffle.partitions": "8"}


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ("spark.executor.memory=8g",
         "FINOPSMETRICS_SPARK_CONF is not a JSON object of Spark settings: Expecting value "
         "(column 1)", None),
        ('{"spark.executor.memory": 8g}',
         "FINOPSMETRICS_SPARK_CONF is not a JSON object of Spark settings: Expecting ',' "
         "delimiter (column 28)", None),
        ('["spark.executor.memory"]',
         'FINOPSMETRICS_SPARK_CONF is not a JSON object of Spark settings: got '
         '["spark.executor.memory"]', None),
        ('{"spark.sql.mapKeyDedupPolicy": "EXCEPTION"}',
         "FINOPSMETRICS_SPARK_CONF: spark.sql.mapKeyDedupPolicy cannot be set (finopsmetrics "
         "sets it so that Spark answers as DuckDB does)", FIXED_HINT),
        ('{"executor.memory": "8g"}',
         "FINOPSMETRICS_SPARK_CONF: 'executor.memory' is not a Spark setting (their names "
         "start with spark.)",
         "Hadoop settings take the spark.hadoop. prefix, e.g. spark.hadoop.fs.s3a.endpoint"),
    ],
)  # fmt: skip
def test_a_bad_environment_variable_is_one_message(
    value: str, message: str, hint: str | None
) -> None:
    with pytest.raises(EvaluationError) as caught:
        from_environment({"FINOPSMETRICS_SPARK_CONF": value})
    assert str(caught.value) == message
    assert caught.value.hint == (
        hint or """e.g. FINOPSMETRICS_SPARK_CONF='{"spark.executor.memory": "8g"}'"""
    )


def test_costs_show_with_a_bad_variable_exits_1_before_spark_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from finopsmetrics_cli.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "spark")
    monkeypatch.setenv("FINOPSMETRICS_COSTS_DATASET", str(tmp_path / "focus"))
    monkeypatch.setenv("FINOPSMETRICS_SPARK_CONF", "spark.executor.memory=8g")
    result = CliRunner().invoke(app, ["costs", "show"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: FINOPSMETRICS_SPARK_CONF is not a JSON object of Spark settings: Expecting "
        "value (column 1)\n"
        """  hint: e.g. FINOPSMETRICS_SPARK_CONF='{"spark.executor.memory": "8g"}'\n"""
    )
