"""SQL text pieces shared by the enrichment view and the resource inventory.

A view cannot hold ``?`` parameters, so values reach its text only through
:func:`literal` (sqlglot's quoting: a quote in a tag value stays a quote, never
SQL). Conditions keep their own compiler (``conditions.sql``); their parameters
are rendered the same way by :func:`inline`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlglot import exp

from finopsmetrics_cli.conditions.sql import SqlFragment

EMPTY_MAP = "MAP {}::MAP(VARCHAR, VARCHAR)"

#: resource attributes a cost row answers, by condition path (tag-like ones read the
#: row's tags, own first, then its virtual value)
TAG_ATTRIBUTES = ("environment", "team", "cost_center", "owner", "creator_email")
ROW_COLUMNS: dict[str, str] = {
    "resource.id": '"ResourceId"',
    "resource.name": 'coalesce("ResourceName", "ResourceId")',
    "resource.type": '"ResourceType"',
    "resource.account": 'coalesce("SubAccountId", "SubAccountName")',
    "resource.region": '"RegionId"',
    "resource.service": '"ServiceName"',
}
#: FOCUS ProviderName -> the short names conditions use (``resource.provider == "aws"``)
PROVIDERS = {
    "aws": "aws",
    "amazon web services": "aws",
    "microsoft": "azure",
    "azure": "azure",
    "google cloud": "gcp",
    "google": "gcp",
    "gcp": "gcp",
    "oracle": "oci",
    "oci": "oci",
}


def literal(value: Any) -> str:
    """A value as a SQL literal (strings quoted by sqlglot, never spliced raw)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value))
    return exp.Literal.string(str(value)).sql("duckdb")


def timestamp(day: object) -> str:
    """Midnight of ``day`` (a date) as a SQL timestamp literal: the evaluations' windows."""
    return f"TIMESTAMP '{day} 00:00:00'"


def charge_window(start: object, end: object) -> str:
    """Rows charged from midnight of ``start`` up to (not including) midnight of ``end``."""
    return f'"ChargePeriodStart" >= {timestamp(start)} AND "ChargePeriodStart" < {timestamp(end)}'


def money(value: float) -> str:
    """An amount as messages show it: ``1,234.56``."""
    return f"{value:,.2f}"


def quote(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def inline(fragment: SqlFragment) -> str:
    """A condition's SQL with its ``?`` parameters written as literals.

    The condition compiler never puts a value in the text, so every ``?`` in
    it is a parameter (in order)."""
    parts = fragment.sql.split("?")
    if len(parts) - 1 != len(fragment.params):
        raise ValueError("parameter count does not match the SQL text")
    out = [parts[0]]
    for value, rest in zip(fragment.params, parts[1:], strict=True):
        out += [literal(value), rest]
    return "".join(out)


def string_map(values: Mapping[str, Any]) -> str:
    """``MAP {'k': 'v', ...}`` of strings (typed, so an empty one still unions)."""
    if not values:
        return EMPTY_MAP
    items = ", ".join(f"{literal(k)}: {literal(str(v))}" for k, v in values.items())
    return f"MAP {{{items}}}"


def provider_sql(column: str = '"ProviderName"') -> str:
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in PROVIDERS.items())
    return f"(CASE lower({column}) {whens} ELSE lower({column}) END)"


def glob_sql(target: str, pattern: str) -> str:
    """``target`` matches the ``*`` glob (the filters' globs: ``*`` only, all else literal)."""
    if "*" not in pattern:
        return f"({target} = {literal(pattern)})"
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"({target} LIKE {literal(escaped.replace('*', '%'))} ESCAPE '\\')"


def any_of(parts: Sequence[str]) -> str:
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def row_column(tags_sql: str) -> Callable[[str], str | None]:
    """The column map of conditions over cost rows, with ``tags_sql`` the row's tags."""

    def column(path: str) -> str | None:
        if path in ROW_COLUMNS:
            return ROW_COLUMNS[path]
        if path == "resource.provider":
            return provider_sql()
        if path == "resource.tags":
            return tags_sql
        context, _, name = path.partition(".")
        if context == "resource" and name in TAG_ATTRIBUTES:
            return f"{tags_sql}[{literal(name)}]"
        return None

    return column
