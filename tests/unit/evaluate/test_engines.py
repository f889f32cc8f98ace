"""Engine adapters without an engine: dialect rewrites and the start-up checks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate.engines.dialect import transpile
from finopsmetrics_cli.evaluate.engines.spark import spark_session


def test_map_literals_and_by_name_unions_become_spark_sql() -> None:
    sql = (
        "SELECT * FROM (SELECT *, MAP {'team': 'a'} AS m FROM main.costs) "
        "UNION ALL BY NAME SELECT b.* REPLACE (MAP {'i-1': MAP {'k': 'v'}}[b.id] AS m) "
        "FROM (SELECT *, NULL AS m FROM main.costs) b"
    )
    assert transpile(sql, "spark", {"costs": ["id", "cost"]}) == (
        "SELECT * FROM (SELECT *, MAP('team', 'a') AS m FROM costs) UNION ALL "
        "SELECT `id`, `cost`, `m` FROM (SELECT `b`.`id`, `b`.`cost`, "
        "MAP('i-1', MAP('k', 'v'))[b.id] AS m FROM (SELECT *, NULL AS m FROM costs) AS b) "
        "AS fm_by_name"
    )


def test_epoch_of_an_interval_is_a_difference_of_epochs() -> None:
    sql = "SELECT epoch(TIMESTAMP '2025-01-02 00:00:00' - min(t)) FROM x"
    assert transpile(sql, "spark", {}) == (
        "SELECT UNIX_TIMESTAMP(CAST('2025-01-02 00:00:00' AS TIMESTAMP_NTZ)) - "
        "UNIX_TIMESTAMP(MIN(t)) FROM x"
    )


def test_java_missing_is_one_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(EvaluationError) as caught:
        spark_session("local[1]")
    assert str(caught.value) == f"JAVA_HOME is {tmp_path}, which holds no bin/java"
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EvaluationError) as caught:
        spark_session("local[1]")
    assert str(caught.value) == (
        "Spark needs Java 17 or newer, and there is no java command on PATH "
        "(JAVA_HOME is not set)"
    )


def test_unreachable_master_is_one_message() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EvaluationError) as caught:
        spark_session(f"spark://127.0.0.1:{port}")
    assert str(caught.value) == (
        f"Spark master spark://127.0.0.1:{port} cannot be reached (connection refused)"
    )
    assert caught.value.hint == (
        "check settings.costs.spark_master (spark://HOST:PORT of a running master), "
        "or use local[*] to run Spark on this machine"
    )


def test_unknown_engine_in_the_environment_is_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from finopsmetrics_cli.evaluate.engines import open_engine

    monkeypatch.setenv("FINOPSMETRICS_COSTS_ENGINE", "snowflake")
    with pytest.raises(EvaluationError) as caught, open_engine(None):
        pass
    assert str(caught.value) == (
        "costs engine 'snowflake' (settings.costs.engine or FINOPSMETRICS_COSTS_ENGINE) "
        "is not an engine"
    )
    assert caught.value.hint == "engines: duckdb, spark, bigquery"
