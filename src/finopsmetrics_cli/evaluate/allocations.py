"""Cost allocations as evaluated: what each target got this month, and the remainder.

The split itself happens in ``costs_enriched`` (``enrich``): every row of the
shared resource becomes one row per target, and the parts add up exactly. Here
one query sums the month to ``--at`` by allocation and target, and one sums the
shared resources as billed (``costs``); each target's amount is rounded to the
cent, and what those rounded amounts leave of the rounded total is shown as
the remainder (at most a few cents, never dropped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from finopsmetrics_cli.evaluate.model import Control
from finopsmetrics_cli.evaluate.periods import clipped_period
from finopsmetrics_cli.evaluate.query import labelled
from finopsmetrics_cli.evaluate.registry import Context, Outcome, RowsEvaluator, register
from finopsmetrics_cli.evaluate.scan import SeriesResult
from finopsmetrics_cli.evaluate.sqltext import charge_window, literal, quote

CENT = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)



@register("cost_allocation")
class AllocationEvaluator(RowsEvaluator):
    kind = "cost_allocation"

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome:
        outcome = Outcome()
        if not controls or ctx.adapter is None:
            return outcome
        bounds = clipped_period("monthly", ctx.at, None, None)
        assert bounds is not None
        start, end = bounds[0], ctx.at + timedelta(days=1)
        window = charge_window(start, end)
        cost = quote(ctx.metric)
        parts: dict[str, dict[tuple[str, str], Decimal]] = {}
        for name, target, currency, amount in ctx.adapter.fetch_sql(labelled(
            "allocated cost by target",
            'SELECT "x_Allocation", "x_AllocationTarget", "BillingCurrency", '
            f'sum({cost}) FROM costs_enriched WHERE "x_Allocation" IS NOT NULL AND {window} '
            "GROUP BY ALL",
        )):  # fmt: skip
            parts.setdefault(str(name), {})[(str(target), str(currency))] = Decimal(amount or 0)
        ids = sorted({str(c.spec["resource_id"]) for c in controls})
        totals: dict[str, dict[str, Decimal]] = {}
        for resource, currency, amount in ctx.adapter.fetch_sql(labelled(
            "shared resources' cost",
            f'SELECT "ResourceId", "BillingCurrency", sum({cost}) FROM main.costs '
            f'WHERE "ResourceId" IN ({", ".join(literal(i) for i in ids)}) AND {window} '
            "GROUP BY ALL",
        )):  # fmt: skip
            totals.setdefault(str(resource), {})[str(currency)] = Decimal(amount or 0)
        for control in sorted(controls, key=lambda c: c.name):
            resource = str(control.spec["resource_id"])
            total = totals.get(resource, {})
            if not total:
                outcome.warnings.append(
                    f"{control.address}: {resource} has no cost from {start.isoformat()} to "
                    f"{ctx.at.isoformat()}; nothing to split"
                )
            got = parts.get(control.name, {})
            targets = [
                {"target": target, "currency": cur, "amount": float(_cents(amount))}
                for (target, cur), amount in sorted(got.items())
            ]  # fmt: skip
            remainder = {
                cur: float(_cents(value) - sum(_cents(a) for (_, c), a in got.items() if c == cur))
                for cur, value in sorted(total.items())
            }  # fmt: skip
            outcome.sections.setdefault("allocations", []).append({
                "name": control.name, "resource_id": resource,
                "period": {"start": start.isoformat(), "end": ctx.at.isoformat()},
                "total": {cur: float(_cents(v)) for cur, v in sorted(total.items())},
                "targets": targets, "remainder": remainder,
            })  # fmt: skip
        return outcome
