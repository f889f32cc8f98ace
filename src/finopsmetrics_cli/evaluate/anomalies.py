"""Anomaly detectors: each detector's daily series (per ``group_by`` value) scanned
by its model (``detectors``) over the days being reported."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from finopsmetrics_cli.evaluate.detectors import (
    DetectorSettings,
    method_for,
    scan,
    severity,
)
from finopsmetrics_cli.evaluate.model import Anomaly, Control, Finding, severity_rank
from finopsmetrics_cli.evaluate.registry import Context, Outcome, register
from finopsmetrics_cli.evaluate.scan import FilterValue, GroupKey, SeriesRequest, SeriesResult

DAY = 86400
DEFAULT_MIN_RELATIVE = 0.2  # min_impact.relative's default (models.optimization.MinImpact)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": 7 * DAY}


def window_days(text: str) -> int:
    """Whole days of a canonical duration (``7d``, ``2w``, ``36h`` -> 2), at least 1.

    Parsed here rather than through the models: importing them costs ~0.1 s."""
    seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)\s*([smhdw])", text.lower()))
    return max(1, -(-seconds // DAY))


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """The fields of an anomaly_detector's canonical spec that evaluation reads."""

    model: str
    settings: DetectorSettings
    filters: dict[str, FilterValue]
    group_by: tuple[str, ...]
    min_severity: str
    enabled: bool

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> DetectorSpec:
        model = spec.get("model") or {}
        model = {"type": model} if isinstance(model, str) else model  # `model: prophet`
        declared = str(model.get("type", "isolation_forest"))
        window = window_days(str(model.get("window", "7d")))
        impact = spec.get("min_impact") or {}
        group_by = spec.get("group_by") or ()
        return cls(
            model=declared,
            settings=DetectorSettings(
                method=method_for(declared),
                sensitivity=float(model.get("sensitivity", 0.95)),
                window=int(window),
                min_impact=float(impact.get("absolute", 0.0)),
                min_relative=float(impact.get("relative", DEFAULT_MIN_RELATIVE)),
            ),
            filters=dict(spec.get("filters") or {}),
            group_by=(group_by,) if isinstance(group_by, str) else tuple(group_by),
            min_severity=str((spec.get("alerts") or {}).get("min_severity", "low")),
            enabled=bool(spec.get("enabled", True)),
        )


def report_from(spec: DetectorSpec, ctx: Context) -> date:
    """First day reported: --since, else the day after the previous evaluation, going
    back at most the detector's window (a first run reports the last window)."""
    if ctx.since is not None:
        return ctx.since
    earliest = ctx.at - timedelta(days=spec.settings.window - 1)
    if ctx.previous_at is not None and ctx.previous_at < ctx.at:
        return max(ctx.previous_at + timedelta(days=1), earliest)
    return earliest


def warm_up(spec: DetectorSpec) -> timedelta:
    """History scanned before the first reported day, so spikes in it are already
    known (and kept out of the fits) when the reported days are scored."""
    return timedelta(days=2 * spec.settings.fit_days + 7)


def series_label(group_by: Sequence[str], group: GroupKey) -> dict[str, str | None]:
    return dict(zip(group_by, group, strict=True))


def daily_points(days: Mapping[date, float], first: date, last: date) -> list[tuple[date, float]]:
    """The series from ``first`` to ``last``, days without rows as 0."""
    return [
        (first + timedelta(days=i), days.get(first + timedelta(days=i), 0.0))
        for i in range((last - first).days + 1)
    ]


@register("anomaly_detector")
class AnomalyEvaluator:
    kind = "anomaly_detector"

    def requests(self, controls: Sequence[Control], ctx: Context) -> list[SeriesRequest]:
        out = []
        for control in controls:
            spec = DetectorSpec.of(control.spec)
            if spec.enabled:
                since = report_from(spec, ctx) - warm_up(spec)
                out.append(SeriesRequest(control.address, spec.filters, since, spec.group_by))
        return out

    def evaluate(
        self, controls: Sequence[Control], ctx: Context, series: Mapping[str, SeriesResult]
    ) -> Outcome:
        outcome = Outcome()
        for control in controls:
            spec = DetectorSpec.of(control.spec)
            result = series.get(control.address)
            if result is None:
                continue
            first = report_from(spec, ctx)
            outcome.scopes[control.address] = first
            if outcome.first_report_day is None or first < outcome.first_report_day:
                outcome.first_report_day = first
            for key in result.missing:
                outcome.warnings.append(
                    f"{control.address}: no cost row has a value for {key!r} "
                    "(a dimension or tag key), so the detector watches nothing"
                )
            if len(result.currencies) > 1:
                outcome.warnings.append(
                    f"{control.address}: its series mixes currencies "
                    f"({', '.join(sorted(result.currencies))}); filter it to one"
                )
            # every group starts when the detector's data does: a service that appears
            # with a large cost is new spend, an anomaly like any other
            # (from this detector's own first day: a series shared with another control
            # may reach further back, and must not change what this one finds)
            since = first - warm_up(spec)
            starts = [max(min(days), since) for days in result.groups.values() if days]
            for group, days in sorted(result.groups.items(), key=lambda g: str(g[0])):
                if not days:
                    continue
                points = daily_points(days, min(starts), ctx.at)
                for flag in scan(points, spec.settings, first):
                    self._add(outcome, control, spec, series_label(spec.group_by, group), flag)
        return outcome

    def _add(self, outcome: Outcome, control: Control, spec: DetectorSpec,
             labels: dict[str, str | None], flag: Any) -> None:
        level = severity(flag.actual, flag.expected)
        if severity_rank(level) < severity_rank(spec.min_severity):
            return
        anomaly = Anomaly(
            detector=control.name, day=flag.day, series=labels, actual=round(flag.actual, 2),
            expected=round(flag.expected, 2), severity=level, model=spec.model,
            method=spec.settings.method, shape=flag.shape,
        )  # fmt: skip
        outcome.anomalies.append(anomaly)
        where = ", ".join(f"{k}={v}" for k, v in labels.items())
        ran = spec.model if spec.model == spec.settings.method else (
            f"{spec.model}, run as {spec.settings.method}"
        )
        what = "level shift from" if flag.shape == "level_shift" else "spike on"
        message = (
            f"{what} {flag.day.isoformat()}{f' ({where})' if where else ''}: "
            f"{anomaly.actual:,.2f} spent, {anomaly.expected:,.2f} expected "
            f"(+{anomaly.impact:,.2f}; model {ran})"
        )
        outcome.findings.append(
            Finding(
                kind=self.kind, name=control.name, type="anomaly",
                key=f"{flag.day.isoformat()} {where}".strip(), severity=level, message=message,
                location=control.location, day=flag.day,
                details={"series": labels, "shape": flag.shape},
            )
        )  # fmt: skip
