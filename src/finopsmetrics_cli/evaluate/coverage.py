"""Tag coverage of ``tag_rule`` and ``ownership_rule``: how much spend lacks each key.

One scan of ``costs_enriched`` over the 30 days to ``--at`` groups the cost by
account, resource, currency and, per rule and key, whether the rule selects
the row, whether the row carries the key itself and whether it has it once
virtual values count (what the rules infer: ``enrich``; nothing is written to a
cloud). Everything else is sums in Python over those few groups. Charges
without a resource (taxes, support) cannot carry tags and are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from finopsmetrics_cli.evaluate.enrich import Builder, own_tag, ownership_value
from finopsmetrics_cli.evaluate.model import Control, Finding
from finopsmetrics_cli.evaluate.query import labelled
from finopsmetrics_cli.evaluate.registry import Context, Outcome, RowsEvaluator, register
from finopsmetrics_cli.evaluate.scan import SeriesResult
from finopsmetrics_cli.evaluate.sqltext import charge_window, money, quote

COVERAGE_KINDS = ("tag_rule", "ownership_rule")
WINDOW_DAYS = 30
TOP_RESOURCES = 5


@dataclass(slots=True)
class KeyCoverage:
    """Spend a rule selects, and how much of it lacks one key (own tags / with virtual)."""

    rule: Control
    key: str
    spend: dict[str, float] = field(default_factory=dict)  # by currency
    missing_own: dict[str, float] = field(default_factory=dict)
    missing: dict[str, float] = field(default_factory=dict)  # after virtual values
    by_account: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    untagged: dict[tuple[str, str], float] = field(default_factory=dict)  # (resource, cur)

    def share(self, part: Mapping[str, float]) -> float:
        total = sum(self.spend.values())
        return sum(part.values()) / total if total else 0.0


@dataclass(frozen=True, slots=True)
class _Check:
    rule: Control
    key: str
    selector: int  # column index of the rule's selector
    own: int  # column index: the row has the key itself
    effective: int  # ... or as a virtual value


def required_keys(control: Control) -> list[str]:
    """The keys a rule wants on its resources."""
    spec = control.spec
    if control.kind == "ownership_rule":
        return [str(spec.get("map_to") or "owner")]
    keys = list(spec.get("tags") or {})
    keys += [str(i["tag"]) for i in spec.get("inference_rules") or ()]
    keys += [str(t) for t in (spec.get("ml_prediction") or {}).get("tags") or ()]
    for rule in spec.get("rules") or ():
        keys += list(rule.get("tags") or {})
    return list(dict.fromkeys(keys))


def _virtual(key: str, available: set[str]) -> str:
    own = own_tag(key)
    column = f"x_VirtualTags.{key}"
    return f"coalesce({own}, {quote(column)})" if column in available else own


def measure(ctx: Context, rules: Sequence[Control]) -> tuple[list[KeyCoverage], list[str]]:
    """Coverage per (rule, key) in one scan; warnings for rules cost rows cannot answer."""
    assert ctx.adapter is not None
    builder = Builder(ctx.schema)
    has_virtual = set(ctx.adapter.columns("costs_enriched"))
    exprs: list[str] = []
    checks: list[_Check] = []

    def column(sql: str) -> int:
        if sql not in exprs:
            exprs.append(sql)
        return exprs.index(sql)

    for rule in rules:
        if rule.spec.get("enabled") is False:
            continue
        if rule.kind == "tag_rule":
            selector = builder.selector(rule)
            if selector is None:
                continue
            for key in required_keys(rule):
                checks.append(
                    _Check(
                        rule,
                        key,
                        column(selector),
                        column(f"({own_tag(key)} IS NOT NULL)"),
                        column(f"({_virtual(key, has_virtual)} IS NOT NULL)"),
                    )
                )
        else:
            key = required_keys(rule)[0]
            source = ownership_value(str(rule.spec["source"]), rule.spec) or own_tag(key)
            checks.append(
                _Check(
                    rule,
                    key,
                    column("TRUE"),
                    column(f"(coalesce({own_tag(key)}, {source}) IS NOT NULL)"),
                    column(f"({_virtual(key, has_virtual)} IS NOT NULL)"),
                )
            )
    if not checks:
        return [], builder.warnings
    flags = ", ".join(f"{sql} AS f{i}" for i, sql in enumerate(exprs))
    start, end = ctx.at - timedelta(days=WINDOW_DAYS - 1), ctx.at + timedelta(days=1)
    sql = (
        'SELECT coalesce("SubAccountId", "SubAccountName", \'(none)\') AS account, '
        f'"ResourceId", "BillingCurrency", {flags}, CAST(sum({quote(ctx.metric)}) AS DOUBLE) '
        'FROM costs_enriched WHERE "ResourceId" IS NOT NULL '
        f"AND {charge_window(start, end)} "
        "GROUP BY ALL"
    )
    rows = ctx.adapter.fetch_sql(labelled("tag coverage", sql))
    out = {(c.rule.address, c.key): KeyCoverage(c.rule, c.key) for c in checks}
    for account, resource, currency, *values in rows:
        cost = float(values[-1] or 0.0)
        for check in checks:
            if not values[check.selector]:
                continue
            cov = out[(check.rule.address, check.key)]
            cov.spend[currency] = cov.spend.get(currency, 0.0) + cost
            per = cov.by_account.setdefault((str(account), currency), [0.0, 0.0])
            per[0] += cost
            if not values[check.own]:
                cov.missing_own[currency] = cov.missing_own.get(currency, 0.0) + cost
            if not values[check.effective]:
                cov.missing[currency] = cov.missing.get(currency, 0.0) + cost
                per[1] += cost
                where = (str(resource), currency)
                cov.untagged[where] = cov.untagged.get(where, 0.0) + cost
    return list(out.values()), builder.warnings




def coverage_row(cov: KeyCoverage, at: date) -> dict[str, Any]:
    accounts = sorted(cov.by_account.items(), key=lambda item: (-item[1][1], item[0]))
    top = sorted(cov.untagged.items(), key=lambda item: (-item[1], item[0]))[:TOP_RESOURCES]
    return {
        "kind": cov.rule.kind,
        "rule": cov.rule.name,
        "key": cov.key,
        "window": {
            "start": (at - timedelta(days=WINDOW_DAYS - 1)).isoformat(),
            "end": at.isoformat(),
        },
        "spend": {c: round(v, 2) for c, v in sorted(cov.spend.items())},
        "missing": {c: round(v, 2) for c, v in sorted(cov.missing.items())},
        "missing_share": round(cov.share(cov.missing), 4),
        "missing_share_own_tags": round(cov.share(cov.missing_own), 4),
        "by_account": [
            {
                "account": a,
                "currency": c,
                "spend": round(s, 2),
                "missing": round(m, 2),
                "missing_share": round(m / s, 4) if s else 0.0,
            }
            for (a, c), (s, m) in accounts
        ],
        "top_untagged": [{"resource": r, "currency": c, "cost": round(v, 2)} for (r, c), v in top],
    }


def coverage_message(row: Mapping[str, Any]) -> str:
    """``team: 42% of spend lacks it (1,234.56 of 2,938.00 USD over 30 days); ...``."""
    amounts = "; ".join(
        f"{money(row['missing'].get(c, 0.0))} of {money(s)} {c}" for c, s in row["spend"].items()
    )
    own = row["missing_share_own_tags"] - row["missing_share"]
    text = (
        f"{row['key']}: {row['missing_share'] * 100:.0f}% of spend lacks it "
        f"({amounts} over {WINDOW_DAYS} days)"
    )
    if own > 0:
        text += f"; virtual values cover another {own * 100:.0f}%"
    worst = [a for a in row["by_account"] if a["missing"] > 0][:1]
    if worst:
        text += f"; worst account {worst[0]['account']} ({worst[0]['missing_share'] * 100:.0f}%)"
    if row["top_untagged"]:
        tops = ", ".join(f"{t['resource']} ({money(t['cost'])})" for t in row["top_untagged"][:3])
        text += f"; top untagged: {tops}"
    return text


def severity_of(share: float) -> str:
    return "high" if share >= 0.5 else ("medium" if share >= 0.2 else "low")


@dataclass(slots=True)
class _Run:
    ctx: Context
    rows: list[dict[str, Any]]
    controls: dict[str, Control]
    warnings: list[str]


def _shared(ctx: Context) -> _Run:
    """One scan for both kinds of a run (each evaluator takes its own rows)."""
    cached: _Run | None = ctx.shared.get("coverage")
    if cached is not None:
        return cached
    rules = [c for k in COVERAGE_KINDS for c in ctx.others.get(k, ())]
    found, warnings = measure(ctx, rules)
    run = _Run(
        ctx, [coverage_row(c, ctx.at) for c in found], {c.address: c for c in rules}, warnings
    )
    ctx.shared["coverage"] = run
    return run


class CoverageEvaluator(RowsEvaluator):
    kind = ""

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome:
        outcome = Outcome()
        if not controls or ctx.adapter is None:
            return outcome
        run = _shared(ctx)
        wanted = {c.address: c for c in controls}
        outcome.warnings += [w for w in run.warnings if w.split(":")[0] in wanted]
        rows = [r for r in run.rows if f"{r['kind']}.{r['rule']}" in wanted]
        if rows:
            outcome.sections["coverage"] = rows
        for row in rows:
            control = wanted[f"{row['kind']}.{row['rule']}"]
            if row["missing_share"] <= 0:
                continue
            outcome.findings.append(
                Finding(
                    kind=self.kind,
                    name=control.name,
                    type="tag_coverage",
                    key=row["key"],
                    severity=severity_of(row["missing_share"]),
                    message=coverage_message(row),
                    location=control.location,
                    details=row,
                )
            )
        return outcome


@register("tag_rule")
class TagRuleCoverage(CoverageEvaluator):
    kind = "tag_rule"


@register("ownership_rule")
class OwnershipCoverage(CoverageEvaluator):
    kind = "ownership_rule"
