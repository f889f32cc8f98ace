"""``finopsmetrics reconcile`` and ``finopsmetrics reconcile status``.

A thin layer: option parsing, signal handling and JSON-lines logging; the loop
itself is :class:`finopsmetrics_cli.gitops.reconciler.Reconciler`.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from typer.core import TyperGroup

from finopsmetrics_cli.cli.output import handle_errors
from finopsmetrics_cli.errors import FinopsError


def default_work_dir(state: str | None) -> Path:
    """Beside a local state (``.finopsmetrics/reconcile``); under ``./.finopsmetrics`` for S3."""
    from finopsmetrics_cli.state import is_remote, resolve_state_location

    location = resolve_state_location(state)
    if is_remote(location):
        return Path(".finopsmetrics") / "reconcile"
    return Path(location).expanduser().parent / "reconcile"


class JsonLinesLog:
    """One JSON object per line, flushed at once (journald / kubectl logs friendly)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "info",
            **record,
        }
        if record.get("ok") is False and "level" not in record:
            line["level"] = "warning"
        with self.lock:
            self.stream.write(json.dumps(line, default=str, sort_keys=False) + "\n")
            self.stream.flush()


class ReconcileGroup(TyperGroup):
    """``reconcile`` is a command that also has one subcommand (``status``).

    Click shows a group as ``reconcile [OPTIONS] COMMAND [ARGS]...`` and cannot
    mark ``--repo`` required (``reconcile status`` runs without it). The loop is
    what ``reconcile`` means, so its help reads as a command's: ``reconcile
    [OPTIONS]``, ``--repo`` required; ``status`` is listed under Commands."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return ["[OPTIONS]"]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        repo = next(p for p in self.params if p.name == "repo")
        repo.required = True  # shown as required; enforced in the callback (not for status)
        try:
            super().format_help(ctx, formatter)
        finally:
            repo.required = False


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        cls=ReconcileGroup,
        help="GitOps: follow a git branch and keep live state converged. "
        "`finopsmetrics reconcile status` shows what it last applied and attempted.",
        invoke_without_command=True,
        no_args_is_help=False,
    )

    @group.callback()
    def reconcile(
        ctx: typer.Context,
        repo: Annotated[
            str | None, typer.Option("--repo", help="Git URL or local path to follow.")
        ] = None,
        ref: Annotated[
            str, typer.Option("--ref", help="Branch, tag or commit to follow.")
        ] = "main",
        path: Annotated[
            list[str] | None,
            typer.Option("--path", help="Config file or directory in the repository (repeatable)."),
        ] = None,
        interval: Annotated[
            str, typer.Option("--interval", help="Time between cycles (60s, 5m).")
        ] = "60s",
        once: Annotated[
            bool, typer.Option("--once", help="Run one cycle and exit (cron).")
        ] = False,
        mode: Annotated[
            str, typer.Option("--mode", help="apply, or drift-only to never write.")
        ] = "apply",
        self_heal: Annotated[
            bool, typer.Option("--self-heal", help="Revert drift by re-applying.")
        ] = False,
        max_destroy: Annotated[
            int | None,
            typer.Option("--max-destroy", min=0, help="Refuse commits destroying more than N."),
        ] = None,
        state: Annotated[
            str | None, typer.Option("--state", help="State path or s3://bucket/key.")
        ] = None,
        work_dir: Annotated[
            Path | None,
            typer.Option("--work-dir", help="Git mirror and status.json (default: beside state)."),
        ] = None,
        log_file: Annotated[
            Path | None, typer.Option("--log-file", help="Append JSON-lines logs here.")
        ] = None,
        lock_timeout: Annotated[
            str, typer.Option("--lock-timeout", help="Wait this long for the state lock.")
        ] = "30s",
        evaluate_every: Annotated[
            str | None,
            typer.Option(
                "--evaluate-every",
                help="Also run costs sync + evaluate --notify this often (1h, 30m).",
            ),
        ] = None,
    ) -> None:
        """Follow --repo at --ref: apply new commits, report or heal drift between them."""
        if ctx.invoked_subcommand is not None:
            return
        with handle_errors():
            if not repo:
                raise FinopsError(
                    "--repo is required", hint="pass a git URL or a local repository path"
                )
            if mode not in ("apply", "drift-only"):
                raise FinopsError(f"unknown --mode {mode!r}", hint="use apply or drift-only")
        from finopsmetrics_cli.gitops.reconciler import ReconcileOptions, Reconciler
        from finopsmetrics_cli.state.lock import parse_duration

        with handle_errors():
            every = parse_duration(interval, option="--interval")
            wait = parse_duration(lock_timeout, option="--lock-timeout")
            evaluate = (
                parse_duration(evaluate_every, option="--evaluate-every")
                if evaluate_every is not None
                else None
            )
            if evaluate is not None and evaluate <= 0:
                raise FinopsError(
                    "--evaluate-every must be longer than 0s", hint="e.g. --evaluate-every 1h"
                )
        options = ReconcileOptions(
            repo=repo,
            ref=ref,
            paths=tuple(p.strip("/") or "." for p in (path or ["finopsmetrics.yaml"])),
            interval=every,
            mode=mode,  # type: ignore[arg-type]
            self_heal=self_heal,
            max_destroy=max_destroy,
            state=state,
            work_dir=work_dir or default_work_dir(state),
            lock_timeout=wait,
            evaluate_every=evaluate,
        )
        stream: IO[str] = log_file.open("a", encoding="utf-8") if log_file else sys.stdout
        log = JsonLinesLog(stream)
        stop = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            log({"event": "signal", "signal": signal.Signals(signum).name})
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            with handle_errors():
                code = Reconciler(options, log, stop).run(once=once)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if log_file:
                stream.close()
        raise typer.Exit(code)

    @group.command("status")
    def status(
        state: Annotated[
            str | None, typer.Option("--state", help="State path or s3://bucket/key.")
        ] = None,
        work_dir: Annotated[
            Path | None, typer.Option("--work-dir", help="The reconciler's work dir.")
        ] = None,
        output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    ) -> None:
        """Last applied and last attempted revisions: when, and why."""
        from finopsmetrics_cli.gitops.status import load_status, status_location

        path = status_location(state, work_dir or default_work_dir(state))
        with handle_errors():
            found = load_status(path)
            if found is None:
                raise FinopsError(
                    f"no reconciler has run here ({path} does not exist)",
                    hint="pass the same --state or --work-dir the reconciler uses",
                )
        if output == "json":
            typer.echo(json.dumps(found.to_json(), indent=2, sort_keys=True))
        else:
            typer.echo(render_status(found))

    app.add_typer(group, name="reconcile")


def render_status(status: Any) -> str:
    """The text view of ``reconcile status``."""
    lines = [
        f"Repository:     {status.repo} (ref {status.ref}, path {', '.join(status.paths)}, "
        f"mode {status.mode})"
    ]
    applied = status.last_applied
    lines.append(
        f"Last applied:   {applied.commit[:12]} {applied.message!r} at {applied.at} "
        f"({applied.summary or applied.result})"
        if applied
        else "Last applied:   none yet"
    )
    attempted = status.last_attempted
    if attempted is None:
        lines.append("Last attempted: none yet")
    elif attempted.error:
        retry = ""
        if attempted.next_retry_at:
            at = datetime.fromtimestamp(attempted.next_retry_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            retry = f", next retry after {at}"
        lines.append(
            f"Last attempted: {attempted.commit[:12]} {attempted.message!r} at {attempted.at}: "
            f"FAILED (attempt {attempted.attempts}{retry})"
        )
        lines.append(f"  why: {attempted.error}")
    else:
        lines.append(
            f"Last attempted: {attempted.commit[:12]} {attempted.message!r} at {attempted.at} "
            f"({attempted.result})"
        )
    lines.append(
        f"Last cycle:     {status.last_cycle_at or 'never'} ({status.last_cycle_action or '-'}), "
        f"{status.cycles} cycles"
    )
    if status.last_evaluation is not None:
        lines.extend(render_evaluation(status.last_evaluation))
    if status.last_drift is not None:
        drifted = status.last_drift.get("addresses") or []
        lines.append(
            f"Drift:          {len(drifted)} object(s) at {status.last_drift.get('at')}"
            + (f": {', '.join(drifted)}" if drifted else "")
        )
    return "\n".join(lines)


def render_evaluation(record: dict[str, Any]) -> list[str]:
    """``Last evaluation:`` and its deliveries (``reconcile --evaluate-every``)."""
    if "findings" not in record:
        return [f"Last evaluation: {record.get('at')}: FAILED", f"  why: {record.get('error')}"]
    counts = record["findings"]
    lines = [
        f"Last evaluation: {record.get('at')} (data through {record.get('data_through')}): "
        f"{counts['new']} new, {counts['open']} open, {counts['resolved']} resolved findings; "
        f"notifications: {record.get('sent', 0)} sent, {record.get('failed', 0)} failed, "
        f"{record.get('held', 0)} held"
    ]
    for d in record.get("deliveries") or []:
        what = ", ".join(d["findings"])
        error = f": {d['error']}" if d.get("error") else ""
        lines.append(f"  {d['status']}: {d['channel']} <- {what}{error}")
    if record.get("error"):
        lines.append(f"  why: {record['error']}")
    return lines
