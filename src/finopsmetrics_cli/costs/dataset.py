"""The cost store's rows as a Parquet dataset for Spark (``settings.costs.engine: spark``).

Layout: ``DATASET/x_Source=NAME/x_BillingPeriod=YYYY-MM/part-0.parquet`` (Hive
partitions: any Spark reads them with ``spark.read.parquet(DATASET)``), in a
directory or under an ``s3a://bucket/prefix`` (written with boto3; Spark reads
it through hadoop-aws). After each ``costs sync`` the partitions whose rows
changed are rewritten and those no longer in the store removed. A partition
is one file replaced whole (a rename on disk, one PUT on S3), so a reader
sees its old or its new rows, never half of them. Unchanged partitions are
not touched: a fingerprint per partition is kept in ``_finopsmetrics.json``
(Spark skips files whose names start with ``_``), written last.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import CostDataError

if TYPE_CHECKING:
    import duckdb  # noqa: TID251 - types only

MANIFEST = "_finopsmetrics.json"
PART = "part-0.parquet"
PERIOD = "strftime(\"BillingPeriodStart\", '%Y-%m')"


@dataclass(frozen=True, slots=True)
class Published:
    written: int  # partitions rewritten
    removed: int  # partitions dropped
    kept: int  # partitions unchanged


def spark_path(dataset: str) -> str:
    """What Spark reads: an ``s3a://`` URL as is, a local path made absolute."""
    if "://" in dataset:
        return dataset
    return str(Path(dataset).expanduser().resolve())


def partition(source: str, period: str) -> str:
    return f"x_Source={source}/x_BillingPeriod={period}"


class _Local:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CostDataError(
                f"cannot create the Spark dataset directory {root}: {exc.strerror}"
            ) from exc

    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def has(self, part: str) -> bool:
        return (self.root / part / PART).exists()

    def put(self, part: str, file: Path) -> None:
        target = self.root / part
        staging = self.root / f"_staging.{uuid.uuid4().hex}"
        staging.mkdir()
        shutil.move(str(file), staging / PART)
        target.parent.mkdir(parents=True, exist_ok=True)
        old = self.root / f"_old.{uuid.uuid4().hex}"
        if target.exists():
            target.replace(old)
        staging.replace(target)
        shutil.rmtree(old, ignore_errors=True)

    def remove(self, part: str) -> None:
        shutil.rmtree(self.root / part, ignore_errors=True)

    def write_manifest(self, text: str) -> None:
        tmp = self.root / f"_{MANIFEST}.{uuid.uuid4().hex}"
        tmp.write_text(text)
        tmp.replace(self.root / MANIFEST)


class _S3:
    def __init__(self, url: str) -> None:
        from finopsmetrics_cli.costs.aws import aws_client

        bucket, _, prefix = url.split("://", 1)[1].partition("/")
        self.url, self.bucket, self.prefix = url, bucket, prefix.strip("/")
        self.client = aws_client("s3", "writing the Spark dataset to s3a://")

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        from finopsmetrics_cli.costs.remote_s3 import s3_error

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            if method == "get_object" and "NoSuchKey" in str(exc):
                return None
            error = s3_error(exc, self.bucket, f"{self.url} ({what})")
            raise error from exc

    def manifest(self) -> dict[str, Any]:
        found = self._call("manifest", "get_object", Key=self.key(MANIFEST))
        return dict(json.loads(found["Body"].read())) if found is not None else {}

    def has(self, part: str) -> bool:
        listed = self._call(part, "list_objects_v2", Prefix=self.key(f"{part}/{PART}"))
        return bool(listed.get("KeyCount"))

    def put(self, part: str, file: Path) -> None:
        with file.open("rb") as body:
            self._call(part, "put_object", Key=self.key(f"{part}/{PART}"), Body=body)

    def remove(self, part: str) -> None:
        self._call(part, "delete_object", Key=self.key(f"{part}/{PART}"))

    def write_manifest(self, text: str) -> None:
        self._call("manifest", "put_object", Key=self.key(MANIFEST), Body=text.encode())


def publish(conn: duckdb.DuckDBPyConnection, dataset: str) -> Published:
    """Bring ``dataset`` up to date with the store's ``costs`` view (see the module doc)."""
    if dataset.startswith(("s3a://", "s3://")):
        target: _Local | _S3 = _S3(dataset)
    elif "://" in dataset:
        raise CostDataError(
            f"settings.costs.dataset {dataset!r}: costs sync writes a path or an s3a:// URL",
            hint="e.g. dataset: /data/finops/focus or dataset: s3a://acme-billing/focus",
        )
    else:
        target = _Local(Path(dataset).expanduser())
    wanted = _fingerprints(conn)
    have = target.manifest()
    written = removed = 0
    with tempfile.TemporaryDirectory(prefix="finopsmetrics-dataset-") as tmp:
        for key, fingerprint in wanted.items():
            part = partition(*key.split("\x1f"))
            if have.get(key) == fingerprint and target.has(part):
                continue
            target.put(part, _write_partition(conn, Path(tmp), *key.split("\x1f")))
            written += 1
    for key in set(have) - set(wanted):
        target.remove(partition(*key.split("\x1f")))
        removed += 1
    target.write_manifest(json.dumps(wanted, sort_keys=True, indent=1))
    return Published(written, removed, len(wanted) - written)


def _fingerprints(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = conn.execute(
        f'SELECT "x_Source", {PERIOD}, count(*), CAST(sum("BilledCost") AS VARCHAR), '
        'CAST(sum("EffectiveCost") AS VARCHAR), CAST(max("x_IngestedAt") AS VARCHAR) '
        "FROM costs GROUP BY ALL"
    ).fetchall()
    return {f"{source}\x1f{period}": list(rest) for source, period, *rest in rows}


def _write_partition(conn: duckdb.DuckDBPyConnection, tmp: Path, source: str, period: str) -> Path:
    out = tmp / f"{uuid.uuid4().hex}.parquet"
    path = str(out).replace("'", "''")
    conn.execute(
        f'COPY (SELECT * EXCLUDE ("x_Source") FROM costs WHERE "x_Source" = ? '
        f"AND {PERIOD} = ?) TO '{path}' (FORMAT PARQUET)",
        [source, period],
    )
    return out
