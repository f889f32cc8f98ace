"""The condition language of policies, automation rules, tag rules and virtual tags.

``compile_condition(text)`` parses and type-checks a condition against the
declared contexts (``resource.*``, ``requester.*``, ``team.*`` plus a
project's ``settings.attributes``); the result evaluates in Python or compiles
to parameterised DuckDB SQL, with the same three-valued null logic in both.
See ``docs/reference/conditions.md``. Importing this package never imports
duckdb, and parsing valid text never imports lark.
"""

from __future__ import annotations

from finopsmetrics_cli.conditions.ast import Expr, Span
from finopsmetrics_cli.conditions.checker import check
from finopsmetrics_cli.conditions.condition import Condition, compile_condition
from finopsmetrics_cli.conditions.errors import (
    AttributeSchemaError,
    ConditionError,
    ConditionErrors,
)
from finopsmetrics_cli.conditions.evaluator import evaluate
from finopsmetrics_cli.conditions.parser import parse
from finopsmetrics_cli.conditions.schema import TYPE_NAMES, Attribute, AttributeSchema
from finopsmetrics_cli.conditions.sql import Dialect, SqlFragment, to_sql

__all__ = [
    "Attribute",
    "AttributeSchema",
    "AttributeSchemaError",
    "Condition",
    "ConditionError",
    "ConditionErrors",
    "Dialect",
    "Expr",
    "Span",
    "SqlFragment",
    "TYPE_NAMES",
    "check",
    "compile_condition",
    "evaluate",
    "parse",
    "to_sql",
]
