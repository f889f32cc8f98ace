"""The one result of an evaluation: what every output (text, json, markdown,
sarif, github) renders and what the state keeps as findings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from finopsmetrics_cli.errors import Location

FindingStatus = Literal["new", "open", "resolved"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """Order of severities (unknown ones rank lowest)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def finding_id(kind: str, name: str, type_: str, key: str) -> str:
    """A stable id: the same control, type and key give the same id in every run."""
    digest = hashlib.sha256(f"{kind}.{name}\x00{type_}\x00{key}".encode()).hexdigest()
    return f"F{digest[:15]}"


@dataclass(frozen=True, slots=True)
class Control:
    """One object to evaluate: from live state (no location) or a config file."""

    kind: str
    name: str
    spec: dict[str, Any]
    location: Location | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


@dataclass(slots=True)
class Finding:
    """Something a control found that a person should know about.

    ``key`` is what makes it this finding and not another of the same control
    (``actual 80% 2024-03``, ``2024-03-14 service=EC2``); the id is derived
    from it, so re-running the same evaluation gives the same ids.
    """

    kind: str
    name: str
    type: str
    key: str
    severity: str
    message: str
    location: Location | None = None
    status: FindingStatus = "new"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    #: the day the finding is about (an anomaly's date); None for standing findings
    day: date | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return finding_id(self.kind, self.name, self.type, self.key)

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


@dataclass(frozen=True, slots=True)
class AlertFired:
    threshold: float
    type: str


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget as of ``at``: its period, spend so far and forecast."""

    name: str
    period: str
    start: date
    end: date
    amount: float
    currency: str
    actual: float
    forecast: float
    alerts_fired: tuple[AlertFired, ...] = ()
    active: bool = True

    @property
    def percent_actual(self) -> float:
        return self.actual / self.amount if self.amount else 0.0

    @property
    def percent_forecast(self) -> float:
        return self.forecast / self.amount if self.amount else 0.0


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A day above a detector's expected band (SPEC: expected, actual, impact, severity)."""

    detector: str
    day: date
    series: dict[str, str | None]
    actual: float
    expected: float
    severity: str
    #: the declared model type and the method that ran it (they differ for
    #: isolation_forest, prophet and arima)
    model: str
    method: str
    #: "spike" (one day) or "level_shift" (the first day of a new, higher level)
    shape: str = "spike"

    @property
    def impact(self) -> float:
        return self.actual - self.expected


@dataclass(slots=True)
class EvaluationResult:
    """Everything one run found; renderers only read it."""

    at: date
    data_through: date
    anomalies_since: date | None
    currency_metric: str
    kinds: tuple[str, ...]
    budgets: list[BudgetStatus] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: further sections by name (coverage, policies, compliance): JSON-ready rows
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: True when the findings were recorded in the state (live state runs)
    recorded: bool = False
    #: what running it cost where it ran (BigQuery: bytes processed); printed on stderr
    notes: list[str] = field(default_factory=list)

    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "resolved"]
