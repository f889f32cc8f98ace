"""The cost store's rows as a Parquet dataset for Spark (``settings.costs.engine: spark``).

Layout: ``DATASET/x_Source=NAME/x_BillingPeriod=YYYY-MM/part-0.parquet`` (Hive
partitions: any Spark reads them with ``spark.read.parquet(DATASET)``). After
each ``costs sync`` the partitions whose rows changed are rewritten and those
no longer in the store removed; a partition is replaced by a rename, so a
reader sees its old or its new file, never half of one. Unchanged partitions
are not touched (a fingerprint per partition is kept in ``_finopsmetrics.json``;
Spark skips files whose names start with ``_``).
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import CostDataError

if TYPE_CHECKING:
    import duckdb  # noqa: TID251 - types only

MANIFEST = "_finopsmetrics.json"
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


def partition_dir(root: Path, source: str, period: str) -> Path:
    return root / f"x_Source={source}" / f"x_BillingPeriod={period}"


def publish(conn: duckdb.DuckDBPyConnection, dataset: str) -> Published:
    """Bring ``dataset`` up to date with the store's ``costs`` view (see the module doc)."""
    if "://" in dataset:
        raise CostDataError(
            f"settings.costs.dataset {dataset!r}: costs sync writes a local or mounted path",
            hint="sync to a path, then copy it to object storage (e.g. aws s3 sync DIR "
            "s3://BUCKET/PREFIX); Spark reads s3a:// URLs",
        )
    root = Path(dataset).expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CostDataError(
            f"cannot create the Spark dataset directory {root}: {exc.strerror}"
        ) from exc
    wanted = _fingerprints(conn)
    manifest = root / MANIFEST
    have: dict[str, Any] = json.loads(manifest.read_text()) if manifest.exists() else {}
    written = removed = 0
    for key, fingerprint in wanted.items():
        if have.get(key) == fingerprint and partition_dir(root, *key.split("\x1f")).exists():
            continue
        _write_partition(conn, root, *key.split("\x1f"))
        written += 1
    for key in set(have) - set(wanted):
        shutil.rmtree(partition_dir(root, *key.split("\x1f")), ignore_errors=True)
        removed += 1
    tmp = root / f"_{MANIFEST}.{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(wanted, sort_keys=True, indent=1))
    tmp.replace(manifest)
    return Published(written, removed, len(wanted) - written)


def _fingerprints(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = conn.execute(
        f'SELECT "x_Source", {PERIOD}, count(*), CAST(sum("BilledCost") AS VARCHAR), '
        'CAST(sum("EffectiveCost") AS VARCHAR), CAST(max("x_IngestedAt") AS VARCHAR) '
        "FROM costs GROUP BY ALL"
    ).fetchall()
    return {f"{source}\x1f{period}": list(rest) for source, period, *rest in rows}


def _write_partition(conn: duckdb.DuckDBPyConnection, root: Path, source: str, period: str) -> None:
    target = partition_dir(root, source, period)
    staging = root / f"_staging.{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        conn.execute(
            f"COPY (SELECT * EXCLUDE (\"x_Source\") FROM costs WHERE \"x_Source\" = ? "
            f"AND {PERIOD} = ?) TO '{staging / 'part-0.parquet'}' (FORMAT PARQUET)",
            [source, period],
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        old = root / f"_old.{uuid.uuid4().hex}"
        if target.exists():
            target.replace(old)
        staging.replace(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
