"""Evaluators, one per kind family, behind a small registry.

An evaluator asks for the daily series its controls need (the runner answers
every evaluator's requests with one scan) and turns them into statuses and
findings. Coverage and policies over the resource inventory register here
the same way (their own scan, their own kinds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from finopsmetrics_cli.evaluate.model import Anomaly, BudgetStatus, Control, Finding
from finopsmetrics_cli.evaluate.scan import SeriesRequest, SeriesResult

if TYPE_CHECKING:
    from finopsmetrics_cli.conditions import AttributeSchema
    from finopsmetrics_cli.evaluate.engine import EngineAdapter


@dataclass(frozen=True, slots=True)
class Context:
    """What every evaluator knows about the run."""

    at: date
    data_through: date
    first_day: date
    metric: str  # the cost column (EffectiveCost ...)
    since: date | None = None  # --since
    previous_at: date | None = None  # the previous recorded evaluation's --at
    #: for evaluators with their own scan (coverage, policies over the inventory)
    adapter: EngineAdapter | None = None
    schema: AttributeSchema | None = None  # condition attributes (settings.attributes)
    inventory: str | None = None  # settings.costs.inventory: resource attributes file
    #: every control of the run by kind, also of kinds not chosen (compliance reads policies)
    others: Mapping[str, Sequence[Control]] = field(default_factory=dict)
    #: what evaluators of several kinds compute once per run (coverage's scan, the
    #: policies' inventory), kept with the run rather than in module globals
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(slots=True)
class Outcome:
    budgets: list[BudgetStatus] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: control address -> first day its dated findings were looked for this run
    #: (stored dated findings before it are neither re-reported nor resolved)
    scopes: dict[str, date] = field(default_factory=dict)
    first_report_day: date | None = None
    #: further sections of the result by name (``coverage``, ``policies``, ``compliance``):
    #: JSON-ready rows that every output renders
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class Evaluator(Protocol):
    kind: str

    def requests(self, controls: Sequence[Control], ctx: Context) -> list[SeriesRequest]: ...

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome: ...


class RowsEvaluator:
    """An evaluator that reads rows of its own (coverage, policies, allocations): it asks
    the shared scan for no daily series."""

    kind = ""

    def requests(self, controls: Sequence[Control], ctx: Context) -> list[SeriesRequest]:
        return []


EVALUATORS: dict[str, Callable[[], Evaluator]] = {}


def register(kind: str) -> Callable[[Callable[[], Evaluator]], Callable[[], Evaluator]]:
    def decorate(factory: Callable[[], Evaluator]) -> Callable[[], Evaluator]:
        EVALUATORS[kind] = factory
        return factory

    return decorate


def evaluators() -> dict[str, Evaluator]:
    """Every registered evaluator, by kind (importing the modules registers them)."""
    from finopsmetrics_cli.evaluate import (  # noqa: F401
        allocations,
        anomalies,
        budgets,
        coverage,
        policies,
    )

    return {kind: factory() for kind, factory in EVALUATORS.items()}
