"""``reconcile --evaluate-every``: the controls act on a schedule, in the same process.

Each evaluation syncs the cost sources of the applied commit (``costs sync``),
then runs ``evaluate --notify`` on live state, so one long-running reconciler
is the whole loop: configuration applied from git, cost data fetched, findings
recorded, alerts delivered at most once. The configuration of the applied
commit (reviewed and merged) supplies the settings: the cost store, the
engine (``settings.costs.engine``: Spark or BigQuery), the metric, the
inventory file, custom attributes and ``console_url``. Its outcome is one
JSON line and the ``last_evaluation`` of ``reconcile status``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import FinopsError

if TYPE_CHECKING:
    from finopsmetrics_cli.engine import Engine

#: deliveries kept in the status file (the delivery log in the state has them all)
_STATUS_DELIVERIES = 20


def evaluate_once(
    engine: Engine,
    paths: Sequence[str | Path] | None,
    now_iso: str,
    checkout: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Sync costs, evaluate and notify; a record for the log and the status (never raises
    for a user-facing problem: the reconciler outlives a bad evaluation). ``checkout``
    writes a further file of the applied commit (a relative inventory file)."""
    from finopsmetrics_cli.costs.store import resolve_cost_store_path
    from finopsmetrics_cli.evaluate.service import EvaluateOptions
    from finopsmetrics_cli.notify.model import NotifyOptions
    from finopsmetrics_cli.notify.report import errors

    record: dict[str, Any] = {"at": now_iso, "ok": True}
    try:
        config = engine.load_config(list(paths)) if paths else None
        settings = config.settings if config is not None else None
        synced = _sync(engine, config)
        if synced is not None:
            record["costs"] = synced
        costs = str(resolve_cost_store_path(None, settings))
        console = (settings.raw.get("console_url") if settings is not None else None) or None
        notify = NotifyOptions.from_environ(send=True, environ=os.environ)
        notify = _with_console(notify, console)
        # live state carries no settings: the applied commit's choose the engine, the
        # metric, the inventory file and custom attributes (the environment still overrides)
        where = Path(config.files[0]).parent if config is not None and config.files else None
        inventory = settings.raw.get("costs", {}).get("inventory") if settings else None
        if checkout is not None and where is not None and isinstance(inventory, str):
            checkout(where / inventory)
        options = EvaluateOptions(costs=costs, settings=settings, settings_dir=where)
        result, report = engine.evaluate_and_notify(None, options, notify)
    except FinopsError as exc:
        record.update(ok=False, error=exc.message)
        return record
    counts = {"new": 0, "open": 0, "resolved": 0}
    for finding in result.findings:
        counts[finding.status] += 1
    record.update(
        evaluated_at=result.at.isoformat(), data_through=result.data_through.isoformat(),
        findings=counts, sent=sum(1 for d in report.deliveries if d.status == "sent"),
        failed=len(errors(report)), held=len(report.held),
        deliveries=[
            {"channel": d.message.channel.name, "findings": [i.finding.id for i in d.message.items],
             "events": sorted({i.event for i in d.message.items}), "status": d.status,
             "attempts": d.attempts, "error": d.error}
            for d in report.deliveries[:_STATUS_DELIVERIES]
        ],
    )  # fmt: skip
    problems = errors(report)
    if problems:
        record.update(ok=False, error="; ".join(problems))
    return record


def _sync(engine: Engine, config: Any) -> dict[str, Any] | None:
    """``costs sync`` of the declared sources; None when none is declared."""
    from finopsmetrics_cli.costs.service import declared_sources

    if not declared_sources(engine, config):
        return None
    results = engine.costs_sync(config)
    failed = {r.source: r.error.message for r in results if r.error is not None}
    if failed:
        raise FinopsError(
            "costs sync failed: " + "; ".join(f"{k}: {v}" for k, v in sorted(failed.items()))
        )
    return {r.source: r.status for r in results}


def _with_console(options: Any, console: Any) -> Any:
    from dataclasses import replace

    return replace(options, console_url=str(console)) if isinstance(console, str) else options
