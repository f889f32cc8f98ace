"""What ``Engine.evaluate_and_notify`` does: evaluate, then route, render and
(unless it is a dry run) send, all under the state's writer lock, recording
every attempt in the delivery log before the lock is released.

Sending only ever starts from live state: what was applied after review. A
configuration from a branch (``evaluate PATH``) may be previewed with a dry
run, which resolves no secret and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.errors import NotificationError
from finopsmetrics_cli.notify import log as delivery_log
from finopsmetrics_cli.notify.model import (
    Channel,
    Delivery,
    Message,
    NotifyOptions,
    NotifyReport,
)
from finopsmetrics_cli.notify.routing import Rule, route

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.evaluate.model import EvaluationResult
    from finopsmetrics_cli.evaluate.service import EvaluateOptions

LIVE_ONLY = (
    "--notify sends from live state only (what was applied after review), "
    "not from a configuration file"
)


def evaluate_and_notify(
    engine: Engine, config: Config | None, options: EvaluateOptions, notify: NotifyOptions
) -> tuple[EvaluationResult, NotifyReport]:
    from finopsmetrics_cli.evaluate.service import evaluate

    if notify.send and config is not None:
        raise NotificationError(
            LIVE_ONLY,
            hint="apply the configuration, then run evaluate "
            "--notify without a PATH (or preview it with --dry-run)",
        )
    holder: dict[str, NotifyReport] = {}

    def then(writer: Any, result: EvaluationResult) -> None:
        holder["report"] = _under_lock(writer, result, notify)

    result = evaluate(engine, config, options, then=None if config is not None else then)
    if "report" in holder:
        return result, holder["report"]
    if config is None:  # no state yet: nothing was applied, nothing to send
        return result, NotifyReport(dry_run=not notify.send)
    return result, _preview_config(engine, config, result, notify)


def _now(notify: NotifyOptions) -> datetime:
    now = notify.now or datetime.now(UTC)
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def _under_lock(writer: Any, result: EvaluationResult, notify: NotifyOptions) -> NotifyReport:
    from finopsmetrics_cli.evaluate.service import write_in_state

    now = _now(notify)
    channels = _channels((o.name, o.spec) for o in writer.list(kind="notification_channel"))
    rules = [Rule(o.name, o.spec) for o in writer.list(kind="notification_rule")]
    addresses = {f.address for f in result.findings}
    objects = {a: o.spec for a, o in writer.get_many(addresses).items()}
    writer.release_connection()
    log = delivery_log.read_state(writer.path, lambda conn: delivery_log.load(conn, now))
    routed = route(result, objects, channels, rules, log, now, notify.console_url)
    report = NotifyReport(not notify.send, routed.messages, routed.held, routed.undeliverable)
    if not notify.send:
        return report
    from finopsmetrics_cli.notify.channels import send_all

    # A local state records deliveries as they finish (a run killed while sending
    # repeats as little as possible); a remote one uploads once, at the end.
    remote = writer.after_commit is not None
    recorded: list[Delivery] = []

    def record(batch: list[Delivery]) -> None:
        write_in_state(writer, lambda conn: delivery_log.record(conn, batch, now))

    def progress(batch: list[Delivery]) -> None:
        if remote:
            recorded.extend(batch)
        else:
            record(batch)

    report.deliveries = send_all(routed.messages, notify, now, progress=progress)
    lost = [
        Delivery(Message(f"U{u.item.finding.id}", Channel(u.target, "unknown", {}), [u.item],
                         u.item.rule), "failed", 0, u.reason)  # fmt: skip
        for u in routed.undeliverable
    ]
    report.deliveries += lost
    if recorded or lost:
        record(recorded + lost)
    return report


def _preview_config(
    engine: Engine, config: Config, result: EvaluationResult, notify: NotifyOptions
) -> NotifyReport:
    """A dry run of a configuration: its channels and rules, the state's delivery log."""
    from finopsmetrics_cli import state as state_pkg

    now = _now(notify)
    objects = config.objects.values()
    channels = _channels((o.name, o.spec) for o in objects if o.kind == "notification_channel")
    rules = [Rule(o.name, o.spec) for o in objects if o.kind == "notification_rule"]
    specs = {o.address: o.spec for o in objects}
    log = delivery_log.DeliveryLog()
    if not state_pkg.is_remote(engine.location):
        log = delivery_log.read_state(engine.location, lambda conn: delivery_log.load(conn, now))
    routed = route(result, specs, channels, rules, log, now, notify.console_url)
    return NotifyReport(True, routed.messages, routed.held, routed.undeliverable)


def _channels(items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Channel]:
    return {name: Channel(name, str(spec.get("type")), spec) for name, spec in items}
