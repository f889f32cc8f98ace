"""Policies, lifecycle rules and compliance frameworks over the resource inventory.

Every policy condition (and every lifecycle rule's scope and age) is compiled
by the condition language's SQL back end and they all run in one query over
the inventory (``inventory``): one pass, a boolean column per policy, only
matching resources come back. A matching resource is a finding carrying the
policy's action, recorded and never executed. A condition that reads an
attribute no inventory provides is *not evaluable* (one warning per
attribute), never passing. Compliance frameworks roll their checks (policies
and rules of the same name, and policies naming the framework) up to a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finopsmetrics_cli.evaluate import inventory as inv
from finopsmetrics_cli.evaluate.model import Control, Finding
from finopsmetrics_cli.evaluate.registry import Context, Outcome, RowsEvaluator, register
from finopsmetrics_cli.evaluate.scan import SeriesResult
from finopsmetrics_cli.evaluate.sqltext import inline, literal, money

POLICY_KINDS = ("policy", "lifecycle_rule", "compliance_framework")
SCOPES = ("all_resources", "unowned_resources", "untagged_resources")
OWNER_KEYS = ("owner",)


@dataclass(slots=True)
class PolicyResult:
    control: Control
    action: str
    severity: str
    sql: str | None = None  # None: not evaluable
    missing: list[str] = field(default_factory=list)
    reason: str = ""
    matches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def evaluable(self) -> bool:
        return self.sql is not None

    def row(self) -> dict[str, Any]:
        cost: dict[str, float] = {}
        for m in self.matches:
            cost[m["currency"]] = round(cost.get(m["currency"], 0.0) + m["cost_monthly"], 2)
        return {
            "kind": self.control.kind,
            "name": self.control.name,
            "status": "evaluated" if self.evaluable else "not_evaluable",
            "action": self.action,
            "matched": len(self.matches),
            "cost_monthly": cost,
            "missing_attributes": self.missing,
            "reason": self.reason or None,
        }


def _action(control: Control) -> str:
    action = control.spec.get("action")
    if isinstance(action, Mapping):
        return str(action.get("type"))
    return str(action)


def compile_policies(
    controls: Sequence[Control], ctx: Context, inventory: inv.Inventory, warned: dict[str, str]
) -> list[PolicyResult]:
    """Each policy's SQL over the inventory, or why it cannot be evaluated."""
    from finopsmetrics_cli.conditions import ConditionError, ConditionErrors, compile_condition
    from finopsmetrics_cli.models.schedules import duration_seconds

    owners = set(OWNER_KEYS) | {
        str(c.spec.get("map_to") or "owner") for c in ctx.others.get("ownership_rule", ())
    }
    out: list[PolicyResult] = []
    for control in controls:
        spec = control.spec
        if spec.get("enabled") is False:
            continue
        result = PolicyResult(control, _action(control), str(spec.get("severity") or "medium"))
        out.append(result)
        if control.kind == "lifecycle_rule":
            scope = str(spec["scope"])
            if scope not in SCOPES:
                result.reason = f"scope {scope} is not known (scopes: {', '.join(SCOPES)})"
                continue
            age = f"(inv.age > {float(duration_seconds(str(spec['age_threshold'])))})"
            unowned = " AND ".join(f"inv.tags[{literal(k)}] IS NULL" for k in sorted(owners))
            scoped = "cardinality(inv.tags) = 0" if scope == "untagged_resources" else unowned
            result.sql = f"({age} AND {scoped})"
            continue
        try:
            condition = compile_condition(str(spec["condition"]), ctx.schema)
        except (ConditionError, ConditionErrors) as exc:
            result.reason = str(exc).splitlines()[0]
            continue
        missing = sorted(a for a in condition.attributes if _unavailable(a, inventory))
        if missing:
            result.missing = missing
            for attribute in missing:
                if attribute not in warned:
                    warned[attribute] = _missing_warning(attribute)
            continue
        result.sql = inline(condition.to_sql(_columns(inventory)))
    return out


def _missing_warning(attribute: str) -> str:
    context = attribute.split(".")[0]
    if context == "resource":
        return (
            f"{attribute}: no inventory provides it, so the policies reading it are not "
            "evaluable; add it to the inventory file (settings.costs.inventory)"
        )
    about = "who asks for a change" if context == "requester" else f"a {context}"
    return (
        f"{attribute}: {context}.* describes {about}, not a resource, so the policies "
        "reading it are not evaluable over the inventory"
    )


def _unavailable(attribute: str, inventory: inv.Inventory) -> bool:
    context, _, rest = attribute.partition(".")
    if context != "resource":
        return True
    return rest.split(".")[0] not in inventory.columns


def _columns(inventory: inv.Inventory) -> Any:
    def column(path: str) -> str | None:
        return inventory.column(path)

    return column


def run_policies(ctx: Context, results: list[PolicyResult], inventory: inv.Inventory) -> None:
    """One query: a boolean per evaluable policy, only resources matching one come back."""
    assert ctx.adapter is not None
    live = [r for r in results if r.sql is not None]
    if not live:
        return
    flags = ", ".join(f"coalesce({r.sql}, FALSE) AS p{i}" for i, r in enumerate(live))
    any_ = " OR ".join(f"p{i}" for i in range(len(live)))
    # what the message shows is what the conditions saw (the inventory file's value first)
    shown = ", ".join(
        f"{inventory.columns[a]} AS {a}" for a in ("name", "type", "region", "account")
    )
    sql = (
        f"SELECT * FROM (SELECT inv.id, {shown}, "
        f"inv.cost_monthly, inv.currency, {flags} FROM {inv.relation(inventory)}) "
        f"WHERE {any_} ORDER BY cost_monthly DESC NULLS LAST, id"
    )
    for rid, name, type_, region, account, cost, currency, *hits in ctx.adapter.fetch_sql(sql):
        resource = {
            "resource": rid,
            "name": name,
            "type": type_,
            "region": region,
            "account": account,
            "cost_monthly": round(float(cost or 0.0), 2),
            "currency": currency,
        }
        for result, hit in zip(live, hits, strict=True):
            if hit:
                result.matches.append(resource)


def compliance(
    frameworks: Sequence[Control], results: Sequence[PolicyResult]
) -> list[tuple[Control, dict[str, Any]]]:
    """Each framework's checks (named like a policy or rule, or policies naming the
    framework) and its score: passed / evaluated checks."""
    by_name = {_norm(r.control.name): r for r in results}
    out = []
    for control in frameworks:
        spec = control.spec
        framework = str(spec.get("framework") or control.name)
        checks: list[tuple[str, str]] = [
            (str(c["id"]), str(name)) for c in spec.get("controls") or () for name in c["checks"]
        ]
        checks += [("", str(name)) for name in spec.get("requirements") or ()]
        named = {_norm(n) for _, n in checks}
        checks += [
            ("", r.control.name)
            for r in results
            if _norm(str(r.control.spec.get("compliance_framework") or ""))
            in (_norm(framework), _norm(control.name))
            and _norm(r.control.name) not in named
        ]
        rows = []
        for control_id, name in checks:
            result = by_name.get(_norm(name))
            if result is None or not result.evaluable:
                status = "not_evaluable"
            else:
                status = "failed" if result.matches else "passed"
            rows.append(
                {
                    "control": control_id or None,
                    "check": name,
                    "status": status,
                    "by": result.control.address if result else None,
                    "violations": len(result.matches) if result else 0,
                }
            )
        passed = sum(r["status"] == "passed" for r in rows)
        failed = sum(r["status"] == "failed" for r in rows)
        score = passed / (passed + failed) if passed + failed else None
        state = (
            "not_evaluable" if score is None else ("compliant" if score == 1 else "non_compliant")
        )
        out.append(
            (
                control,
                {
                    "name": control.name,
                    "framework": framework,
                    "status": state,
                    "score": None if score is None else round(score, 4),
                    "passed": passed,
                    "failed": failed,
                    "not_evaluable": len(rows) - passed - failed,
                    "checks": rows,
                },
            )
        )
    return out


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass(slots=True)
class _Run:
    ctx: Context
    results: list[PolicyResult]
    frameworks: list[tuple[Control, dict[str, Any]]]
    warnings: list[str]
    warned: bool = False  # the warnings went out with the first evaluator of the run


def shared_run(ctx: Context) -> _Run:
    """Policies and lifecycle rules of the run, evaluated once for all three kinds."""
    cached: _Run | None = ctx.shared.get("policies")
    if cached is not None:
        return cached
    assert ctx.adapter is not None and ctx.schema is not None
    controls = [c for k in ("policy", "lifecycle_rule") for c in ctx.others.get(k, ())]
    frameworks = list(ctx.others.get("compliance_framework", ()))
    results: list[PolicyResult] = []
    warned: dict[str, str] = {}
    if controls or frameworks:
        inventory = inv.build(
            ctx.adapter, at=ctx.at, metric=ctx.metric, path=ctx.inventory, schema=ctx.schema
        )
        results = compile_policies(controls, ctx, inventory, warned)
        run_policies(ctx, results, inventory)
    run = _Run(ctx, results, compliance(frameworks, results), list(warned.values()))
    ctx.shared["policies"] = run
    return run



def match_message(result: PolicyResult, m: Mapping[str, Any]) -> str:
    what = ", ".join(str(v) for v in (m["type"], m["region"], m["account"]) if v)
    cost = f"{money(m['cost_monthly'])} {m['currency']}/month"
    return f"{m['resource']} ({what}; {cost}) matches: action {result.action} (recorded, not run)"


class PolicyEvaluator(RowsEvaluator):
    kind = ""

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome:
        outcome = Outcome()
        if not controls or ctx.adapter is None:
            return outcome
        run = shared_run(ctx)
        wanted = {c.address: c for c in controls}
        if not run.warned:
            outcome.warnings += run.warnings
            run.warned = True
        if self.kind == "compliance_framework":
            for framework, row in run.frameworks:
                if framework.address in wanted:
                    self._framework(outcome, wanted[framework.address], row)
            return outcome
        for result in run.results:
            found = wanted.get(result.control.address)
            if found is None:
                continue
            control = found
            outcome.sections.setdefault("policies", []).append(result.row())
            if not result.evaluable and result.reason:
                outcome.warnings.append(f"{control.address}: not evaluable: {result.reason}")
            for m in result.matches:
                outcome.findings.append(
                    Finding(
                        kind=self.kind,
                        name=control.name,
                        type=f"{self.kind}_match",
                        key=str(m["resource"]),
                        severity=result.severity,
                        message=match_message(result, m),
                        location=control.location,
                        details={**m, "action": result.action},
                    )
                )
        return outcome

    def _framework(self, outcome: Outcome, control: Control, row: dict[str, Any]) -> None:
        outcome.sections.setdefault("compliance", []).append(row)
        unknown = [c["check"] for c in row["checks"] if c["status"] == "not_evaluable"]
        if unknown:
            outcome.warnings.append(
                f"{control.address}: {len(unknown)} of {len(row['checks'])} checks are not "
                f"evaluable (no evaluable policy or rule of that name): {', '.join(unknown)}"
            )
        for check in row["checks"]:
            if check["status"] != "failed":
                continue
            label = f"{check['control']} {check['check']}" if check["control"] else check["check"]
            outcome.findings.append(
                Finding(
                    kind=self.kind,
                    name=control.name,
                    type="compliance_check",
                    key=label,
                    severity="high",
                    location=control.location,
                    details=check,
                    message=f"{label}: {check['by']} matches {check['violations']} resource"
                    f"{'s' if check['violations'] != 1 else ''}; score {row['score'] * 100:.0f}%",
                )
            )


@register("policy")
class PolicyKind(PolicyEvaluator):
    kind = "policy"


@register("lifecycle_rule")
class LifecycleKind(PolicyEvaluator):
    kind = "lifecycle_rule"


@register("compliance_framework")
class ComplianceKind(PolicyEvaluator):
    kind = "compliance_framework"
