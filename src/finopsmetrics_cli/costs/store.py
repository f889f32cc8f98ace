"""The cost store: a DuckDB file of FOCUS rows, separate from the state.

It is a cache of the providers' billing data that ``costs sync`` can always
rebuild, which is why it is its own file (it never travels to S3 with the
state) and why a damaged one is answered with "rebuild it" rather than
"restore a backup". Readers (``costs show``, ``costs query``, the evaluation)
open it read-only; ``costs sync`` is the only writer. DuckDB allows one
read-write process or several read-only ones at a time, so :meth:`connect`
retries briefly while the other side finishes.

Tables: ``cost_rows`` (``focus.STORE_COLUMNS``), ``synced_periods`` and
``synced_files`` (what each (source, billing period) was built from),
``synced_sources``; views ``costs`` (the FOCUS rows) and ``costs_enriched``
(``costs`` plus enrichment columns; the evaluation defines those).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli import __version__
from finopsmetrics_cli.costs import migrations
from finopsmetrics_cli.errors import CostDataError

if TYPE_CHECKING:
    import duckdb  # noqa: TID251 - types only

    from finopsmetrics_cli.config.model import Settings

__all__ = [
    "DEFAULT_COST_STORE",
    "ENV_COSTS",
    "CostStore",
    "resolve_cost_store_path",
]

DEFAULT_COST_STORE = os.path.join(".finopsmetrics", "costs.duckdb")
ENV_COSTS = "FINOPSMETRICS_COSTS"
BUSY_TIMEOUT = 10.0
NO_DATA_HINT = "run `finopsmetrics costs sync`"
REBUILD_HINT = (
    "the cost store is a cache of billing data: delete it and run "
    "`finopsmetrics costs sync --full`, or point --costs at another file"
)


def resolve_cost_store_path(
    explicit: str | Path | None, settings: Settings | Mapping[str, Any] | None = None
) -> Path:
    """``--costs`` wins, then ``$FINOPSMETRICS_COSTS``, then ``settings.costs.store``,
    then ``./.finopsmetrics/costs.duckdb`` (beside the default state)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_COSTS)
    if env:
        return Path(env)
    raw: Any = getattr(settings, "raw", settings) or {}
    costs = raw.get("costs") if isinstance(raw, Mapping) else None
    if isinstance(costs, Mapping) and isinstance(costs.get("store"), str) and costs["store"]:
        return Path(costs["store"])
    return Path(DEFAULT_COST_STORE)


def utcnow() -> datetime:
    """Naive UTC, which is what the TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class CostStore:
    """One cost store file. ``connect()`` hands out DuckDB connections to it."""

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"CostStore({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store, closed when the block exits.

        Read-only: a missing store raises ``CostDataError("no cost data: ...")``.
        Read-write: a missing store is created (atomically) and an older schema
        is upgraded. Either way a store from a newer finopsmetrics, or a file
        that is not a cost store, is refused before anything is written.
        Sessions run in UTC, so TIMESTAMP WITH TIME ZONE values read from
        billing files become the UTC wall-clock the columns hold.
        """
        if read_only:
            if not self.exists():
                raise CostDataError(
                    f"no cost data: the cost store {self.path} does not exist", hint=NO_DATA_HINT
                )
            conn = self._open(read_only=True)  # checked on the connection it hands out
            try:
                version = self._version(conn)
            except BaseException:
                conn.close()
                raise
            if version < migrations.schema_version():
                conn.close()
                with self.connect(read_only=False):
                    pass  # upgrades it
                conn = self._open(read_only=True)
        else:
            if not self.exists():
                self._create()
            else:
                self._upgrade(self._inspect())
            conn = self._open(read_only=False)
        try:
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute("SET enable_progress_bar = false")  # DuckDB's own, on stdout
            yield conn
        finally:
            conn.close()

    # -- opening ------------------------------------------------------------

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while another process holds a conflicting lock."""
        import duckdb  # noqa: TID251 - the cost store is DuckDB

        if self.path.exists() and self.path.stat().st_size == 0:
            raise CostDataError(
                f"cost store {self.path} is empty (0 bytes); it was left untouched",
                hint=REBUILD_HINT,
            )

        deadline = time.monotonic() + self.busy_timeout
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                text = str(exc)
                if "Could not set lock" not in text and "Conflicting lock" not in text:
                    raise CostDataError(
                        f"cost store {self.path} cannot be opened: it is not a DuckDB "
                        f"database or was written by a newer DuckDB ({first_line(exc)})",
                        hint=REBUILD_HINT,
                    ) from exc
                if time.monotonic() >= deadline:
                    doing = "being written by" if read_only else "open in"
                    raise CostDataError(
                        f"cost store {self.path} is {doing} another process; gave up after "
                        f"{self.busy_timeout:g}s",
                        hint="retry when the other finopsmetrics command (costs sync?) has "
                        "finished",
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _inspect(self) -> int:
        """The file's schema version; refuse a non-store file or a newer schema."""
        conn = self._open(read_only=True)
        try:
            return self._version(conn)
        finally:
            conn.close()

    def _version(self, conn: duckdb.DuckDBPyConnection) -> int:
        import duckdb  # noqa: TID251 - the cost store is DuckDB

        try:
            row = conn.execute("SELECT schema_version FROM meta").fetchone()
        except duckdb.Error as exc:
            raise CostDataError(
                f"{self.path} is not a finopsmetrics cost store ({first_line(exc)}); "
                "it was left untouched",
                hint="point --costs at a cost store, or at a new file",
            ) from exc
        version = int(row[0]) if row else 0
        ours = migrations.schema_version()
        if version > ours:
            raise CostDataError(
                f"cost store {self.path} has schema version {version}, newer than this "
                f"finopsmetrics {__version__} understands (up to {ours}); it was left untouched",
                hint="upgrade finopsmetrics, or point --costs at another file",
            )
        return version

    def _create(self) -> None:
        """Build the new file under a temporary name and rename it into place."""
        import duckdb  # noqa: TID251 - the cost store is DuckDB

        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(tmp)) as conn:
                conn.execute("BEGIN TRANSACTION")
                version = migrations.migrate(conn, 0)
                conn.execute(
                    "INSERT INTO meta VALUES (1, ?, ?, ?)", [version, utcnow(), __version__]
                )
                conn.execute("COMMIT")
                conn.execute("CHECKPOINT")
            if not self.path.exists():  # another sync may have created it meanwhile
                tmp.rename(self.path)
        except (duckdb.Error, OSError) as exc:
            raise CostDataError(
                f"cannot create the cost store {self.path}: {first_line(exc)}",
                hint="check that its directory is writable, or pass --costs",
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)

    def _upgrade(self, version: int) -> None:
        if version >= migrations.schema_version():
            return
        conn = self._open(read_only=False)
        try:
            conn.execute("BEGIN TRANSACTION")
            try:
                current = int(conn.execute("SELECT schema_version FROM meta").fetchone()[0])  # type: ignore[index]
                new = migrations.migrate(conn, current)
                conn.execute("UPDATE meta SET schema_version = ?", [new])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
