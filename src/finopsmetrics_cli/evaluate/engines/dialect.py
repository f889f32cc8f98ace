"""The one place DuckDB-dialect SQL text becomes another engine's SQL.

The evaluation's queries are sqlglot expressions (``query``) or text written
in DuckDB's dialect (the enrichment view, the inventory, coverage, policies
and the condition compiler's output). An adapter for another engine renders
both through :func:`transpile`, never through a hand-written copy.

sqlglot converts almost everything; what it cannot express in the target is
rewritten here first, on the tree:

- ``MAP {k: v}`` literals become ``map(k, v)`` (Spark's constructor);
- ``b.* REPLACE (...)`` and ``UNION ALL BY NAME`` are expanded into explicit
  column lists from the relation's known columns (Spark has neither);
- ``epoch(a - b)`` (an interval's seconds) becomes ``epoch(a) - epoch(b)``;
- ``main.costs`` (the store's schema) is the engine's ``costs`` relation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp

from finopsmetrics_cli.errors import EvaluationError

SOURCE_DIALECT = "duckdb"


class TranspileError(EvaluationError):
    """SQL the target engine has no equivalent for: a message and exit 1, not a traceback
    (it is a gap to report: evaluate with engine duckdb meanwhile)."""


def transpile(sql: str, dialect: str, relations: Mapping[str, Sequence[str]]) -> str:
    """DuckDB ``sql`` in ``dialect``; ``relations``: known relations and their columns
    (needed to expand ``* REPLACE`` and ``UNION BY NAME``)."""
    if dialect == SOURCE_DIALECT:
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    except sqlglot.errors.ParseError as exc:
        raise TranspileError(f"cannot read the query: {exc}") from exc
    return render(tree, dialect, relations)


def render(tree: exp.Expr, dialect: str, relations: Mapping[str, Sequence[str]]) -> str:
    """A parsed DuckDB tree in ``dialect`` (the rewrites above applied first)."""
    tree = tree.copy().transform(unqualify_main)
    tree = tree.transform(_map_literal).transform(_epoch_of_difference)
    tree = _expand(tree, {k.lower(): list(v) for k, v in relations.items()})
    try:
        return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise TranspileError(f"the query has no {dialect} equivalent: {exc}") from exc


def unqualify_main(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and node.db.lower() == "main" and not node.catalog:
        node.set("db", None)
    return node


MapPairs = list[tuple[exp.Expression, exp.Expression]]


def map_literal(node: exp.Expression) -> tuple[MapPairs, list[exp.Expression] | None] | None:
    """A ``MAP {k: v, ...}`` literal's (key, value) pairs and, for ``MAP {...}[x]``, the
    index; None for any other node."""
    if not isinstance(node, exp.ToMap):
        return None
    struct, index = node.this, None
    if isinstance(struct, exp.Bracket):  # ``MAP {...}[key]`` parses as ToMap(Bracket(...))
        struct, index = struct.this, struct.expressions
    if not isinstance(struct, exp.Struct):
        return None
    pairs: MapPairs = []
    for item in struct.expressions:
        if not isinstance(item, exp.PropertyEQ):
            raise TranspileError(f"unexpected map entry {item.sql(SOURCE_DIALECT)}")
        key = item.this
        if isinstance(key, exp.Identifier):
            key = exp.Literal.string(key.name)
        pairs.append((key, item.expression))
    return pairs, index


def _map_literal(node: exp.Expression) -> exp.Expression:
    found = map_literal(node)
    if found is None:
        return node
    pairs, index = found
    args = [part for key, value in pairs for part in (key, _map_literal(value))]
    built = exp.Anonymous(this="map", expressions=args)
    return built if index is None else exp.Bracket(this=built, expressions=index)


def _epoch_of_difference(node: exp.Expression) -> exp.Expression:
    """``epoch(a - b)`` (seconds of an interval) as ``epoch(a) - epoch(b)``: the same
    number, without an interval type the target may not convert."""
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        return exp.Sub(
            this=exp.TimeToUnix(this=node.this.this),
            expression=exp.TimeToUnix(this=node.this.expression),
        )
    return node


def _expand(tree: exp.Expression, relations: dict[str, list[str]]) -> exp.Expression:
    """``* REPLACE`` and ``UNION ... BY NAME`` rewritten over explicit column names,
    innermost first (a union's sides are expanded before it is)."""
    for select in list(tree.find_all(exp.Select)):
        _expand_replace(select, relations)
    for node in reversed(list(tree.find_all(exp.Union))):
        if node.args.get("by_name"):
            replacement = _by_position(node, relations)
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    return tree


def _expand_replace(select: exp.Select, relations: dict[str, list[str]]) -> None:
    projections: list[exp.Expression] = []
    changed = False
    for item in select.expressions:
        star = _star(item)
        replace = star.args.get("replace") if star is not None else None
        if not replace or star is None:
            projections.append(item)
            continue
        table = item.table if isinstance(item, exp.Column) else ""
        by_name = {r.alias_or_name.lower(): r for r in replace}
        for name in _source_columns(select, table, relations):
            new = by_name.get(name.lower())
            projections.append(
                new.copy() if new is not None else exp.column(name, table or None, quoted=True)
            )
        changed = True
    if changed:
        select.set("expressions", projections)


def _star(item: exp.Expression) -> exp.Star | None:
    if isinstance(item, exp.Star):
        return item
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
        return item.this
    return None


def _by_position(union: exp.Union, relations: dict[str, list[str]]) -> exp.Expression:
    left = output_columns(union.left, relations)
    right = output_columns(union.right, relations)
    if {c.lower() for c in left} != {c.lower() for c in right}:
        raise TranspileError(
            f"UNION BY NAME over different columns: {sorted(left)} and {sorted(right)}"
        )
    ordered = exp.select(*[exp.column(c, quoted=True) for c in left]).from_(
        union.right.copy().subquery("fm_by_name")
    )
    out = union.copy()
    out.set("by_name", None)
    out.set("expression", ordered)
    return out


def output_columns(query: exp.Expr, relations: dict[str, list[str]]) -> list[str]:
    """The column names ``query`` produces (stars resolved through ``relations``)."""
    if isinstance(query, exp.Union):
        return output_columns(query.left, relations)
    if isinstance(query, exp.Subquery):
        return output_columns(query.this, relations)
    if not isinstance(query, exp.Select):
        raise TranspileError(f"cannot tell the columns of {query.sql(SOURCE_DIALECT)[:80]}")
    names: list[str] = []
    for item in query.expressions:
        if isinstance(item, exp.Star):
            names += _source_columns(query, "", relations)
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            names += _source_columns(query, item.table, relations)
        else:
            names.append(item.alias_or_name)
    return names


def _sources(select: exp.Select) -> list[exp.Expression]:
    from_ = select.args.get("from_") or select.args.get("from")
    found = [from_.this] if from_ is not None else []
    return found + [j.this for j in select.args.get("joins") or ()]


def _source_columns(select: exp.Select, table: str, relations: dict[str, list[str]]) -> list[str]:
    names: list[str] = []
    for source in _sources(select):
        if table and source.alias_or_name != table:
            continue
        if isinstance(source, exp.Table):
            known = relations.get(source.name.lower())
            if known is None:
                raise TranspileError(f"unknown relation {source.name!r}")
            names += known
        elif isinstance(source, exp.Subquery):
            names += output_columns(source.this, relations)
        elif isinstance(source, exp.Values):
            alias = source.args.get("alias")
            names += [c.name for c in alias.columns] if alias is not None else []
        else:
            raise TranspileError(f"cannot tell the columns of {source.sql(SOURCE_DIALECT)[:80]}")
    return names
