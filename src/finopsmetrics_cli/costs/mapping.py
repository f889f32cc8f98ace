"""Declarative provider-to-FOCUS mappings, compiled to one DuckDB SELECT per file.

Each source type has a data file in ``costs/mappings/`` (as the FinOps
Foundation's focus_converters keep their conversion plans as data): for every
store column, either a SQL expression over the billing file's columns, written
``{Column}`` (``{lineItem/UnblendedCost}``), or a value map (``from``,
``values``, ``default``); plus how tags are found. Compiling a mapping against
one file's columns gives a SELECT that DuckDB runs over ``read_csv`` or
``read_parquet``: no value passes through Python.

A ``{Column}`` is found by its exact name, then without regard to case, then
by the mapping's ``spelling`` (``cur2``: ``line_item_unblended_cost``, or
``product['region']``); a column the file lacks reads as NULL. A required
store column (``focus.FocusColumn.required``) none of whose columns exist is
a "missing column" error. Values are made the store column's exact type by a
checked cast that raises a marked DuckDB error naming the column and the
value, which :mod:`costs.files` turns into ``FILE:ROW: message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from finopsmetrics_cli.costs.focus import FOCUS_COLUMNS, FocusColumn
from finopsmetrics_cli.errors import CostDataError

#: Marks a DuckDB error raised by a checked cast: marker, column, kind, value.
ERROR_MARK = "finopsmetrics-bad-value"
SEP = "\x1f"
_REF = re.compile(r"\{([^{}]+)\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
DECIMAL = "DECIMAL(38, 10)"
#: Marks of JSON tag text that may need cleaning (a key with surrounding blanks, an
#: empty or null value); text with none of them is kept exactly as written. Plain
#: substring tests: a regular expression per row cost more than the parse.
UNTIDY_JSON = ('{" ', '," ', ', " ', ' ":', ' " :', '""', "null")

TAGS_TYPE = "MAP(VARCHAR, VARCHAR)"


@dataclass(frozen=True, slots=True)
class ValueMap:
    """``from`` a column, ``values`` raw -> FOCUS, ``default`` (``keep``: the raw value)."""

    column: str
    values: dict[str, str | None]
    default: str | None


@dataclass(frozen=True, slots=True)
class TagRule:
    json_column: str | None = None
    prefix_columns: tuple[str, ...] = ()
    map_column: str | None = None
    strip_key_prefix: str = ""


@dataclass(frozen=True, slots=True)
class SourceMapping:
    """One source type's mapping, as loaded from ``mappings/<type>.yaml``."""

    type: str
    title: str
    columns: dict[str, str | ValueMap]
    tags: TagRule
    same_names: bool = False
    spelling: str | None = None
    timestamp_formats: tuple[str, ...] = ()
    as_focus_when: tuple[str, ...] = ()
    known_columns: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FileColumns:
    """A billing file's columns and DuckDB types, looked up exactly or without case."""

    types: dict[str, str]
    _lower: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.types:
            self._lower.setdefault(name.lower(), name)

    def find(self, name: str) -> str | None:
        if name in self.types:
            return name
        return self._lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class CompiledSelect:
    """The SELECT list for one file, and what the reader should know about it."""

    select_list: str
    notes: tuple[str, ...] = ()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@cache
def load_mapping(source_type: str) -> SourceMapping:
    """The mapping of a file source type (``focus``, ``aws_cur``, ``azure_export``, ``oci``)."""
    from ruamel.yaml import YAML

    path = resources.files("finopsmetrics_cli.costs") / "mappings" / f"{source_type}.yaml"
    if not path.is_file():
        raise CostDataError(f"no mapping for cost source type {source_type!r}")
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    columns: dict[str, str | ValueMap] = {}
    store_names = {c.name for c in FOCUS_COLUMNS}
    for target, rule in (data.get("columns") or {}).items():
        if target not in store_names or target == "Tags":
            raise ValueError(f"mappings/{source_type}.yaml: {target} is not a store column")
        if isinstance(rule, MappingABC):
            values = {str(k): (None if v is None else str(v)) for k, v in rule["values"].items()}
            default = rule.get("default")
            columns[target] = ValueMap(str(rule["from"]), values, default)
        else:
            columns[target] = str(rule)
    tags = data.get("tags") or {}
    return SourceMapping(
        type=data["type"],
        title=data["title"],
        columns=columns,
        tags=TagRule(
            json_column=tags.get("json_column"),
            prefix_columns=tuple(tags.get("prefix_columns") or ()),
            map_column=tags.get("map_column"),
            strip_key_prefix=tags.get("strip_key_prefix") or "",
        ),
        same_names=bool(data.get("same_names")),
        spelling=data.get("spelling"),
        timestamp_formats=tuple(data.get("timestamp_formats") or ()),
        as_focus_when=tuple(data.get("as_focus_when") or ()),
        known_columns=frozenset(data.get("known_columns") or ()),
    )


class _Compiler:
    """Compiles one mapping against one file's columns."""

    def __init__(self, mapping: SourceMapping, columns: FileColumns) -> None:
        self.mapping = mapping
        self.columns = columns

    # -- column references --------------------------------------------------

    def ref(self, name: str) -> tuple[str, str | None]:
        """SQL for a source column (``NULL`` when absent) and its DuckDB type."""
        found = self.columns.find(name)
        if found is not None:
            return quote(found), self.columns.types[found]
        if self.mapping.spelling == "cur2":
            snake = _CAMEL.sub("_", name).replace("/", "_").replace(":", "_").lower()
            found = self.columns.find(snake)
            if found is not None:
                return quote(found), self.columns.types[found]
            group, sep, attribute = name.partition("/")
            holder = self.columns.find(group) if sep else None
            if holder is not None and self.columns.types[holder].startswith("MAP("):
                keys = dict.fromkeys((attribute, _CAMEL.sub("_", attribute).lower()))
                found_in = [f"{quote(holder)}[{literal(k)}]" for k in keys]
                sql = found_in[0] if len(found_in) == 1 else f"coalesce({', '.join(found_in)})"
                return sql, "VARCHAR"
        return "NULL", None

    def expression(self, rule: str | ValueMap) -> tuple[str, list[str | None]]:
        """SQL of one rule, and the types of the columns it read (None: absent)."""
        if isinstance(rule, ValueMap):
            sql, kind = self.ref(rule.column)
            if kind is None:
                return "NULL", [None]
            raw = f"CAST({sql} AS VARCHAR)"
            cases = " ".join(
                f"WHEN {literal(k)} THEN {'NULL' if v is None else literal(v)}"
                for k, v in rule.values.items()
            )
            default = (
                raw
                if rule.default == "keep"
                else ("NULL" if rule.default is None else literal(str(rule.default)))
            )
            return f"(CASE {raw} {cases} ELSE {default} END)", [kind]
        kinds: list[str | None] = []

        def substitute(match: re.Match[str]) -> str:
            sql, kind = self.ref(match.group(1).strip())
            kinds.append(kind)
            return sql

        return f"({_REF.sub(substitute, rule)})", kinds

    # -- the SELECT -----------------------------------------------------------

    def column(self, target: FocusColumn) -> str:
        rule = self.mapping.columns.get(target.name)
        if rule is None and self.mapping.same_names:
            rule = "{" + target.name + "}"
        if rule is None:
            return f"CAST(NULL AS {target.sql_type}) AS {quote(target.name)}"
        sql, kinds = self.expression(rule)
        if target.required and all(k is None for k in kinds):
            raise MissingColumn(target.name, _rule_columns(rule))
        # a plain column reference keeps its type: no check needed when it already fits
        plain = isinstance(rule, str) and _REF.fullmatch(rule.strip()) is not None
        return f"{self.checked(sql, target, kinds[0] if plain else None)} AS {quote(target.name)}"

    def checked(self, sql: str, target: FocusColumn, source_type: str | None) -> str:
        """``sql`` as the target's type; a value that does not convert raises a marked error."""
        wanted = target.sql_type
        if source_type is not None and _same_type(source_type, wanted):
            return sql
        if wanted == "VARCHAR":
            return f"CAST({sql} AS VARCHAR)"
        if wanted == DECIMAL:
            if source_type is not None and _numeric(source_type):
                return f"CAST({sql} AS {DECIMAL})"
            return (
                f"CASE WHEN {sql} IS NULL THEN NULL ELSE coalesce(TRY_CAST({sql} AS {DECIMAL}), "
                f"{_raise(target.name, 'number', sql)}) END"
            )
        if wanted == "TIMESTAMP":
            if source_type is not None and (
                source_type.startswith("TIMESTAMP") or source_type == "DATE"
            ):
                return f"CAST({sql} AS TIMESTAMP)"
            return (
                f"CASE WHEN {sql} IS NULL THEN NULL ELSE coalesce({self.timestamp(sql)}, "
                f"{_raise(target.name, 'date', sql)}) END"
            )
        return f"CAST({sql} AS {wanted})"  # pragma: no cover - every store type is above

    def timestamp(self, sql: str) -> str:
        """Parse text as a timestamp: ISO 8601 (an offset converted to UTC), then the formats.

        Only text with an offset after the date (``+02:00``, ``-05:00``) takes the
        slower time zone cast; ``Z`` and no offset are UTC already."""
        text = f"CAST({sql} AS VARCHAR)"
        after_date = f"{text}[11:]"
        iso = (
            f"CASE WHEN contains({after_date}, '+') OR contains({after_date}, '-') "
            f"THEN TRY_CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) "
            f"ELSE TRY_CAST({text} AS TIMESTAMP) END"
        )
        parts = [iso]
        if self.mapping.timestamp_formats:
            formats = ", ".join(literal(f) for f in self.mapping.timestamp_formats)
            parts.append(f"try_strptime({text}, [{formats}])")
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def tags(self) -> str:
        """The Tags map: from a map column, JSON text, and/or one column per tag.

        Building maps is the costly part of a sync (microseconds a row), so a map is
        cleaned (keys trimmed and de-duplicated, empty values dropped) only where it
        may need it: JSON text whose keys or values look untidy, or keys to strip a
        prefix from. A map that is already clean is kept as it is."""
        rule = self.mapping.tags
        strip = literal(rule.strip_key_prefix)
        maps: list[str] = []
        for json_name in filter(None, (rule.json_column, rule.map_column)):
            sql, kind = self.ref(json_name)
            if kind is None:
                continue
            if kind.startswith("MAP("):
                typed = f"CAST({sql} AS {TAGS_TYPE})"
                maps.append(
                    f"fm_clean_tags({typed}, {strip})" if rule.strip_key_prefix
                    else f"(CASE WHEN list_contains(map_values({typed}), '') "
                    f"THEN fm_clean_tags({typed}, '') ELSE fm_nonempty({typed}) END)"
                )  # fmt: skip
            else:
                maps.append(self.json_tags(sql, json_name, strip))
        entries = []
        for prefix in rule.prefix_columns:
            for name in self.columns.types:
                if name.startswith(prefix) and len(name) > len(prefix):
                    key = name[len(prefix) :].strip()
                    entries.append(
                        f"{{'key': {literal(key)}, 'value': CAST({quote(name)} AS VARCHAR)}}"
                    )
        if entries:
            maps.append(f"fm_tags_from(fm_filled([{', '.join(entries)}]))")
        if not maps:
            return f"CAST(NULL AS {TAGS_TYPE}) AS {quote('Tags')}"
        if len(maps) > 1:
            merged = ", ".join(f"coalesce({m}, MAP {{}}::{TAGS_TYPE})" for m in maps)
            return f"fm_nonempty(map_concat({merged})) AS {quote('Tags')}"
        return f"{maps[0]} AS {quote('Tags')}"

    def json_tags(self, sql: str, name: str, strip: str) -> str:
        """Tags from JSON text (an object, or its members without braces as Azure EA
        writes them); text that is not a JSON object raises the marked error."""
        text = f"trim(CAST({sql} AS VARCHAR))"
        wrapped = (
            f"(CASE WHEN starts_with({text}, '{{') THEN {text} ELSE '{{' || {text} || '}}' END)"
        )
        parsed = f"TRY_CAST(TRY_CAST({wrapped} AS JSON) AS {TAGS_TYPE})"
        checked = f"coalesce({parsed}, {_raise(name, 'tags', sql)})"
        untidy = " OR ".join(f"contains({text}, {literal(mark)})" for mark in UNTIDY_JSON)
        clean = (
            f"fm_clean_tags({checked}, {strip})"
            if strip != "''"
            else f"CASE WHEN {untidy} THEN fm_clean_tags({checked}, '') "
            f"ELSE fm_nonempty({checked}) END"
        )
        return f"(CASE WHEN {sql} IS NULL OR {text} = '' THEN NULL ELSE {clean} END)"

    def select_list(self, *, source: str, uri: str, ingested_at: str) -> str:
        parts = [self.tags() if c.name == "Tags" else self.column(c) for c in FOCUS_COLUMNS]
        parts += [
            f"{literal(source)} AS {quote('x_Source')}",
            f"{literal(uri)} AS {quote('x_SourceFile')}",
            f"TIMESTAMP {literal(ingested_at)} AS {quote('x_IngestedAt')}",
        ]
        return ",\n  ".join(parts)


class MissingColumn(Exception):
    """A required store column none of whose source columns the file has."""

    def __init__(self, target: str, names: list[str]) -> None:
        super().__init__(target)
        self.target = target
        self.names = names


def _rule_columns(rule: str | ValueMap) -> list[str]:
    if isinstance(rule, ValueMap):
        return [rule.column]
    return [m.group(1).strip() for m in _REF.finditer(rule)]


def _raise(column: str, kind: str, sql: str) -> str:
    """A DuckDB ``error()`` call whose message carries the column, the kind and the value."""
    head = literal(SEP.join((ERROR_MARK, column, kind, "")))
    return f"error({head} || coalesce(CAST({sql} AS VARCHAR), ''))"


def _same_type(source: str, wanted: str) -> bool:
    return source.replace(" ", "") == wanted.replace(" ", "")


def _numeric(kind: str) -> bool:
    return kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")) or kind in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "UHUGEINT",
    )  # fmt: skip


def mapping_for(source_type: str, columns: FileColumns) -> SourceMapping:
    """The mapping to read one file of a source with: its type's, or FOCUS when the
    file is a FOCUS export (AWS Data Exports, Azure and OCI FOCUS exports)."""
    mapping = load_mapping(source_type)
    if mapping.as_focus_when and all(columns.find(c) for c in mapping.as_focus_when):
        return load_mapping("focus")
    return mapping


def compile_select(
    mapping: SourceMapping,
    columns: FileColumns,
    *,
    source: str,
    uri: str,
    ingested_at: str,
) -> CompiledSelect:
    """The SELECT list turning one file's rows into store rows (raises MissingColumn)."""
    compiler = _Compiler(mapping, columns)
    notes: list[str] = []
    if mapping.known_columns:
        unknown = sorted(
            n for n in columns.types if n not in mapping.known_columns and not n.startswith("x_")
        )
        if unknown:
            shown = ", ".join(unknown[:5]) + (
                f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            )
            what = "column" if len(unknown) == 1 else "columns"
            notes.append(
                f"{what} {shown} not in FOCUS 1.0-1.2 (a newer FOCUS version, or custom "
                "columns not named x_...): read as FOCUS 1.2; those columns are not kept"
            )
    select = compiler.select_list(source=source, uri=uri, ingested_at=ingested_at)
    return CompiledSelect(select, tuple(notes))


def column_expression(mapping: SourceMapping, columns: FileColumns, target: str) -> str:
    """The unchecked SQL a store column is computed from (for locating a bad row)."""
    compiler = _Compiler(mapping, columns)
    if target == "Tags" or target not in mapping.columns:
        name = mapping.tags.json_column or mapping.tags.map_column if target == "Tags" else target
        return compiler.ref(name or target)[0]
    return compiler.expression(mapping.columns[target])[0]


#: Tag maps are cleaned the same way for every source: keys trimmed and stripped of
#: the source's prefix (CUR 2.0 ``user_``), empty values dropped, the first of two
#: keys that trim to the same text kept, and an empty map stored as NULL.
PRELUDE = (
    """
    CREATE OR REPLACE TEMP MACRO fm_filled(l) AS
        list_filter(l, lambda x: x.value IS NOT NULL AND x.value <> '')
    """,
    """
    CREATE OR REPLACE TEMP MACRO fm_tag_entries(m, strip) AS fm_filled(
        list_filter(
            list_transform(map_entries(m), lambda x: {
                'key': trim(CASE WHEN strip <> '' AND starts_with(x.key, strip)
                                 THEN x.key[length(strip) + 1:] ELSE x.key END),
                'value': CAST(x.value AS VARCHAR)}),
            lambda x: x.key <> ''))
    """,
    """
    CREATE OR REPLACE TEMP MACRO fm_tags_from(l) AS CASE
        WHEN l IS NULL OR len(l) = 0 THEN NULL
        WHEN len(list_distinct(list_transform(l, lambda y: y.key))) = len(l)
            THEN map_from_entries(l)
        ELSE map_from_entries(list_filter(l, lambda x, i:
            list_position(list_transform(l, lambda y: y.key), x.key) = i))
    END
    """,
    "CREATE OR REPLACE TEMP MACRO fm_clean_tags(m, strip) AS "
    "fm_tags_from(fm_tag_entries(m, strip))",
    "CREATE OR REPLACE TEMP MACRO fm_nonempty(m) AS "
    "CASE WHEN cardinality(m) = 0 THEN NULL ELSE m END",
)
