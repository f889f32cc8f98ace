"""Billing files as DuckDB relations: what a file is, how to read it, and where it is bad.

CSV is read with the header parsed here and every column declared VARCHAR
(no sniffing: a ragged row is an error with its line, not a silently guessed
dialect); the mapping then converts each value with a checked cast. Parquet is
read with its own types. When DuckDB fails, :func:`explain_failure` turns the
error into ``FILE[:ROW]: message`` — for a value that does not convert it finds
the first offending row with one more query over that file.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.mapping import (
    ERROR_MARK,
    SEP,
    FileColumns,
    SourceMapping,
    column_expression,
    literal,
)
from finopsmetrics_cli.errors import CostDataError

CSV_NULLS = ("", "NULL")
_SNIFF = 65536
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
FORMAT_HINT = "cost files are CSV (plain or gzip) or Parquet"


@dataclass(frozen=True, slots=True)
class BillingFile:
    """One local billing file (``uri`` is what users see, ``path`` the local copy)."""

    uri: str
    path: Path
    format: str  # "csv" | "parquet"
    header: tuple[str, ...] = ()
    delimiter: str = ","
    gzip: bool = False

    def relation(self) -> str:
        """The DuckDB table function reading this file."""
        path = literal(str(self.path))
        if self.format == "parquet":
            return f"read_parquet({path})"
        columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in self.header)
        nulls = ", ".join(literal(n) for n in CSV_NULLS)
        return (
            f"read_csv({path}, header = true, auto_detect = false, columns = {{{columns}}}, "
            f"delim = {literal(self.delimiter)}, quote = '\"', escape = '\"', "
            f"nullstr = [{nulls}], strict_mode = true, "
            f"compression = {literal('gzip' if self.gzip else 'none')})"
        )


def open_file(uri: str, path: Path, declared: str) -> BillingFile | None:
    """Identify a billing file; None when it is empty (the caller warns)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError as exc:
        raise CostDataError(f"cannot read the file: {exc.strerror or exc}", location=uri) from exc
    if size == 0:
        return None
    if head[:4] == b"PAR1":
        if declared == "csv":
            raise CostDataError(
                "the source says format: csv, but this is a Parquet file",
                location=uri,
                hint="set format: parquet (or auto) on the cost_source",
            )
        return BillingFile(uri, path, "parquet")
    if declared == "parquet":
        raise CostDataError(
            "the source says format: parquet, but this is not a Parquet file",
            location=uri,
            hint="set format: csv (or auto) on the cost_source",
        )
    compressed = head[:2] == b"\x1f\x8b"
    if compressed:
        head = _gunzip_head(uri, path)
        if not head:
            return None
    elif head[:4] == b"PK\x03\x04":
        raise CostDataError(
            "this is a zip archive, not CSV or Parquet",
            location=uri,
            hint="unzip it next to the other files (" + FORMAT_HINT + ")",
        )
    if b"\x00" in head:
        raise CostDataError(
            "this is not a CSV or Parquet file (it holds binary data)",
            location=uri,
            hint=FORMAT_HINT,
        )
    header, delimiter = _header(uri, head)
    if not header:
        return None
    return BillingFile(uri, path, "csv", header, delimiter, compressed)


def _gunzip_head(uri: str, path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(_SNIFF)
    except (OSError, EOFError, zlib.error) as exc:
        raise CostDataError(
            "the gzip data is truncated or corrupt",
            location=uri,
            hint="download the file again",
        ) from exc


def _header(uri: str, head: bytes) -> tuple[tuple[str, ...], str]:
    """Column names from the first line, and the delimiter (``,`` unless the line has none)."""
    text = head.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        return (), ","
    delimiter = ","
    if "," not in first:
        delimiter = next((d for d in ("\t", ";", "|") if d in first), ",")
    names = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        name = name.strip()
        count = seen.get(name.lower(), 0)
        seen[name.lower()] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    if len(unique) == 1 and not _looks_like_header(unique[0]):
        raise CostDataError(
            "this does not look like a CSV file with a header line",
            location=uri,
            hint=FORMAT_HINT,
        )
    return tuple(unique), delimiter


def _looks_like_header(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][\w/:. -]{0,200}", name))


def file_columns(conn: Any, file: BillingFile) -> FileColumns:
    """The file's columns and DuckDB types."""
    if file.format == "csv":
        return FileColumns(dict.fromkeys(file.header, "VARCHAR"))
    try:
        rows = conn.execute(f"DESCRIBE SELECT * FROM {file.relation()}").fetchall()
    except Exception as exc:  # duckdb.Error: a damaged Parquet file
        raise explain_failure(exc, file) from exc
    return FileColumns({str(r[0]): str(r[1]) for r in rows})


def explain_failure(
    exc: BaseException,
    file: BillingFile,
    conn: Any = None,
    mapping: SourceMapping | None = None,
    columns: FileColumns | None = None,
) -> CostDataError:
    """A DuckDB error while reading ``file`` as ``FILE[:ROW]: message``."""
    text = str(exc)
    if ERROR_MARK in text:
        payload = text.split(ERROR_MARK + SEP, 1)[1]
        column, kind, value = (payload.split(SEP, 2) + ["", ""])[:3]
        value = value.split("\n", 1)[0]
        row = None
        if conn is not None and mapping is not None and columns is not None:
            row = _find_row(conn, file, mapping, columns, column, kind)
        where = f"{file.uri}:{row}" if row else file.uri
        what = {"number": "not a number", "date": "not a date/time", "tags": "not a JSON object"}
        return CostDataError(
            f"{column} is {what.get(kind, 'invalid')}: {_short(value)!r}",
            location=where,
            hint=_kind_hint(kind, file),
        )
    line = _CSV_LINE.search(text)
    if line:
        detail = _csv_detail(text)
        return CostDataError(
            f"malformed CSV row{': ' + detail if detail else ''}",
            location=f"{file.uri}:{line.group(1)}",
            hint='every row needs as many fields as the header, quoted with "',
        )
    if "GZIP" in text.upper() or "zlib" in text.lower() or "inflate" in text.lower():
        return CostDataError(
            "the gzip data is truncated or corrupt",
            location=file.uri,
            hint="download the file again",
        )
    if file.format == "parquet":
        return CostDataError(
            f"cannot read this Parquet file ({_first_line(text)})",
            location=file.uri,
            hint="the file may be truncated or damaged: download it again",
        )
    return CostDataError(f"cannot read this file ({_first_line(text)})", location=file.uri,
                         hint=FORMAT_HINT)  # fmt: skip


def _find_row(
    conn: Any,
    file: BillingFile,
    mapping: SourceMapping,
    columns: FileColumns,
    column: str,
    kind: str,
) -> int | None:
    """The first row whose ``column`` does not convert (see :func:`find_row`)."""
    text = "CAST(v AS VARCHAR)"
    if kind == "number":
        bad = "TRY_CAST(v AS DECIMAL(38, 10)) IS NULL"
    elif kind == "tags":
        json = (
            f"(CASE WHEN starts_with(trim({text}), '{{') THEN trim({text}) "
            f"ELSE '{{' || trim({text}) || '}}' END)"
        )
        bad = f"TRY_CAST(TRY_CAST({json} AS JSON) AS MAP(VARCHAR, VARCHAR)) IS NULL"
    else:
        formats = ", ".join(literal(f) for f in mapping.timestamp_formats) or "'%Y-%m-%d'"
        bad = (
            f"TRY_CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) IS NULL "
            f"AND try_strptime({text}, [{formats}]) IS NULL"
        )
    return find_row(conn, file, mapping, columns, column, bad)


def find_row(
    conn: Any,
    file: BillingFile,
    mapping: SourceMapping,
    columns: FileColumns,
    column: str,
    condition: str,
) -> int | None:
    """The first row where store column ``column`` (its unchecked value is ``v``) meets
    ``condition``: a CSV line number (the header is line 1) or a Parquet row number
    (from 1). Best effort: None when it cannot be told."""
    try:
        expr = column_expression(mapping, columns, column)
    except Exception:  # noqa: BLE001 - locating is best effort; the message stands without it
        return None
    if file.format == "parquet":
        source = file.relation()[:-1] + ", file_row_number = true)"
        number = "file_row_number + 1"
    else:
        source, number = file.relation(), "row_number() OVER () + 1"
    sql = (
        f"SELECT n FROM (SELECT {number} AS n, {expr} AS v FROM {source}) "
        f"WHERE v IS NOT NULL AND {condition} ORDER BY n LIMIT 1"
    )
    try:
        found = conn.execute(sql).fetchone()
    except Exception:  # noqa: BLE001 - best effort, as above
        return None
    return int(found[0]) if found else None


def _kind_hint(kind: str, file: BillingFile) -> str:
    if kind == "number":
        return "cost and quantity columns hold plain numbers such as 12.5"
    if kind == "date":
        return "dates are ISO 8601 (2024-03-01 or 2024-03-01T00:00:00Z)"
    return 'tags are a JSON object such as {"team": "web"}'


def _csv_detail(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Expected Number of Columns"):
            return line.strip().lower()
    return ""


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else "unknown error"
