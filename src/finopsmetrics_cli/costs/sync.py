"""``costs sync``: bring each cost source's billing files into the store.

Per source, one DuckDB transaction replaces exactly the billing periods the
changed files touch (a re-delivered or restated month replaces that month;
nothing is counted twice): the changed files' rows go in, the unchanged files
that share one of those periods are read again for those periods only, the old
rows of those periods go, and the bookkeeping tables record which files (with
which fingerprints) built each period. Whatever kills the process, every
period is exactly as before or exactly as after, and a bad file (or mixed
currencies) rolls the whole source back, naming ``FILE[:ROW]``.

Rows are written straight from DuckDB's reader into the store, never through
Python, and never staged twice: the sync of a Parquet file costs about what
DuckDB's own ``CREATE TABLE AS SELECT * FROM read_parquet(...)`` does.

Why one transaction per source and not one per (source, period): which periods
a file holds is known only once it is read, so committing period by period
would mean staging every row and copying it again (measured: twice the write)
or reading each file once per period; and a bad row found in the last file
must leave the earlier periods untouched too. Each period is still replaced
atomically, which is what a killed sync must never break.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.files import (
    BillingFile,
    explain_failure,
    file_columns,
    find_row,
    open_file,
)
from finopsmetrics_cli.costs.mapping import (
    PRELUDE,
    FileColumns,
    MissingColumn,
    SourceMapping,
    compile_select,
    literal,
    mapping_for,
)
from finopsmetrics_cli.costs.store import CostStore, utcnow
from finopsmetrics_cli.errors import CostDataError, FinopsError

#: The billing period a row belongs to: the month its billing period (or charge) starts in.
PERIOD_SQL = (
    'CAST(date_trunc(\'month\', coalesce("BillingPeriodStart", "ChargePeriodStart")) AS DATE)'
)
API_TYPES = ("aws_cost_explorer", "gcp_bigquery")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What sync needs of one ``cost_source`` (``base`` anchors a relative location)."""

    name: str
    type: str
    location: str | None = None
    format: str = "auto"
    tag_keys: tuple[str, ...] = ()
    enabled: bool = True
    base: Path | None = None


@dataclass(slots=True)
class SyncResult:
    """What happened to one source; ``error`` set means it was rolled back."""

    source: str
    status: str = "synced"  # synced | unchanged | disabled | failed | removed
    rows: int = 0
    periods: list[date] = field(default_factory=list)
    files_read: int = 0
    files_skipped: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: CostDataError | None = None

    def line(self) -> str:
        """``aws-cur: 1,016,400 rows, 2024-01..2024-04, 3.1 s`` (one line per source)."""
        took = f"{self.seconds:.1f} s"
        if self.status == "unchanged":
            return f"{self.source}: unchanged ({_files(self.files_skipped)}), {took}"
        if self.status == "disabled":
            return f"{self.source}: disabled, skipped"
        if self.status == "removed":
            return f"{self.source}: no longer declared, its rows were removed"
        if self.status == "failed":
            return f"{self.source}: failed, nothing changed ({took})"
        span = period_span(self.periods) or "no billing periods"
        return f"{self.source}: {self.rows:,} rows, {span}, {took}"


def period_span(periods: Sequence[date]) -> str:
    if not periods:
        return ""
    first, last = min(periods), max(periods)
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}..{last:%Y-%m}"


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def sync_sources(
    store: CostStore,
    sources: Sequence[SourceSpec],
    *,
    since: date | None = None,
    full: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
) -> list[SyncResult]:
    """Sync every source (each in its own transaction); ``prune`` drops the rows of
    sources that are no longer declared. A failing source does not stop the others."""
    import duckdb  # noqa: TID251 - the cost store is DuckDB

    results: list[SyncResult] = []
    if not prune and not any(s.enabled for s in sources):  # nothing to write: no store either
        return [SyncResult(s.name, status="disabled") for s in sources]
    # the store is opened for each source in turn, so that readers (costs show,
    # evaluate) waiting for it get in between two sources of a long sync
    with tempfile.TemporaryDirectory(prefix="finopsmetrics-costs-") as tmp:
        for spec in sources:
            started = time.perf_counter()
            if not spec.enabled:
                results.append(SyncResult(spec.name, status="disabled"))
                continue
            result = SyncResult(spec.name)
            try:
                with store.connect(read_only=False) as conn:
                    for statement in PRELUDE:
                        conn.execute(statement)
                    _SourceSync(conn, spec, result, Path(tmp), since, full, progress).run()
            except CostDataError as exc:
                result.status, result.error = "failed", exc
                result.rows, result.periods = 0, []
            except FinopsError as exc:
                result.status = "failed"
                result.error = CostDataError(exc.message, hint=exc.hint)
            except duckdb.Error as exc:  # the store itself: disk full, I/O error
                result.status = "failed"
                result.error = CostDataError(
                    f"the cost store {store.path} could not be written "
                    f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                    "nothing changed for this source",
                    hint="check the disk holding the cost store, then sync again",
                )
            result.seconds = time.perf_counter() - started
            results.append(result)
    if prune:
        with store.connect(read_only=False) as conn:
            results.extend(_prune(conn, {s.name for s in sources}))
    return results


def _prune(conn: Any, declared: set[str]) -> list[SyncResult]:
    known = [r[0] for r in conn.execute("SELECT source FROM synced_sources").fetchall()]
    gone = sorted(set(known) - declared)
    if not gone:
        return []
    conn.execute("BEGIN TRANSACTION")
    try:
        for table, column in (
            ("cost_rows", '"x_Source"'), ("synced_files", "source"),
            ("synced_periods", "source"), ("synced_sources", "source"),
        ):  # fmt: skip
            conn.execute(f"DELETE FROM {table} WHERE list_contains(?, {column})", [gone])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [SyncResult(name, status="removed") for name in gone]


@dataclass(slots=True)
class _Read:
    """A file read in this sync: what it was, how it was mapped, what it gave."""

    uri: str
    fingerprint: str
    size: int
    file: BillingFile | None
    mapping: SourceMapping | None = None
    columns: FileColumns | None = None
    periods: dict[date, int] = field(default_factory=dict)


class _SourceSync:
    """One source's sync: decide what changed, then one transaction."""

    def __init__(
        self, conn: Any, spec: SourceSpec, result: SyncResult, tmp: Path,
        since: date | None, full: bool, progress: Progress | None,
    ) -> None:  # fmt: skip
        self.conn = conn
        self.spec = spec
        self.result = result
        self.tmp = tmp
        self.since = since.replace(day=1) if since else None
        self.full = full
        self.progress = progress
        self.ingested_at = utcnow()
        self.reads: dict[str, _Read] = {}
        self.objects: list[Any] = []
        self.downloads: list[Path] = []  # deleted when the source is done

    def run(self) -> None:
        """Sync the source; downloaded copies are deleted when it is done (a sync needs
        the disk of one source's changed objects at a time, not of all sources')."""
        try:
            self._run()
        finally:
            for path in self.downloads:
                path.unlink(missing_ok=True)

    def _run(self) -> None:
        spec, conn = self.spec, self.conn
        previous = conn.execute(
            "SELECT type, location, watermark FROM synced_sources WHERE source = ?", [spec.name]
        ).fetchone()
        location = spec.location or ""
        rebuild = self.full or (previous is not None and (previous[0], previous[1]) != (
            spec.type, location))  # fmt: skip
        watermark = None if rebuild or previous is None else previous[2]
        objects, new_watermark, api = self._objects(watermark)
        recorded: dict[str, dict[date | None, str]] = {}
        for uri, fingerprint, period in conn.execute(
            "SELECT uri, fingerprint, billing_period FROM synced_files WHERE source = ?",
            [spec.name],
        ).fetchall():
            recorded.setdefault(uri, {})[period] = fingerprint
        self.objects = objects
        current = {o.uri: o for o in objects}
        if api:
            changed, removed = list(objects), []
        else:
            changed = [
                o for o in objects
                if rebuild or set(recorded.get(o.uri, {}).values()) != {o.fingerprint}
            ]  # fmt: skip
            removed = [uri for uri in recorded if uri not in current]
        self.result.files_skipped = len(objects) - len(changed)
        if not changed and not removed and not rebuild:
            self.result.status = "unchanged"
            return
        conn.execute("BEGIN TRANSACTION")
        try:
            self._replace(changed, removed, recorded, rebuild, api)
            conn.execute(
                "INSERT OR REPLACE INTO synced_sources VALUES (?, ?, ?, ?, ?)",
                [spec.name, spec.type, location, self.ingested_at, new_watermark or watermark],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _objects(self, watermark: datetime | None) -> tuple[list[Any], datetime | None, bool]:
        spec = self.spec
        if spec.type == "aws_cost_explorer":
            from finopsmetrics_cli.costs import api_sources

            objects = api_sources.export_cost_explorer(  # type: ignore[attr-defined,unused-ignore]
                source=spec.name,
                tag_keys=spec.tag_keys,
                since=self.since,
                until=None,
                dest_dir=self.tmp,
            )
            return list(objects), None, True
        if spec.type == "gcp_bigquery":
            from finopsmetrics_cli.costs import api_sources

            found, mark = api_sources.export_bigquery(  # type: ignore[attr-defined,unused-ignore]
                source=spec.name,
                table=spec.location or "",
                since_export_time=watermark,
                dest_dir=self.tmp,
            )
            return list(found), mark, True
        from finopsmetrics_cli.costs.locations import list_objects

        return list_objects(spec.location or "", base=spec.base), None, False

    def _replace(
        self, changed: list[Any], removed: list[str], recorded: dict[str, dict[date | None, str]],
        rebuild: bool, api: bool,
    ) -> None:  # fmt: skip
        name = self.spec.name
        affected: set[date] = set()
        for uri in [o.uri for o in changed] + removed:
            affected.update(p for p in recorded.get(uri, {}) if p is not None)
        if rebuild:
            affected.update(p for periods in recorded.values() for p in periods if p is not None)
        unchanged = [uri for uri in recorded if uri not in {o.uri for o in changed}
                     and uri not in removed]  # fmt: skip
        total = len(changed)
        for done, obj in enumerate(changed):
            self._ingest(obj, None)
            if self.progress:
                self.progress(name, done + 1, total)
        periods = set(affected)
        for read in self.reads.values():
            periods.update(read.periods)
        if self.since:
            periods = {p for p in periods if p >= self.since}
        # unchanged files sharing a replaced period are read again, for those periods only
        if not api and periods:
            again = [uri for uri in unchanged if set(recorded[uri]) & periods]
            if again:
                by_uri = {o.uri: o for o in self.objects}
                for uri in again:
                    if uri in by_uri:
                        self._ingest(by_uri[uri], sorted(periods))
        self._drop_replaced(sorted(periods), rebuild)
        self._check_currency()
        self._record(sorted(periods), [o.uri for o in changed], removed)
        self.result.periods = sorted(periods)
        self.result.rows = sum(sum(r.periods.values()) for r in self.reads.values())
        self.result.files_read = len(self.reads)

    def _ingest(self, obj: Any, only: list[date] | None) -> None:
        """Insert one file's rows (``only``: just those billing periods)."""
        path = Path(obj.fetch(self.tmp))
        if path.is_relative_to(self.tmp):
            self.downloads.append(path)
        declared = "parquet" if self.spec.type in API_TYPES else self.spec.format
        file = open_file(obj.uri, path, declared)
        read = _Read(obj.uri, obj.fingerprint, obj.size, file)
        self.reads[obj.uri] = read
        if file is None:
            self.result.warnings.append(f"{obj.uri}: empty file, no rows")
            return
        columns = file_columns(self.conn, file)
        source_type = "focus" if self.spec.type in API_TYPES else self.spec.type
        mapping = mapping_for(source_type, columns)
        read.mapping, read.columns = mapping, columns
        try:
            compiled = compile_select(
                mapping,
                columns,
                source=self.spec.name,
                uri=obj.uri,
                ingested_at=self.ingested_at.isoformat(sep=" "),
            )
        except MissingColumn as exc:
            if exc.names == [exc.target]:
                message = f"missing column {exc.target}"
            else:
                message = f"missing column for {exc.target}: none of {', '.join(exc.names)}"
            raise CostDataError(
                message,
                location=obj.uri,
                hint=f"is this a {mapping.title} file? check the cost_source's type",
            ) from exc
        self.result.notes.extend(f"{obj.uri}: {note}" for note in compiled.notes)
        conditions = []
        params: list[Any] = []
        if only is not None:
            conditions.append(f"list_contains(?::DATE[], {PERIOD_SQL})")
            params.append(only)
        if self.since is not None:
            conditions.append(f"{PERIOD_SQL} >= ?")
            params.append(self.since)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"INSERT INTO cost_rows SELECT * FROM (SELECT {compiled.select_list} "
            f"FROM {file.relation()}){where}"
        )
        try:
            self.conn.execute(sql, params)
        except Exception as exc:  # duckdb.Error: the file's content
            if isinstance(exc, FinopsError):
                raise
            # the transaction is aborted: locate the row on a connection of its own
            with self.conn.cursor() as probe:
                raise explain_failure(exc, file, probe, mapping, columns) from exc
        for period, count in self.conn.execute(
            f'SELECT {PERIOD_SQL} AS p, count(*) FROM cost_rows WHERE "x_Source" = ? '
            'AND "x_IngestedAt" = ? AND "x_SourceFile" = ? GROUP BY p',
            [self.spec.name, self.ingested_at, obj.uri],
        ).fetchall():
            if period is None:
                raise CostDataError(
                    "rows without a charge period (ChargePeriodStart is empty)",
                    location=obj.uri,
                    hint="every cost row needs the date it was charged for",
                )
            read.periods[period] = int(count)
        if not read.periods and only is None:
            self.result.warnings.append(f"{obj.uri}: empty file, no rows")

    def _drop_replaced(self, periods: list[date], rebuild: bool) -> None:
        """Delete this source's older rows of the replaced periods."""
        if not periods:
            return
        self.conn.execute(
            f'DELETE FROM cost_rows WHERE "x_Source" = ? AND "x_IngestedAt" <> ? '
            f"AND list_contains(?::DATE[], {PERIOD_SQL})",
            [self.spec.name, self.ingested_at, periods],
        )

    def _check_currency(self) -> None:
        """One source bills in one currency: sums across currencies mean nothing."""
        rows = self.conn.execute(
            'SELECT "BillingCurrency", bool_or("x_IngestedAt" <> ?) AS kept, count(*) AS n '
            'FROM cost_rows WHERE "x_Source" = ? AND "BillingCurrency" IS NOT NULL '
            "GROUP BY 1 ORDER BY kept DESC, n DESC, 1",
            [self.ingested_at, self.spec.name],
        ).fetchall()
        if len(rows) <= 1:
            return
        usual = rows[0][0]
        for read in self.reads.values():
            if read.file is None or read.mapping is None or read.columns is None:
                continue
            other = self.conn.execute(
                'SELECT "BillingCurrency" FROM cost_rows WHERE "x_Source" = ? AND '
                '"x_SourceFile" = ? AND "x_IngestedAt" = ? AND "BillingCurrency" <> ? LIMIT 1',
                [self.spec.name, read.uri, self.ingested_at, usual],
            ).fetchone()
            if other is None:
                continue
            row = find_row(
                self.conn,
                read.file,
                read.mapping,
                read.columns,
                "BillingCurrency",
                f"CAST(v AS VARCHAR) <> {literal(str(usual))}",
            )
            where = f"{read.uri}:{row}" if row else read.uri
            raise CostDataError(
                f"BillingCurrency is {other[0]}, but source {self.spec.name!r} bills in "
                f"{usual}: mixed currencies in one source",
                location=where,
                hint="declare one cost_source per billing currency (for example one per "
                "billing account)",
            )

    def _record(self, periods: list[date], changed: list[str], removed: list[str]) -> None:
        name, conn = self.spec.name, self.conn
        conn.execute(
            "DELETE FROM synced_files WHERE source = ? AND (list_contains(?::DATE[], "
            "billing_period) OR list_contains(?::VARCHAR[], uri))",
            [name, periods, removed],
        )
        conn.execute(
            "DELETE FROM synced_files WHERE source = ? AND billing_period IS NULL AND "
            "list_contains(?::VARCHAR[], uri)",
            [name, changed],
        )
        rows: list[tuple[Any, ...]] = []
        for read in self.reads.values():
            kept = {p: n for p, n in read.periods.items() if p in periods}
            if not kept and read.uri in changed:
                rows.append((name, None, read.uri, read.fingerprint, read.size, 0,
                             self.ingested_at))  # fmt: skip
            for period, count in kept.items():
                rows.append((name, period, read.uri, read.fingerprint, read.size, count,
                             self.ingested_at))  # fmt: skip
        if rows:
            conn.executemany("INSERT INTO synced_files VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute(
            "DELETE FROM synced_periods WHERE source = ? AND list_contains(?::DATE[], "
            "billing_period)",
            [name, periods],
        )
        conn.execute(
            f"""
            INSERT INTO synced_periods
            SELECT "x_Source", {PERIOD_SQL} AS p, count(*), sum("BilledCost"),
                   sum("EffectiveCost"), any_value("BillingCurrency"),
                   min("ChargePeriodStart"), max("ChargePeriodStart"), ?
            FROM cost_rows
            WHERE "x_Source" = ? AND list_contains(?::DATE[], {PERIOD_SQL})
            GROUP BY "x_Source", p
            """,
            [self.ingested_at, name, periods],
        )
