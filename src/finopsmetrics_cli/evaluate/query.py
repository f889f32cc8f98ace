"""The evaluation's SQL, built once as sqlglot expressions for every engine.

Three queries serve every budget and detector together (SPEC section 8, one
scan per kind family, never a query per object):

1. ``daily_scan``: one pass over the cost rows up to ``--at``, grouped by the
   columns the filters and ``group_by`` keys read, the currency and the day,
   each distinct combination numbered (``combo``);
2. ``combos``: the distinct combinations (small) for matching filters;
3. ``series``: the daily sums of each requested series, by joining the scan
   with the (series, combo) pairs the filters matched.

Each query says what it is for in a leading comment (``/* finopsmetrics: data
range */``): a warehouse's job history then tells who spent what, and an
estimate (``evaluate --estimate``) names its lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from sqlglot import exp

RELATION = "costs_enriched"
VIRTUAL_TAGS = "x_VirtualTags"  # optional column of costs_enriched: virtual tag values
PURPOSE = re.compile(r"\s*/\* finopsmetrics: ([^*]+?) \*/")


def _for(purpose: str, select: exp.Select) -> exp.Select:
    select.add_comments([f"finopsmetrics: {purpose}"])
    return select


def labelled(purpose: str, sql: str) -> str:
    """SQL text that says what it is for, as the queries built here do."""
    return f"/* finopsmetrics: {purpose} */ {sql}"


def purpose_of(sql: str) -> str | None:
    """What a query rendered from here is for (None: a query of other origin)."""
    found = PURPOSE.match(sql)
    return found.group(1) if found else None


def _ts(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), "TIMESTAMP")


def charge_day() -> exp.Expression:
    return exp.cast(exp.column("ChargePeriodStart", quoted=True), "DATE")


def window_condition(first: date, last: date) -> exp.Condition:
    """Rows charged from the start of ``first`` to the end of ``last``; nothing after it."""
    start = exp.column("ChargePeriodStart", quoted=True)
    return exp.and_(
        exp.GTE(this=start, expression=_ts(first)),
        exp.LT(this=start.copy(), expression=_ts(last + timedelta(days=1))),
    )


def data_range(relation: str = RELATION) -> exp.Select:
    """First and last day with data and the row count (through ``--at`` when given)."""
    return _for("data range", exp.select(
        exp.Min(this=charge_day()), exp.Max(this=charge_day()), exp.Count(this=exp.Star())
    ).from_(relation))  # fmt: skip


def last_day_through(last: date, relation: str = RELATION) -> exp.Select:
    """The last day with data on or before ``last``."""
    start = exp.column("ChargePeriodStart", quoted=True)
    return _for(
        "last day with data",
        exp.select(exp.Max(this=charge_day()))
        .from_(relation)
        .where(exp.LT(this=start, expression=_ts(last + timedelta(days=1)))),
    )


def daily_scan(
    columns: Sequence[tuple[str, exp.Expression]],
    metric: str,
    first: date,
    last: date,
    relation: str = RELATION,
) -> exp.Select:
    """Costs by ``columns`` (alias, expression), currency and day, each combination numbered."""
    keyed = [expr.copy().as_(alias) for alias, expr in columns]
    inner = (
        exp.select(
            *keyed,
            exp.column("BillingCurrency", quoted=True).as_("currency"),
            charge_day().as_("day"),
            exp.Sum(this=exp.column(metric, quoted=True)).as_("cost"),
        )
        .from_(relation)
        .where(window_condition(first, last))
        .group_by(*[expr.copy() for _, expr in columns], exp.column("BillingCurrency", quoted=True),
                  charge_day())
    )
    order = exp.Order(
        expressions=[exp.Ordered(this=exp.column(a)) for a, _ in columns]
        + [exp.Ordered(this=exp.column("currency"))]
    )
    combo = exp.Window(this=exp.Anonymous(this="DENSE_RANK"), order=order).as_("combo")
    return exp.select(exp.Star(), combo).from_(inner.subquery("scan"))


Relation = exp.Table | exp.Subquery


def _aliased(relation: Relation, alias: str) -> Relation:
    out = relation.copy()
    out.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return out


def combos(daily: Relation, aliases: Sequence[str]) -> exp.Select:
    return _for(
        "distinct filter values",
        exp.select("combo", *aliases, "currency").distinct().from_(daily.copy()),
    )


def series(daily: Relation, mapping: Relation) -> exp.Select:
    """Daily sums of each series: the scan joined with the (series, combo, since) pairs."""
    d, m = _aliased(daily, "d"), _aliased(mapping, "m")
    return _for(
        "daily series",
        exp.select(
            exp.column("series", "m"),
            exp.column("day", "d"),
            exp.cast(exp.Sum(this=exp.column("cost", "d")), "DOUBLE").as_("cost"),
        )
        .from_(d)
        .join(m, on=exp.EQ(this=exp.column("combo", "d"), expression=exp.column("combo", "m")))
        .where(exp.GTE(this=exp.column("day", "d"), expression=exp.column("since", "m")))
        .group_by(exp.column("series", "m"), exp.column("day", "d")),
    )
