"""Cost impact in ``plan``: what each created or changed budget would say today.

For every budget a plan creates, updates or replaces, the period-to-date
actual and forecast under the new spec and the alerts that would fire now
("budget.ml-training-q1: 41,200.00 of 40,000.00 spent (103%): the 100% alert
would fire"). Without a cost store (or with an empty one) there is no section
and nothing else about the plan changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.evaluate.model import BudgetStatus, Control
from finopsmetrics_cli.evaluate.sqltext import money

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config, Settings
    from finopsmetrics_cli.plan.model import Plan

BUDGET_ACTIONS = ("create", "update", "replace")
#: kinds whose created or changed objects get a line: budgets, then what policies
#: match and what tag rules change in coverage
IMPACT_KINDS = ("budget", "policy", "lifecycle_rule", "tag_rule", "ownership_rule")



def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _thresholds(values: Sequence[float]) -> str:
    names = [_pct(v) for v in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True, slots=True)
class BudgetImpact:
    address: str
    action: str
    status: BudgetStatus | None  # None: disabled, or not active on that day

    def line(self) -> str:
        s = self.status
        if s is None:
            return f"{self.address}: not active on this day (disabled or outside its dates)"
        spent = f"{money(s.actual)} of {money(s.amount)} spent"
        head = f"{self.address}: {spent} ({_pct(s.percent_actual)})"
        actual = [a.threshold for a in s.alerts_fired if a.type == "actual"]
        forecast = [a.threshold for a in s.alerts_fired if a.type == "forecasted"]
        if actual:
            head += f": the {_thresholds(actual)} alert{'s' if len(actual) > 1 else ''} would fire"
        tail = f"; forecast {money(s.forecast)} ({_pct(s.percent_forecast)})"
        if forecast:
            plural = "s" if len(forecast) > 1 else ""
            tail += f": the {_thresholds(forecast)} forecasted alert{plural} would fire"
        elif not actual:
            tail += ": no alert would fire"
        return head + tail

    def to_dict(self) -> dict[str, Any]:
        s = self.status
        data: dict[str, Any] = {
            "address": self.address, "action": self.action, "message": self.line(),
        }  # fmt: skip
        if s is not None:
            data.update(
                period={"type": s.period, "start": s.start.isoformat(), "end": s.end.isoformat()},
                amount=round(s.amount, 2), currency=s.currency, actual=round(s.actual, 2),
                forecast=round(s.forecast, 2), percent_actual=round(s.percent_actual, 4),
                percent_forecast=round(s.percent_forecast, 4),
                alerts_would_fire=[{"threshold": a.threshold, "type": a.type}
                                   for a in s.alerts_fired],
            )  # fmt: skip
        return data


@dataclass(frozen=True, slots=True)
class ControlImpact:
    """A created or changed policy (resources matched, their monthly cost) or tag rule
    (coverage of each key without and with it)."""

    address: str
    action: str
    message: str
    data: dict[str, Any]

    def line(self) -> str:
        return f"{self.address}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "action": self.action, "message": self.message,
                **self.data}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CostImpact:
    at: date | None
    budgets: tuple[BudgetImpact, ...] = ()
    problem: str | None = None  # why it could not be computed (e.g. a currency mismatch)
    policies: tuple[ControlImpact, ...] = ()
    tag_rules: tuple[ControlImpact, ...] = ()

    def _items(self) -> list[BudgetImpact | ControlImpact]:
        return [*self.budgets, *self.policies, *self.tag_rules]

    def lines(self) -> list[str]:
        when = f" (cost data through {self.at.isoformat()})" if self.at else ""
        out = [f"Cost impact{when}:"]
        if self.problem:
            out.append(f"  not available: {self.problem}")
        out += [f"  {b.line()}" for b in self._items()]
        return out

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "at": self.at.isoformat() if self.at else None,
            "budgets": [b.to_dict() for b in self.budgets],
            "problem": self.problem,
        }
        if self.policies:
            doc["policies"] = [p.to_dict() for p in self.policies]
        if self.tag_rules:
            doc["tag_rules"] = [t.to_dict() for t in self.tag_rules]
        return doc

    def markdown(self) -> str:
        when = f" (cost data through {self.at.isoformat()})" if self.at else ""
        rows = [f"#### Cost impact{when}", ""]
        if self.problem:
            rows.append(f"> not available: {self.problem}")
        rows += [f"- {b.line()}" for b in self._items()]
        return "\n".join(rows) + "\n"


def cost_impact(
    plan: Plan, settings: Settings | None, *, today: date, config: Config | None = None
) -> CostImpact | None:
    """The section for ``plan``, or None (no budget, policy or tag rule created or
    changed, no cost data). ``config``'s virtual tags, rules, allocations and business
    mappings build ``costs_enriched``, as they will once applied."""
    changed = [c for c in plan.changes
               if c.kind in IMPACT_KINDS and c.action in BUDGET_ACTIONS and c.after is not None]
    if not changed:
        return None
    from finopsmetrics_cli.costs.store import CostStore, resolve_cost_store_path

    path = resolve_cost_store_path(None, settings)
    if not path.is_file():
        return None
    from finopsmetrics_cli.errors import FinopsError
    from finopsmetrics_cli.evaluate.engine import DuckDBAdapter
    from finopsmetrics_cli.evaluate.enrich import ENRICHMENT_KINDS
    from finopsmetrics_cli.evaluate.runner import run
    from finopsmetrics_cli.evaluate.service import (
        condition_schema,
        controls_of_config,
        inventory_path,
    )

    raw = settings.raw if settings is not None else {}
    metric = raw.get("costs", {}).get("metric") if isinstance(raw.get("costs"), dict) else None
    controls = [Control(c.kind, c.name, dict(c.after or {})) for c in changed]
    kinds = tuple(k for k in IMPACT_KINDS if any(c.kind == k for c in changed))
    try:
        with CostStore(path).connect() as conn:
            result, _ = run(DuckDBAdapter(conn), controls, store=str(path), today=today,
                            kinds=kinds, metric=metric, schema=condition_schema(settings),
                            inventory=inventory_path(None, settings, None),
                            context=controls_of_config(config, ENRICHMENT_KINDS)
                            if config is not None else ())  # fmt: skip
    except FinopsError as exc:
        if exc.message.startswith("no cost data"):
            return None
        return CostImpact(None, problem=exc.message)
    statuses = {s.name: s for s in result.budgets}
    return CostImpact(
        result.data_through,
        tuple(BudgetImpact(c.address, c.action, statuses.get(c.name))
              for c in changed if c.kind == "budget"),  # fmt: skip
        policies=_policy_impacts(changed, result.sections.get("policies", [])),
        tag_rules=_coverage_impacts(changed, result.sections.get("coverage", [])),
    )


Rows = Sequence[dict[str, Any]]


def _policy_impacts(changed: Sequence[Any], rows: Rows) -> tuple[ControlImpact, ...]:
    found = {f"{r['kind']}.{r['name']}": r for r in rows}
    out = []
    for c in changed:
        if c.kind not in ("policy", "lifecycle_rule"):
            continue
        row = found.get(c.address)
        if row is None:
            message, data = "disabled: matches nothing", {}
        elif row["status"] != "evaluated":
            why = ", ".join(row["missing_attributes"]) or row["reason"] or ""
            message = f"not evaluable ({why})"
            data = {"status": row["status"], "missing_attributes": row["missing_attributes"]}
        else:
            cost = ", ".join(f"{money(v)} {cur}" for cur, v in row["cost_monthly"].items())
            n = row["matched"]
            message = (f"would match {n} resource{'s' if n != 1 else ''}"
                       + (f" ({cost} a month)" if n else ""))  # fmt: skip
            data = {"status": "evaluated", "matched": n, "cost_monthly": row["cost_monthly"]}
        out.append(ControlImpact(c.address, c.action, message, data))
    return tuple(out)


def _coverage_impacts(changed: Sequence[Any], rows: Rows) -> tuple[ControlImpact, ...]:
    out = []
    for c in changed:
        if c.kind not in ("tag_rule", "ownership_rule"):
            continue
        mine = [r for r in rows if f"{r['kind']}.{r['rule']}" == c.address]
        if not mine:
            out.append(ControlImpact(c.address, c.action, "no coverage to compute", {}))
            continue
        parts = [f"{r['key']} {_pct(1 - r['missing_share_own_tags'])} -> "
                 f"{_pct(1 - r['missing_share'])}" for r in mine]  # fmt: skip
        data = {"coverage": [
            {"key": r["key"], "before": round(1 - r["missing_share_own_tags"], 4),
             "after": round(1 - r["missing_share"], 4)} for r in mine
        ]}  # fmt: skip
        out.append(ControlImpact(c.address, c.action,
                                 "coverage of spend (own tags -> with this rule's values): "
                                 + ", ".join(parts), data))  # fmt: skip
    return tuple(out)
