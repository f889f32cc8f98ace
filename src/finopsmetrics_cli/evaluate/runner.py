"""One evaluation run: check the data and dates, one scan for every evaluator, results."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.costs.focus import METRICS
from finopsmetrics_cli.errors import EvaluationError
from finopsmetrics_cli.evaluate import query
from finopsmetrics_cli.evaluate.engine import EngineAdapter
from finopsmetrics_cli.evaluate.model import Control, EvaluationResult, severity_rank
from finopsmetrics_cli.evaluate.registry import Context, Outcome, evaluators
from finopsmetrics_cli.evaluate.scan import scan_costs

if TYPE_CHECKING:
    from finopsmetrics_cli.conditions import AttributeSchema

NO_DATA_HINT = "run `finopsmetrics costs sync`"


def evaluable_kinds() -> tuple[str, ...]:
    return tuple(evaluators())


def check_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    """The kinds to evaluate (all by default); an unknown one is an error with a suggestion."""
    known = evaluable_kinds()
    if not kinds:
        return known
    for kind in kinds:
        if kind not in known:
            close = difflib.get_close_matches(kind, known, n=1)
            raise EvaluationError(
                f"--kind {kind!r} cannot be evaluated"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                hint=f"kinds with an evaluation: {', '.join(known)}",
            )
    return tuple(dict.fromkeys(kinds))


def metric_column(metric: str | None) -> str:
    name = metric or "effective"
    if name not in METRICS:
        raise EvaluationError(
            f"settings.costs.metric {name!r} is not a cost metric",
            hint=f"metrics: {', '.join(METRICS)}",
        )
    return METRICS[name]


def resolve_dates(
    adapter: EngineAdapter, at: date | None, since: date | None, today: date, store: str
) -> tuple[date, date, date]:
    """``(at, data_through, first_day)``; errors for no data and for impossible dates."""
    rows = adapter.fetch(query.data_range())
    if adapter.estimating:  # a dry run returns no rows: the dates stand in from --at or today
        rows = [(at or today, at or today, 1)]
    first, last, count = rows[0]
    if not count:
        raise EvaluationError(
            f"no cost data: the cost store {store} has no cost rows", hint=NO_DATA_HINT
        )
    if at is None:
        at = last
    elif at > today:
        raise EvaluationError(
            f"--at {at.isoformat()} is in the future (today is {today.isoformat()})",
            hint=f"leave --at out to evaluate as of the last day with data ({last.isoformat()})",
        )
    elif at < first:
        raise EvaluationError(
            f"--at {at.isoformat()} is before the cost data, which starts on {first.isoformat()}",
            hint=f"choose a day from {first.isoformat()} to {last.isoformat()}",
        )
    if since is not None and since > at:
        raise EvaluationError(
            f"--since {since.isoformat()} is after --at {at.isoformat()}",
            hint="--since is the first day anomalies are reported for",
        )
    rows = adapter.fetch(query.last_day_through(at))
    through = at if adapter.estimating else rows[0][0]  # (a dry run returns no rows)
    return at, through, first


def run(
    adapter: EngineAdapter,
    controls: Sequence[Control],
    *,
    store: str,
    today: date,
    at: date | None = None,
    since: date | None = None,
    kinds: Sequence[str] | None = None,
    metric: str | None = None,
    previous_at: date | None = None,
    context: Sequence[Control] = (),
    schema: AttributeSchema | None = None,
    inventory: str | None = None,
) -> tuple[EvaluationResult, Outcome]:
    """Evaluate ``controls`` of the chosen kinds; the outcome carries the scopes of
    dated findings (what the state needs to tell resolved from not looked at).

    ``context``: further objects the run reads but does not report on (virtual
    tags, allocations and business mappings build ``costs_enriched``; compliance
    frameworks read the policies)."""
    from finopsmetrics_cli.conditions import AttributeSchema
    from finopsmetrics_cli.evaluate.enrich import install

    schema = schema or AttributeSchema.default()
    chosen = check_kinds(kinds)
    column = metric_column(metric)
    everything = {c.address: c for c in [*context, *controls]}.values()
    enrichment = install(adapter, list(everything), schema)
    at, through, first = resolve_dates(adapter, at, since, today, store)
    others: dict[str, list[Control]] = {}
    for control in everything:
        others.setdefault(control.kind, []).append(control)
    ctx = Context(at=at, data_through=through, first_day=first, metric=column, since=since,
                  previous_at=previous_at, adapter=adapter, schema=schema, inventory=inventory,
                  others=others)  # fmt: skip
    registry = evaluators()
    by_kind: dict[str, list[Control]] = {k: [] for k in chosen}
    for control in controls:
        if control.kind in by_kind:
            by_kind[control.kind].append(control)
    requests = [r for k in chosen for r in registry[k].requests(by_kind[k], ctx)]
    series = scan_costs(adapter, requests, metric=column, at=at)
    total = Outcome()
    for kind in chosen:
        part = registry[kind].evaluate(by_kind[kind], ctx, series)
        _merge(total, part)
    if total.errors:
        first_error, *rest = total.errors
        more = f" (and {len(rest)} more: {'; '.join(rest)})" if rest else ""
        raise EvaluationError(first_error + more, hint="no findings were recorded")
    result = EvaluationResult(
        at=at, data_through=through, anomalies_since=total.first_report_day,
        currency_metric=column, kinds=chosen, budgets=total.budgets,
        anomalies=sorted(total.anomalies, key=lambda a: (a.day, a.detector)),
        findings=sorted(total.findings, key=_finding_order),
        warnings=list(dict.fromkeys(enrichment.warnings + total.warnings)),
        sections=total.sections,
    )  # fmt: skip
    return result, total


def _merge(total: Outcome, part: Outcome) -> None:
    total.budgets += part.budgets
    total.anomalies += part.anomalies
    total.findings += part.findings
    total.warnings += part.warnings
    total.errors += part.errors
    total.scopes.update(part.scopes)
    for name, rows in part.sections.items():
        total.sections.setdefault(name, []).extend(rows)
    if part.first_report_day is not None and (
        total.first_report_day is None or part.first_report_day < total.first_report_day
    ):
        total.first_report_day = part.first_report_day


def _finding_order(f: Any) -> tuple[Any, ...]:
    return (-severity_rank(f.severity), f.kind, f.name, f.key)
