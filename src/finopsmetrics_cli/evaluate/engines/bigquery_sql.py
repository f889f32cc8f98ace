"""DuckDB trees made expressible in BigQuery before ``dialect.render`` writes them.

sqlglot translates functions and syntax; what it cannot know is that our
string maps (``Tags``, the enrichment's ``x_VirtualTags`` and ``x_Business``,
the inventory's ``tags``) are, in a BigQuery FOCUS table, repeated
``STRUCT<key STRING, value STRING>`` records. So, on the tree:

- ``m[k]`` (a map read) becomes ``(SELECT e.value FROM UNNEST(m) e WHERE e.key = k
  LIMIT 1)``; ``MAP {k: v}`` an array of one struct; ``MAP {...}[x]`` a ``CASE``;
  ``map_concat(a, b)`` keeps the entries of ``a`` whose key ``b`` lacks, then
  ``b`` (later wins, as in DuckDB); ``map_from_entries`` of key/value structs is
  already the array; the ``MAP`` type is the array type.
- what BigQuery spells otherwise or lacks: ``contains`` (BigQuery's
  ``CONTAINS_SUBSTR``, which sqlglot picks, ignores case: ``STRPOS`` does not),
  ``epoch`` (``UNIX_SECONDS``), ``LIKE ... ESCAPE '\\'`` (the backslash is
  already BigQuery's escape), ``GROUP BY ALL`` and grouping by an expression
  holding a subquery (positions), ``TIMESTAMP`` (an instant: ``TIMESTAMP``, not
  ``DATETIME``).
- column names holding a dot (``x_VirtualTags.team``) are not BigQuery names:
  they travel under an encoded name, so results keep their positions.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from finopsmetrics_cli.evaluate.engines.dialect import MapPairs, TranspileError, map_literal

DIALECT = "bigquery"
MAP_TYPE = "ARRAY<STRUCT<key STRING, value STRING>>"
#: enrichment columns whose names hold a dot (``x_VirtualTags.KEY``, ``x_Business.TYPE``)
DOTTED_PREFIXES = ("x_VirtualTags.", "x_Business.")


def rewrite(tree: exp.Expr) -> exp.Expr:
    """``tree`` (parsed from DuckDB SQL, tables already pointing at BigQuery) with the
    rewrites above; the result is rendered by ``dialect.render``."""
    for rule in (_epoch, _map_literal, _map_function, _map_read, _map_type, _contains,
                 _like_escape, _utc, _dotted, _group_by_all, _group_by_position):  # fmt: skip
        tree = _bottom_up(tree, rule)
    return tree


def _bottom_up(tree: exp.Expr, rule: Callable[[exp.Expression], exp.Expression]) -> exp.Expr:
    """``rule`` applied to every node, children first (sqlglot's ``transform`` does not
    visit inside what it has replaced: nested maps would be left behind)."""
    for node in reversed(list(tree.walk())):
        if not isinstance(node, exp.Expression):
            continue
        new = rule(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def bigquery_name(name: str) -> str:
    """A dotted enrichment column's BigQuery name (the key hex-encoded: any tag key fits)."""
    for prefix in DOTTED_PREFIXES:
        if name.startswith(prefix):
            return f"{prefix[:-1]}__{name[len(prefix) :].encode().hex()}"
    return name


def _template(sql: str, **parts: exp.Expression) -> exp.Expression:
    """``sql`` (BigQuery) with each column named like a key of ``parts`` replaced by it."""
    tree = sqlglot.parse_one(sql, read=DIALECT)

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in parts:
            return parts[node.name].copy()
        return node

    filled = tree.transform(fill)
    assert isinstance(filled, exp.Expression)
    return filled


def empty_map() -> exp.Expression:
    return exp.cast(exp.Array(expressions=[]), exp.DataType.build(MAP_TYPE, dialect=DIALECT))


def _entries(pairs: MapPairs) -> exp.Expression:
    if not pairs:
        return empty_map()
    return exp.Array(
        expressions=[exp.Struct(expressions=[k.as_("key"), v.as_("value")]) for k, v in pairs]
    )


def _map_literal(node: exp.Expression) -> exp.Expression:
    """``MAP {k: v, ...}`` as an array of key/value structs; indexed, a ``CASE``."""
    found = map_literal(node)
    if found is None:
        return node
    pairs, index = found
    if index is None:
        return _entries(pairs)
    if len(index) != 1:
        raise TranspileError(f"unexpected map read {node.sql('duckdb')}")
    case = exp.Case(this=index[0])
    for key, value in pairs:
        case = case.when(key, value)
    return case


def _map_function(node: exp.Expression) -> exp.Expression:
    if type(node).__name__ == "MapFromEntries":  # a function class in some sqlglot versions
        entries: exp.Expression = node.this
        return entries  # entries already are the representation
    if not isinstance(node, exp.Anonymous):
        return node
    name = node.name.lower()
    if name == "map_from_entries" and len(node.expressions) == 1:
        first: exp.Expression = node.expressions[0]
        return first
    if name == "map_concat" and len(node.expressions) == 2:
        left, right = (exp.Coalesce(this=e, expressions=[empty_map()]) for e in node.expressions)
        return _template(
            "ARRAY_CONCAT(ARRAY(SELECT AS STRUCT fm_a.key, fm_a.value FROM UNNEST(fm_left) AS fm_a"
            " WHERE fm_a.key NOT IN (SELECT fm_b.key FROM UNNEST(fm_right) AS fm_b)), fm_right)",
            fm_left=left,
            fm_right=right,
        )
    return node


def _map_read(node: exp.Expression) -> exp.Expression:
    """``m[k]`` with a key that is not a list position: a map read."""
    if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
        return node
    key = node.expressions[0]
    if isinstance(key, exp.Literal) and not key.is_string:
        return node  # a list index
    if isinstance(node.this, exp.Array):
        return node
    return _template(
        "(SELECT fm_e.value FROM UNNEST(fm_map) AS fm_e WHERE fm_e.key = fm_key LIMIT 1)",
        fm_map=node.this,
        fm_key=key,
    )


def _map_type(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.MAP:
        return exp.DataType.build(MAP_TYPE, dialect=DIALECT)
    return node


def _contains(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Contains):
        position = exp.StrPosition(this=node.this, substr=node.expression)
        return exp.GT(this=position, expression=exp.Literal.number(0))
    return node


def _epoch(node: exp.Expression) -> exp.Expression:
    """``epoch(t)`` as ``UNIX_SECONDS(t)``; of a difference, the difference of both."""
    if not isinstance(node, exp.TimeToUnix):
        return node
    if isinstance(node.this, exp.Sub):
        return exp.Sub(
            this=exp.UnixSeconds(this=node.this.this),
            expression=exp.UnixSeconds(this=node.this.expression),
        )
    return exp.UnixSeconds(this=node.this)


def _like_escape(node: exp.Expression) -> exp.Expression:
    if (
        isinstance(node, exp.Escape)
        and isinstance(node.this, exp.Like)
        and isinstance(node.expression, exp.Literal)
        and node.expression.this == "\\"
    ):
        return node.this
    return node


def _utc(node: exp.Expression) -> exp.Expression:
    """Timestamps are UTC instants in FOCUS tables: BigQuery ``TIMESTAMP``, not ``DATETIME``."""
    naive = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
    if isinstance(node, exp.DataType) and node.this in naive:
        return exp.DataType.build("TIMESTAMPTZ")
    return node


def _dotted(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Identifier) and node.name.startswith(DOTTED_PREFIXES):
        return exp.to_identifier(bigquery_name(node.name), quoted=True)
    return node


def _group_by_all(node: exp.Expression) -> exp.Expression:
    """``GROUP BY ALL``: the positions of the projections holding no aggregate."""
    group = node.args.get("group") if isinstance(node, exp.Select) else None
    if group is None or not group.args.get("all"):
        return node
    keys = [
        exp.Literal.number(i + 1)
        for i, e in enumerate(node.expressions)
        if e.find(exp.AggFunc) is None
    ]
    node.set("group", exp.Group(expressions=keys))
    return node


def _group_by_position(node: exp.Expression) -> exp.Expression:
    """GROUP BY keys that are projections become their positions (BigQuery cannot group
    by an expression holding a subquery, as a tag read is)."""
    group = node.args.get("group") if isinstance(node, exp.Select) else None
    if group is None:
        return node
    positions = {_bare(e).sql(): i + 1 for i, e in enumerate(node.expressions)}
    keys = [
        exp.Literal.number(positions[k.sql()]) if k.sql() in positions else k
        for k in group.expressions
    ]
    group.set("expressions", keys)
    return node


def _bare(projection: exp.Expression) -> exp.Expression:
    if isinstance(projection, exp.Subquery) and projection.args.get("alias"):
        bare = projection.copy()  # ``subquery.as_(name)`` aliases the subquery itself
        bare.set("alias", None)
        return bare
    inner = projection.unalias()
    assert isinstance(inner, exp.Expression)
    return inner
