"""settings.costs.spark_conf reaching a real SparkSession, and an ``s3a://`` dataset
(published to moto's server on 127.0.0.1) read without the hadoop-aws connector.

The connector cannot be downloaded here (no Maven Central), so a successful
``s3a://`` read is not exercised: what is tested is the message and its recipe.
One JVM for the whole module: the session the CLI started is the one asserted on.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from finopsmetrics_cli.evaluate.engines.spark import _SESSIONS, java_problem, spark_session

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),  # one worker, one JVM (make test runs --dist loadgroup)
    pytest.mark.skipif(java_problem() is not None, reason=f"no Java for Spark: {java_problem()}"),
]
MASTER = "local[2]"
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cost-data" / "focus"
JARS = Path(__import__("pyspark").__file__).parent / "jars"
CONFIG = """\
version: 1
settings:
  costs:
    engine: spark
    dataset: s3a://lake/focus
    spark_master: '{master}'
    store: costs.duckdb
    spark_conf:
      spark.sql.shuffle.partitions: 3     # ours is 4 in local mode
      spark.driver.memory: 1g
      spark.sql.caseSensitive: false
cost_sources:
  - name: focus-sample
    type: focus
    location: cost-data/*.csv
budgets:
  - name: everything
    amount: 2000
"""


def _hadoop_version() -> str:
    """The Hadoop client that ships with pyspark, from its jar's name (not from the JVM)."""
    (jar,) = JARS.glob("hadoop-client-api-*.jar")
    return jar.stem.removeprefix("hadoop-client-api-")


def test_spark_conf_reaches_the_session_and_s3a_needs_the_connector(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3  # type: ignore[import-untyped]  # noqa: TID251 - the test's own view of S3
    from tests.e2e.engine_cli import Workspace

    boto3.client("s3").create_bucket(Bucket="lake")
    shutil.copytree(SAMPLES, tmp_path / "cost-data")
    ws = Workspace(tmp_path, CONFIG.format(master=MASTER))
    monkeypatch.chdir(tmp_path)  # settings paths are read from the working directory
    # the variable overrides the file key by key
    monkeypatch.setenv("FINOPSMETRICS_SPARK_CONF", json.dumps({"spark.driver.memory": "768m"}))
    assert ws.run("apply", str(ws.config), "--auto-approve", "-q").exit_code == 0
    sync = ws.run("costs", "sync", str(ws.config))
    assert sync.exit_code == 0, sync.stderr  # the write side: boto3 to moto's endpoint
    before = ws.state.read_bytes()

    result = ws.run("evaluate", str(ws.config))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: Spark cannot read s3a:// URLs: the hadoop-aws connector is not on Spark's "
        "classpath\n"
        f"  hint: add spark.jars.packages: org.apache.hadoop:hadoop-aws:{_hadoop_version()} to "
        "settings.costs.spark_conf (or put the jars in Spark's jars directory)\n"
    )
    assert ws.state.read_bytes() == before
    # the same settings give back the session the command started (no second JVM)
    user = {"spark.sql.shuffle.partitions": "3", "spark.driver.memory": "768m",
            "spark.sql.caseSensitive": "false"}  # fmt: skip
    (session,) = _SESSIONS.values()
    assert spark_session(MASTER, user) is session
    conf = session.conf
    assert conf.get("spark.sql.shuffle.partitions") == "3"
    assert conf.get("spark.driver.memory") == "768m"
    assert conf.get("spark.sql.session.timeZone") == "UTC"  # fixed
    assert conf.get("spark.hadoop.fs.s3a.endpoint") == os.environ["AWS_ENDPOINT_URL"]
    assert conf.get("spark.hadoop.fs.s3a.path.style.access") == "true"
    assert conf.get("spark.hadoop.fs.s3a.endpoint.region") == "us-east-1"
    hadoop = session.sparkContext._jsc.hadoopConfiguration()  # what S3A itself will read
    assert hadoop.get("fs.s3a.endpoint") == os.environ["AWS_ENDPOINT_URL"]
    runtime = session.sparkContext._jvm.java.lang.Runtime.getRuntime()
    assert runtime.maxMemory() <= 768 * 1024 * 1024  # started with the user's driver memory
