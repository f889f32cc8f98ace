"""The SQL back end: a condition compiled to a parameterised ``WHERE`` fragment.

Values never enter the SQL text: every literal becomes a ``?`` parameter.
The caller says which column holds each attribute (so one condition runs over
the resource inventory or a FOCUS cost table); SQL's own three-valued logic
then gives the same answers as :mod:`.evaluator`. A :class:`Dialect` holds the
few spellings that differ between engines; DuckDB is the one shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from finopsmetrics_cli.conditions.ast import (
    Arith,
    BoolOp,
    Compare,
    Const,
    Expr,
    In,
    IsNull,
    ListExpr,
    Neg,
    Not,
    Path,
    TextMatch,
)
from finopsmetrics_cli.conditions.checker import type_of
from finopsmetrics_cli.conditions.errors import ConditionError
from finopsmetrics_cli.conditions.regex import safe_regex
from finopsmetrics_cli.conditions.schema import AttributeSchema

ColumnMap = Mapping[str, str] | Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class SqlFragment:
    """A boolean SQL expression and its positional parameters, in order."""

    sql: str
    params: list[Any] = field(default_factory=list)


class Dialect:
    """DuckDB spellings; another engine subclasses and overrides what differs."""

    name = "duckdb"

    def cast(self, sql: str, type_name: str) -> str:
        sql_type = {"string": "VARCHAR", "number": "DOUBLE", "bool": "BOOLEAN"}[type_name]
        return f"CAST({sql} AS {sql_type})"

    def divide(self, left: str, right: str) -> str:
        return f"({left} / NULLIF({right}, 0))"

    def contains(self, text: str, part: str) -> str:
        return f"contains({text}, {part})"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"starts_with({text}, {prefix})"

    def ends_with(self, text: str, suffix: str) -> str:
        return f"ends_with({text}, {suffix})"

    def regex_search(self, text: str, pattern: str) -> str:
        return f"regexp_matches({text}, {pattern})"

    def list_contains(self, items: str, value: str) -> str:
        return f"list_contains({items}, {value})"

    def map_get(self, mapping: str, key: str) -> str:
        return f"{mapping}[{key}]"

    def regex_pattern(self, source: str) -> str:
        return safe_regex(source).re2


DIALECTS: dict[str, Dialect] = {"duckdb": Dialect()}


def to_sql(
    expr: Expr,
    columns: ColumnMap,
    dialect: str | Dialect = "duckdb",
    *,
    schema: AttributeSchema | None = None,
) -> SqlFragment:
    """Compile ``expr`` (type-checked) to SQL using ``columns`` for attribute paths.

    ``columns`` maps dotted paths to column SQL (``{"resource.region": "region"}``)
    or is a function returning the SQL or ``None``. A map attribute can be mapped
    whole (``"resource.tags": "tags"``, read as ``tags[?]``) or per key
    (``"resource.tags.team": "team_tag"``). Number and duration columns must hold
    numbers (durations in seconds).
    """
    if isinstance(dialect, str):
        try:
            dialect = DIALECTS[dialect]
        except KeyError:
            raise ConditionError(
                "C403", f"unknown SQL dialect '{dialect}'",
                hint="dialects: " + ", ".join(sorted(DIALECTS)),
            ) from None
    compiler = _SqlCompiler(columns, dialect, schema or AttributeSchema.default())
    sql = compiler.sql(expr)
    return SqlFragment(sql, compiler.params)


class _SqlCompiler:
    def __init__(self, columns: ColumnMap, dialect: Dialect, schema: AttributeSchema) -> None:
        self.columns = columns
        self.d = dialect
        self.schema = schema
        self.params: list[Any] = []

    def param(self, value: Any, type_name: str) -> str:
        self.params.append(value)
        return self.d.cast("?", type_name)

    def column(self, dotted: str) -> str | None:
        if callable(self.columns):
            return self.columns(dotted)
        return self.columns.get(dotted)

    def sql(self, node: Expr) -> str:  # noqa: C901 - one branch per node type
        d = self.d
        if isinstance(node, Const):
            return self.const(node)
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, Neg):
            return f"(- {self.number(node.operand)})"
        if isinstance(node, Arith):
            left, right = self.number(node.left), self.number(node.right)
            if node.op == "/":
                return d.divide(left, right)
            return f"({left} {node.op} {right})"
        if isinstance(node, Compare):
            op = {"==": "=", "!=": "<>"}.get(node.op, node.op)
            return f"({self.sql(node.left)} {op} {self.sql(node.right)})"
        if isinstance(node, In):
            return self.in_(node)
        if isinstance(node, TextMatch):
            return self.text(node)
        if isinstance(node, IsNull):
            return f"({self.sql(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"
        if isinstance(node, Not):
            return f"(NOT {self.sql(node.operand)})"
        if isinstance(node, BoolOp):
            joiner = f" {node.op.upper()} "
            return "(" + joiner.join(self.sql(o) for o in node.operands) + ")"
        raise ConditionError.at("C404", "a list can only follow IN or NOT IN", node.span)

    def number(self, node: Expr) -> str:
        """Arithmetic runs in DOUBLE, as in Python, whatever the column's numeric type."""
        sql = self.sql(node)
        return sql if isinstance(node, Const) else self.d.cast(sql, "number")

    def const(self, node: Const) -> str:
        v = node.value
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return self.param(v, "bool")
        if isinstance(v, str):
            return self.param(v, "string")
        return self.param(float(v), "number")

    def path(self, node: Path) -> str:
        dotted = node.dotted
        col = self.column(dotted)
        if col is not None:
            return col
        if len(node.parts) == 3:
            base = self.column(".".join(node.parts[:2]))
            if base is not None:
                return self.d.map_get(base, self.param(node.parts[2], "string"))
        raise ConditionError.at(
            "C402", f"no column holds {dotted} in this table", node.span,
            hint="pass a column for it in the column mapping",
        )

    def in_(self, node: In) -> str:
        if not isinstance(node.right, ListExpr):  # list_contains(items, value): items first
            items_sql = self.sql(node.right)
            found = self.d.list_contains(items_sql, self.sql(node.left))
            return f"(NOT {found})" if node.negated else found
        if not node.right.items:  # membership in an empty set is false, even for null
            return "TRUE" if node.negated else "FALSE"
        left = self.sql(node.left)
        items = ", ".join(self.sql(i) for i in node.right.items)
        return f"({left} {'NOT IN' if node.negated else 'IN'} ({items}))"

    def text(self, node: TextMatch) -> str:
        left = self.sql(node.left)
        if node.op == "matches":
            assert isinstance(node.right, Const) and isinstance(node.right.value, str)
            pattern = self.param(self.d.regex_pattern(node.right.value), "string")
            return self.d.regex_search(left, pattern)
        right = self.sql(node.right)
        if node.op == "contains":
            if type_of(node.left, self.schema).startswith("list<"):
                return self.d.list_contains(left, right)
            return self.d.contains(left, right)
        if node.op == "starts_with":
            return self.d.starts_with(left, right)
        return self.d.ends_with(left, right)
