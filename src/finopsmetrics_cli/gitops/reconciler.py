"""``finopsmetrics reconcile``: follow a git branch and keep live state converged.

Flux-style, on the engine: each cycle fetches the branch into a private bare
mirror (nobody's working tree is touched), and

* when the branch moved: validates, plans and applies the new commit, whose SHA
  is recorded in state history (``source = "reconcile"``);
* when it did not: checks drift against the applied commit and, with
  ``--self-heal``, applies that commit's plan again, which reverts it.

A bad commit (invalid YAML, failed plan, mass-deletion guard) never reaches
state: it is recorded as the last *attempted* revision with its error, the last
good revision stays applied, and retries of that same commit back off
exponentially while a newer commit is tried at once. Every cycle writes one
JSON line; the status file (``status.py``) survives restarts and cron runs.

Stopping is cooperative: a signal sets ``stop``, which is checked before any
write starts; an apply that has begun is one state transaction and finishes.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from finopsmetrics_cli import __version__
from finopsmetrics_cli.errors import FinopsError, PlanError, StateError
from finopsmetrics_cli.gitops.gitrepo import GitError, git_module, materialize
from finopsmetrics_cli.gitops.status import (
    ReconcileStatus,
    Revision,
    load_status,
    save_status,
    status_location,
)

Mode = Literal["apply", "drift-only"]
LogSink = Callable[[dict[str, Any]], None]

MAX_BACKOFF_SECONDS = 3600.0
FETCH_TIMEOUT_SECONDS = 300.0
_URL_SECRET = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^/@:\s]*):[^/@\s]*@")


def redact_url(text: str) -> str:
    """Hide passwords and tokens in URLs (``https://user:TOKEN@host``) before logging."""
    return _URL_SECRET.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


@dataclass(frozen=True, slots=True)
class ReconcileOptions:
    repo: str
    work_dir: Path
    ref: str = "main"
    paths: tuple[str, ...] = ("finopsmetrics.yaml",)
    interval: float = 60.0
    mode: Mode = "apply"
    self_heal: bool = False
    max_destroy: int | None = None
    state: str | None = None
    actor: str | None = None
    lock_timeout: float = 0.0
    max_backoff: float = MAX_BACKOFF_SECONDS
    #: ``--evaluate-every``: costs sync + evaluate --notify this often (None: never)
    evaluate_every: float | None = None

    @property
    def status_location(self) -> str:
        """``status.json`` in the work dir, or ``KEY.reconcile.json`` beside an S3 state."""
        return status_location(self.state, self.work_dir)

    @property
    def mirror_path(self) -> Path:
        return self.work_dir / "mirror.git"


@dataclass(slots=True)
class CycleOutcome:
    """What one cycle did; ``action`` is the word logged and shown in status."""

    action: str  # applied | unchanged | drift | healed | failed | backoff | planned | stopped
    commit: str | None = None
    ok: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def backoff_seconds(attempts: int, interval: float, ceiling: float) -> float:
    """Retry delay after ``attempts`` failures of the same commit: interval × 2^(n-1)."""
    base = max(interval, 1.0)
    return float(min(base * (2 ** max(attempts - 1, 0)), ceiling))


class Reconciler:
    """One reconciler over one work directory (a file lock keeps it single)."""

    def __init__(
        self,
        options: ReconcileOptions,
        log: LogSink,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.log = log
        self.stop = stop or threading.Event()
        self.clock = clock
        self._cycle = 0
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ loop
    def run(self, *, once: bool = False) -> int:
        """Cycle until stopped (or once). Returns the process exit code."""
        self._take_work_dir()
        try:
            self.log(
                {
                    "event": "start",
                    "version": __version__,
                    "repo": redact_url(self.options.repo),
                    "ref": self.options.ref,
                    "mode": self.options.mode,
                    "once": once,
                }
            )
            code = 0
            every = self.options.evaluate_every
            next_cycle = next_evaluation = self.clock()
            while not self.stop.is_set():
                if self.clock() >= next_cycle:
                    code = _exit_code(self.cycle(), self.options.mode)
                    next_cycle = self.clock() + self.options.interval
                if every is not None and self.clock() >= next_evaluation:
                    if not self.evaluation() and once:
                        code = code or 1
                    next_evaluation = self.clock() + every
                if once:
                    break
                due = min(next_cycle, next_evaluation if every is not None else next_cycle)
                self.stop.wait(max(due - self.clock(), 0.0))
            self.log(
                {
                    "event": "stop",
                    "cycles": self._cycle,
                    "reason": "once" if once and not self.stop.is_set() else "signal",
                }
            )
            return code if once else 0
        finally:
            self._release_work_dir()

    def cycle(self) -> CycleOutcome:
        """One fetch-and-converge pass; never raises for a user-facing problem."""
        self._cycle += 1
        started = time.monotonic()
        try:
            status = load_status(self.options.status_location) or ReconcileStatus()
        except FinopsError as exc:  # unreadable status: say so every cycle, keep running
            outcome = CycleOutcome("failed", None, ok=False, detail={"error": exc.message,
                                                                     "hint": exc.hint})  # fmt: skip
            self._log_cycle(outcome, started)
            return outcome
        settings = (redact_url(self.options.repo), self.options.ref, list(self.options.paths))
        if (status.repo, status.ref, status.paths) != settings:
            status.last_attempted = None  # new settings: a failed commit deserves a fresh try
        status.repo, status.ref, status.paths = settings
        status.mode = self.options.mode
        try:
            outcome = self._converge(status)
        except FinopsError as exc:  # fetch failures and state problems
            outcome = CycleOutcome("failed", None, ok=False, detail={"error": _message(exc)})
        except Exception as exc:  # a daemon outlives a bug in one cycle, but says so loudly
            detail = {"error": f"internal error: {type(exc).__name__}: {exc}", "level": "error"}
            outcome = CycleOutcome("failed", None, ok=False, detail=detail)
        status.cycles += 1
        status.last_cycle_at = now_iso()
        status.last_cycle_action = outcome.action
        try:
            save_status(self.options.status_location, status)
        except FinopsError as exc:  # e.g. S3 briefly unreachable: the next cycle rewrites it
            outcome.detail["status_error"] = exc.message
        self._log_cycle(outcome, started)
        return outcome

    def evaluation(self) -> bool:
        """``costs sync`` + ``evaluate --notify`` with the applied commit's settings;
        recorded in the status (``last_evaluation``) and logged. False when it failed."""
        from finopsmetrics_cli.gitops.evaluation import evaluate_once

        started = time.monotonic()
        try:
            status = load_status(self.options.status_location) or ReconcileStatus()
        except FinopsError as exc:
            self.log({"event": "evaluate", "ok": False, "error": exc.message})
            return False
        applied = status.last_applied.commit if status.last_applied else None
        if applied is None:
            record = evaluate_once(self._engine(None), None, now_iso())
        else:
            commit = self._mirror().commit(applied)
            checkout = self._checkout(commit)
            with checkout as paths:
                record = evaluate_once(self._engine(applied), paths, now_iso(), checkout.add)
            record["commit"] = applied
        status.last_evaluation = record
        try:
            save_status(self.options.status_location, status)
        except FinopsError as exc:
            record["status_error"] = exc.message
        duration = round((time.monotonic() - started) * 1000)
        self.log({"event": "evaluate", **record, "duration_ms": duration})
        return bool(record.get("ok"))

    def _log_cycle(self, outcome: CycleOutcome, started: float) -> None:
        self.log(
            {
                "event": "cycle",
                "cycle": self._cycle,
                "action": outcome.action,
                "commit": outcome.commit,
                "ok": outcome.ok,
                "duration_ms": round((time.monotonic() - started) * 1000),
                **outcome.detail,
            }
        )

    # ------------------------------------------------------------ decisions
    def _converge(self, status: ReconcileStatus) -> CycleOutcome:
        head = self._fetch()
        sha = head.hexsha
        applied = status.last_applied.commit if status.last_applied else None
        if self.options.mode == "drift-only":
            return self._report_only(status, head)
        if sha != applied:
            attempted = status.last_attempted
            if (
                attempted is not None
                and attempted.commit == sha
                and attempted.error is not None
                and attempted.next_retry_at is not None
                and self.clock() < attempted.next_retry_at
            ):
                detail = {
                    "error": attempted.error,
                    "attempts": attempted.attempts,
                    "retry_in_s": round(attempted.next_retry_at - self.clock(), 1),
                }
                return CycleOutcome("backoff", sha, ok=False, detail=detail)
            return self._apply_commit(status, head)
        return self._check_drift(status, head)

    def _apply_commit(self, status: ReconcileStatus, commit: Any) -> CycleOutcome:
        sha = commit.hexsha
        previous = status.last_attempted
        retrying = previous is not None and previous.commit == sha and previous.error is not None
        attempts = previous.attempts + 1 if previous is not None and retrying else 1
        try:
            with self._checkout(commit) as paths:
                engine = self._engine(sha)
                config = engine.load_config(paths)
                plan, result = engine.plan_and_apply(config, confirm=self._may_apply)
        except FinopsError as exc:
            error = _message(exc)
            delay = backoff_seconds(attempts, self.options.interval, self.options.max_backoff)
            status.last_attempted = Revision(
                sha,
                now_iso(),
                "failed",
                _subject(commit),
                error=error,
                attempts=attempts,
                next_retry_at=self.clock() + delay,
            )
            return CycleOutcome(
                "failed",
                sha,
                ok=False,
                detail={"error": error, "attempts": attempts, "retry_in_s": delay},
            )
        if result is None:
            return CycleOutcome("stopped", sha, detail={"reason": "signal before apply"})
        done = result.line() if plan.has_changes else "No changes."
        revision = Revision(sha, now_iso(), "applied", _subject(commit), summary=done)
        status.last_applied = status.last_attempted = revision
        detail = {"plan": plan.summary.line(), "result": done, "serial": result.serial}
        return CycleOutcome("applied", sha, detail=detail)

    def _check_drift(self, status: ReconcileStatus, commit: Any) -> CycleOutcome:
        sha = commit.hexsha
        with self._checkout(commit) as paths:
            engine = self._engine(sha)
            config = engine.load_config(paths)
            report = engine.drift(config)
            drifted = [item.address for item in report.items]
            status.last_drift = {"at": now_iso(), "commit": sha, "addresses": drifted}
            if not self.options.self_heal:
                action = "drift" if drifted else "unchanged"
                return CycleOutcome(action, sha, detail={"drifted": drifted} if drifted else {})
            plan, result = engine.plan_and_apply(config, confirm=self._may_apply)
        if not plan.has_changes:
            return CycleOutcome("unchanged", sha)
        if result is None:
            return CycleOutcome("stopped", sha, detail={"reason": "signal before self-heal"})
        return CycleOutcome(
            "healed",
            sha,
            detail={"drifted": drifted, "plan": plan.summary.line(), "result": result.line()},
        )

    def _report_only(self, status: ReconcileStatus, commit: Any) -> CycleOutcome:
        """drift-only: validate and plan the branch head, report, write nothing."""
        sha = commit.hexsha
        try:
            with self._checkout(commit) as paths:
                engine = self._engine(sha)
                config = engine.load_config(paths)
                report = engine.drift(config)
                plan = engine.plan(config)
                self._guard(plan)
        except FinopsError as exc:
            error = _message(exc)
            status.last_attempted = Revision(
                sha, now_iso(), "failed", _subject(commit), error=error
            )
            return CycleOutcome("failed", sha, ok=False, detail={"error": error})
        drifted = [item.address for item in report.items]
        status.last_drift = {"at": now_iso(), "commit": sha, "addresses": drifted}
        status.last_attempted = Revision(
            sha, now_iso(), "planned", _subject(commit), summary=plan.summary.line()
        )
        if not drifted and not plan.has_changes:
            return CycleOutcome("unchanged", sha)
        return CycleOutcome("drift", sha, detail={"drifted": drifted, "plan": plan.summary.line()})

    # ------------------------------------------------------------- helpers
    def _engine(self, sha: str | None) -> Any:
        from finopsmetrics_cli.engine import Engine

        return Engine(
            self.options.state,
            actor=self.options.actor,
            source="reconcile",
            lock_timeout=self.options.lock_timeout,
            git_commit=sha,
        )

    def _may_apply(self, plan: Any) -> bool:
        """Called under the state lock with the plan in hand: last chance to refuse."""
        self._guard(plan)
        return not self.stop.is_set()

    def _guard(self, plan: Any) -> None:
        """``--max-destroy``, on top of the engine's own mass-deletion guard."""
        limit = self.options.max_destroy
        if limit is not None and plan.summary.destroy > limit:
            raise PlanError(
                f"the plan would destroy {plan.summary.destroy} objects, more than "
                f"--max-destroy {limit}",
                hint="if intended, raise --max-destroy or apply this commit by hand",
            )

    def _checkout(self, commit: Any) -> _Checkout:
        return _Checkout(commit, self.options.paths, self.options.work_dir)

    def _fetch(self) -> Any:
        """Bring the mirror up to date and return the commit the ref points at."""
        repo = self._mirror()
        git = git_module()
        try:
            repo.git.fetch(
                "origin", "--prune", "--force", "--tags", "+refs/heads/*:refs/heads/*",
                kill_after_timeout=FETCH_TIMEOUT_SECONDS,
            )  # fmt: skip
        except git.GitCommandError as exc:
            raise GitError(
                f"git fetch from {redact_url(self.options.repo)} failed: "
                f"{redact_url(_git_stderr(exc))}",
                hint="check --repo, network access and credentials",
            ) from exc
        for candidate in (
            f"refs/heads/{self.options.ref}",
            f"refs/tags/{self.options.ref}",
            self.options.ref,
        ):
            try:
                return repo.commit(candidate)
            except (git.BadName, git.BadObject, ValueError):
                continue
        raise GitError(
            f"ref {self.options.ref!r} not found in {redact_url(self.options.repo)}",
            hint="pass an existing branch, tag or commit with --ref",
        )

    def _mirror(self) -> Any:
        git = git_module()
        path = self.options.mirror_path
        url = _repo_url(self.options.repo)
        if (path / "HEAD").exists():
            repo = git.Repo(path)
            if repo.remote("origin").url != url:
                repo.remote("origin").set_url(url)
        else:
            repo = git.Repo.init(path, bare=True, mkdir=True)
            repo.create_remote("origin", url)
        repo.git.update_environment(GIT_TERMINAL_PROMPT="0")  # a daemon must fail, not hang
        return repo

    def _take_work_dir(self) -> None:
        """One reconciler per work directory: a second one fails instead of interleaving."""
        self.options.work_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.options.work_dir / "reconcile.pid", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StateError(
                f"another reconciler is running in {self.options.work_dir} (pid {holder})",
                hint="stop it first, or give this one its own --work-dir",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _release_work_dir(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class _Checkout:
    """The config paths of one commit in a temp dir below the work dir."""

    def __init__(self, commit: Any, paths: Sequence[str], work_dir: Path) -> None:
        self.commit, self.paths, self.work_dir = commit, paths, work_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> list[str]:
        self._tmp = tempfile.TemporaryDirectory(prefix="checkout-", dir=self.work_dir)
        written = materialize(self.commit, self.paths, Path(self._tmp.name))
        if written.missing:
            raise PlanError(
                f"{', '.join(written.missing)} not found at commit {self.commit.hexsha[:12]}",
                hint="check --path (relative to the repository root)",
            )
        return [str(p) for p in written.paths]

    def add(self, path: Path) -> None:
        """Also write ``path`` (below the checkout: a file the configuration names, such as
        its inventory) from the commit; a path outside it or absent at the commit is left."""
        if self._tmp is None:
            return
        try:
            rel = path.resolve().relative_to(Path(self._tmp.name).resolve())
        except ValueError:
            return
        materialize(self.commit, [rel.as_posix()], Path(self._tmp.name))

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _exit_code(outcome: CycleOutcome, mode: Mode) -> int:
    if not outcome.ok:
        return 1
    if mode == "drift-only" and outcome.action == "drift":
        return 2
    return 0


def _repo_url(repo: str) -> str:
    """Local paths become absolute so the mirror works from any cwd."""
    if "://" in repo or repo.startswith("git@") or ":" in repo.split("/")[0]:
        return repo
    return str(Path(repo).expanduser().resolve())


def _subject(commit: Any) -> str:
    return str(commit.message).strip().splitlines()[0][:200] if commit.message else ""


def _message(exc: FinopsError) -> str:
    text = exc.message
    marker = f"{os.sep}checkout-"
    if marker in text:  # temp checkout paths mean nothing to users: show repo-relative ones
        text = re.sub(r"\S*" + re.escape(marker) + r"[^/\s]+/", "", text)
    return text


def _git_stderr(exc: Any) -> str:
    return (str(getattr(exc, "stderr", "")) or str(exc)).strip().replace("\n", " ")[:300]
