"""Evaluation on Apache Spark: the FOCUS Parquet dataset read by a SparkSession.

The queries are the ones DuckDB runs (``query`` expressions and the DuckDB
text of the enrichment, inventory, coverage and policies), rendered for Spark
by ``dialect``. Only aggregates come back to Python, where scoring happens,
so the engine never changes a result.

The session's settings (ours, the user's ``spark_conf``, the S3A endpoint)
are put together by ``spark_conf``.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import urlparse

from sqlglot import exp

from finopsmetrics_cli.errors import EvaluationError, MissingExtraError
from finopsmetrics_cli.evaluate.engine import EngineAdapter
from finopsmetrics_cli.evaluate.engines import dialect, spark_conf

DEFAULT_MASTER = "local[*]"
#: the columns every evaluation reads (the metric column is checked besides)
REQUIRED_COLUMNS = ("ChargePeriodStart", "BillingCurrency")
S3A_CLASS = "org.apache.hadoop.fs.s3a.S3AFileSystem"
#: DuckDB's file readers (sqlglot's names for them) -> Spark's reader
FILE_READERS = {"readcsv": "csv", "read_csv": "csv", "read_json": "json",
                "read_parquet": "parquet", "readparquet": "parquet"}  # fmt: skip
_TYPES = {"INTEGER": "INT", "BIGINT": "BIGINT", "DATE": "DATE", "VARCHAR": "STRING",
          "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "TIMESTAMP": "TIMESTAMP"}  # fmt: skip


class SparkAdapter(EngineAdapter):
    """Runs the evaluation's queries in a SparkSession over the ``costs`` view."""

    DIALECT: ClassVar[str] = "spark"
    #: Spark has no temporary tables; cached temporary views play their part
    SUPPORTS_TEMP_TABLES: ClassVar[bool] = True

    def __init__(self, session: Any) -> None:
        self.session = session
        self.relations: dict[str, list[str]] = {}

    def _learn(self, name: str) -> None:
        self.relations[name.lower()] = list(self.session.table(name).columns)

    def sql(self, query: exp.Expression) -> str:
        return dialect.render(query, self.DIALECT, self.relations)

    def _text(self, sql: str) -> str:
        """DuckDB text for Spark: DuckDB's file readers become views Spark reads itself."""
        import sqlglot

        try:
            tree = sqlglot.parse_one(sql, read=dialect.SOURCE_DIALECT)
        except sqlglot.errors.ParseError as exc:
            raise dialect.TranspileError(f"cannot read the query: {exc}") from exc
        tree = tree.transform(self._files).transform(_numbered_in_file_order)
        return dialect.render(tree, self.DIALECT, self.relations)

    def _files(self, node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Func):
            return node
        call = node.this
        name = call.sql_name().lower() if not isinstance(call, exp.Anonymous) else call.name
        reader = FILE_READERS.get(name.lower())
        path = call.this if isinstance(call.this, exp.Literal) else (call.expressions or [None])[0]
        if reader is None or not isinstance(path, exp.Literal):
            return node
        view = f"fm_file_{len(self.relations)}"
        read = self.session.read
        if reader == "csv":
            read = read.option("header", True).option("inferSchema", True)
        if reader == "json":
            read = read.option("multiLine", str(path.this).endswith(".json"))
        with _spark_errors():
            getattr(read, reader)(path.this).createOrReplaceTempView(view)
        self._learn(view)
        out = exp.to_table(view)
        if node.args.get("alias") is not None:
            out.set("alias", node.args["alias"].copy())
        return out

    def fetch(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        return self._collect(self.sql(query))

    def execute(self, query: exp.Expression) -> None:
        self.session.sql(self.sql(query))

    def _collect(self, text: str) -> list[tuple[Any, ...]]:
        with _spark_errors():
            return [tuple(row) for row in self.session.sql(text).collect()]

    def columns(self, relation: str) -> list[str]:
        if relation.lower() not in self.relations:
            self._learn(relation)
        return list(self.relations[relation.lower()])

    def fetch_sql(self, sql: str) -> list[tuple[Any, ...]]:
        return self._collect(self._text(sql))

    def create_temp_view(self, name: str, select: str) -> None:
        with _spark_errors():
            self.session.sql(self._text(select)).createOrReplaceTempView(name)
            self._learn(name)

    def create_temp_table(self, name: str, select: str) -> None:
        self._cache(name, self._text(select))

    def materialize(self, name: str, query: exp.Select) -> exp.Table | exp.Subquery:
        self._cache(name, self.sql(query))
        return exp.to_table(name)

    def _cache(self, name: str, text: str) -> None:
        with _spark_errors():
            self.session.sql(f"UNCACHE TABLE IF EXISTS {name}")
            self.session.sql(text).createOrReplaceTempView(name)
            self.session.sql(f"CACHE TABLE {name}")
            self._learn(name)

    def upload(
        self, name: str, columns: Sequence[tuple[str, str]], data: Sequence[Sequence[Any]]
    ) -> exp.Table:
        schema = ", ".join(f"{col} {_TYPES.get(type_, type_)}" for col, type_ in columns)
        rows = list(zip(*data, strict=True)) if data else []
        self.session.createDataFrame(rows, schema).createOrReplaceTempView(name)
        self._learn(name)
        return exp.to_table(name)


def _numbered_in_file_order(node: exp.Expression) -> exp.Expression:
    """``row_number() OVER ()`` (rows in the order read) needs an order in Spark: the
    order rows were read in, ``monotonically_increasing_id()``."""
    if (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.RowNumber)
        and not node.args.get("order")
        and not node.args.get("partition_by")
    ):
        read_order = exp.Anonymous(this="monotonically_increasing_id")
        node.set("order", exp.Order(expressions=[exp.Ordered(this=read_order)]))
    return node


@contextmanager
def _spark_errors() -> Iterator[None]:
    """Spark's refusals (AnalysisException, a failed job) as one message, not a traceback."""
    from finopsmetrics_cli.errors import FinopsError

    try:
        yield
    except FinopsError:
        raise
    except Exception as exc:  # pyspark's errors share no base class with py4j's
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationError(
            f"Spark could not run the query: {first}",
            hint="evaluate with settings.costs.engine duckdb meanwhile, and report the message",
        ) from exc


def java_problem() -> str | None:
    """Why Spark cannot start its JVM here, if it cannot (checked before pyspark tries)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        if os.access(os.path.join(home, "bin", "java"), os.X_OK):
            return None
        return f"JAVA_HOME is {home}, which holds no bin/java"
    if shutil.which("java") is None:
        return (
            "Spark needs Java 17 or newer, and there is no java command on PATH "
            "(JAVA_HOME is not set)"
        )
    return None


def master_problem(master: str, timeout: float = 3.0) -> str | None:
    """Why a standalone master (``spark://host:port``) cannot be reached, if it cannot.

    Spark itself retries an unreachable master for about a minute and then
    logs; a plain connection attempt answers in seconds with the reason."""
    if not master.startswith("spark://"):
        return None
    for hostport in master.removeprefix("spark://").split(","):
        parsed = urlparse(f"//{hostport}")
        try:
            with socket.create_connection((parsed.hostname or "", parsed.port or 7077), timeout):
                return None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            problem = f"Spark master {master} cannot be reached ({reason.lower()})"
    return problem


def _check_start(master: str) -> None:
    problem = java_problem()
    if problem:
        raise EvaluationError(
            problem,
            hint="install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless) "
            "or set JAVA_HOME",
        )
    problem = master_problem(master)
    if problem:
        raise EvaluationError(
            problem,
            hint="check settings.costs.spark_master (spark://HOST:PORT of a running master), "
            f"or use {DEFAULT_MASTER} to run Spark on this machine",
        )


#: one session per (master, settings); a JVM's classpath is fixed when it starts
_SESSIONS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def spark_session(master: str = DEFAULT_MASTER, conf: Mapping[str, str] | None = None) -> Any:
    """The process's SparkSession for ``master`` and the user's ``conf`` (started once:
    a JVM costs seconds).

    Asked for other settings than the running session's, it stops that session and
    its JVM first: settings such as ``spark.jars.packages`` or the driver's memory
    only take effect in a JVM that starts with them, and pyspark would otherwise
    hand back the running session, silently without the new settings."""
    settings = spark_conf.session_conf(master, conf or {}, os.environ)
    key = (master, tuple(sorted(settings.items())))
    found = _SESSIONS.get(key)
    if found is not None:
        return found
    _check_start(master)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise MissingExtraError("pyspark", "spark", "evaluating on Apache Spark") from exc
    stop_sessions()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never bind another interface
    builder = SparkSession.builder.master(master).appName("finopsmetrics")
    for name, value in settings.items():
        builder = builder.config(name, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark's gateway and JVM errors share no base class
        raise EvaluationError(
            f"Spark could not start with master {master}: {str(exc).splitlines()[0]}",
            hint="check settings.costs.spark_master and the Java installation"
            + (
                " (spark.jars.packages are downloaded from Maven Central, or "
                "spark.jars.repositories, when Spark starts)"
                if "spark.jars.packages" in settings
                else ""
            ),
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[key] = session
    return session


def stop_sessions() -> None:
    """Stop every session and the JVM behind them (the next session starts a new JVM)."""
    for session in _SESSIONS.values():
        session.stop()
    _SESSIONS.clear()
    try:
        from pyspark import SparkContext
    except ImportError:
        return
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None and process.stdin is not None:
        process.stdin.close()  # the JVM exits when its stdin closes
        process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


def _hadoop_version(session: Any) -> str:
    """The Hadoop client version of the running JVM (hadoop-aws must match it)."""
    try:
        return str(session.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion())
    except Exception:  # a JVM without Hadoop's VersionInfo: say so rather than guess
        return "HADOOP_VERSION"


@contextmanager
def open_dataset(
    dataset: str, master: str, metric_column: str, conf: Mapping[str, str] | None = None
) -> Iterator[SparkAdapter]:
    """A Spark adapter whose ``costs`` (and ``costs_enriched``) read ``dataset``."""
    from finopsmetrics_cli.costs.dataset import spark_path

    session = spark_session(master, conf)
    path = spark_path(dataset)
    try:
        frame = session.read.parquet(path)
    except Exception as exc:  # AnalysisException: PATH_NOT_FOUND, UNABLE_TO_INFER_SCHEMA
        if f"{S3A_CLASS} not found" in str(exc):
            raise EvaluationError(
                "Spark cannot read s3a:// URLs: the hadoop-aws connector is not on "
                "Spark's classpath",
                hint="add spark.jars.packages: org.apache.hadoop:hadoop-aws:"
                f"{_hadoop_version(session)} to settings.costs.spark_conf "
                "(or put the jars in Spark's jars directory)",
            ) from exc
        raise EvaluationError(
            f"no cost data: the Spark dataset {dataset} cannot be read "
            f"({str(exc).splitlines()[0]})",
            hint="run `finopsmetrics costs sync` with settings.costs.engine: spark to write it",
        ) from exc
    missing = [c for c in (*REQUIRED_COLUMNS, metric_column) if c not in frame.columns]
    if missing:
        raise EvaluationError(
            f"the FOCUS dataset {dataset} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            hint="point settings.costs.dataset at FOCUS 1.2 rows written by `costs sync`",
        )
    frame.createOrReplaceTempView("costs")
    session.sql("CREATE OR REPLACE TEMPORARY VIEW costs_enriched AS SELECT * FROM costs")
    adapter = SparkAdapter(session)
    adapter._learn("costs")
    adapter._learn("costs_enriched")
    yield adapter
