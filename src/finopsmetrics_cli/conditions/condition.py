"""A checked condition, ready for either back end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finopsmetrics_cli.conditions.ast import Expr, Path, walk
from finopsmetrics_cli.conditions.checker import check
from finopsmetrics_cli.conditions.errors import ConditionErrors
from finopsmetrics_cli.conditions.evaluator import Fn, compile_expr, run
from finopsmetrics_cli.conditions.lexical import without_gc
from finopsmetrics_cli.conditions.parser import parse, parse_shaped, recognise
from finopsmetrics_cli.conditions.schema import AttributeSchema
from finopsmetrics_cli.conditions.sql import ColumnMap, Dialect, SqlFragment, to_sql


class Condition:
    """Text that parsed and type-checked against a schema.

    The Python closure is built on first use, and so is the tree of a condition
    whose form and attributes were already checked (see :mod:`.shapes`):
    validating thousands of conditions keeps no trees, which would cost the
    garbage collector more than building them.
    """

    __slots__ = ("text", "_expr", "schema", "_fn", "_attributes")

    def __init__(self, text: str, expr: Expr | None, schema: AttributeSchema) -> None:
        self.text = text
        self._expr = expr
        self.schema = schema
        self._fn: Fn | None = None
        self._attributes: frozenset[str] | None = None

    @property
    def expr(self) -> Expr:
        """The syntax tree (parsed now if compiling did not need it)."""
        expr = self._expr
        if expr is None:
            expr = self._expr = parse(self.text)
        return expr

    def __repr__(self) -> str:
        return f"Condition({self.text.strip()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and other.expr == self.expr

    def __hash__(self) -> int:
        return hash(self.expr)

    def evaluate(self, record: Mapping[str, Any]) -> bool | None:
        """True, False or None (unknown: a null was involved) for one record."""
        fn = self._fn
        if fn is None:
            fn = self._fn = compile_expr(self.expr)
        return run(fn, self._expr, record)  # type: ignore[arg-type]  # built with fn

    def to_sql(self, columns: ColumnMap, dialect: str | Dialect = "duckdb") -> SqlFragment:
        """A ``WHERE`` fragment with ``?`` parameters; see :func:`.sql.to_sql`."""
        return to_sql(self.expr, columns, dialect, schema=self.schema)

    @property
    def attributes(self) -> frozenset[str]:
        """Dotted paths the condition reads, e.g. ``{"resource.type", "resource.tags.team"}``."""
        if self._attributes is None:
            paths = (n.dotted for n in walk(self.expr) if isinstance(n, Path))
            self._attributes = frozenset(paths)
        return self._attributes


def compile_condition(text: str, schema: AttributeSchema | None = None) -> Condition:
    """Parse and type-check; raise :class:`ConditionErrors` with every error found."""
    return without_gc(_compile, text, schema)


def _compile(text: str, schema: AttributeSchema | None) -> Condition:
    schema = schema or AttributeSchema.default()
    known = recognise(text)
    if known is not None:  # a form checked clean before with these attributes is clean
        known_shape, values = known
        if schema.checked_clean(known_shape.check_key(values)):
            return Condition(text, None, schema)
    expr, shape, tokens = parse_shaped(text)
    key = None if shape is None else shape.check_key([t[1] for t in tokens])
    errors = check(expr, schema)
    if errors:
        raise ConditionErrors(errors, text)
    if key is not None:
        schema.remember_clean(key)
    return Condition(text, expr, schema)
