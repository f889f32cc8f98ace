"""The writer lock: one writer per state, and every refusal names the holder.

DuckDB's own file lock only says "some PID"; ours records who, which operation,
pid, host and time, waits up to ``lock_timeout`` and can be removed by ID
(``state force-unlock``). Back ends implement three primitives on
:class:`StateLock` — create-if-absent, read, delete-if-id — and inherit the
polling, timeout and messages: :class:`FileLock` uses a sidecar
``<state>.lock`` file; the S3 back end uses a conditional-write object.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import time
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from finopsmetrics_cli.errors import FinopsError, LockError
from finopsmetrics_cli.state.api import LockInfo

POLL_INTERVAL = 0.1


def default_actor() -> str:
    """``$FINOPSMETRICS_ACTOR``, else ``user@host`` (what history and locks record)."""
    actor = os.environ.get("FINOPSMETRICS_ACTOR")
    if actor:
        return actor
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def new_lock_info(who: str, operation: str) -> LockInfo:
    return LockInfo(
        id=str(uuid.uuid4()),
        who=who,
        operation=operation,
        pid=os.getpid(),
        host=socket.gethostname(),
        created_at=datetime.now(UTC),
    )


def lock_to_json(info: LockInfo) -> str:
    return json.dumps(
        {
            "ID": info.id,
            "Who": info.who,
            "Operation": info.operation,
            "Pid": info.pid,
            "Host": info.host,
            "Created": info.created_at.isoformat(),
        }
    )


def lock_from_json(text: str) -> LockInfo:
    """Parse a lock record; a malformed one becomes a holder named "unknown"."""
    try:
        data = json.loads(text)
        return LockInfo(
            id=str(data["ID"]),
            who=str(data["Who"]),
            operation=str(data["Operation"]),
            pid=int(data["Pid"]),
            host=str(data["Host"]),
            created_at=datetime.fromisoformat(data["Created"]),
        )
    except (ValueError, KeyError, TypeError):
        return LockInfo(
            "unknown", "unknown", "unknown", 0, "unknown", datetime.fromtimestamp(0, UTC)
        )


def holder_is_dead(info: LockInfo) -> bool:
    """True when the holder ran on this host and its process no longer exists."""
    if info.host != socket.gethostname() or info.pid <= 0:
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


class StateLock(ABC):
    """A lock on one state location. Subclasses implement the three primitives."""

    description: str = "state lock"
    poll_interval: float = POLL_INTERVAL  # remote back ends poll less often (each try is a request)

    def __init__(self) -> None:
        self.held: LockInfo | None = None

    @abstractmethod
    def _try_create(self, info: LockInfo) -> bool:
        """Atomically create the lock record if none exists; False if one does."""

    @abstractmethod
    def _read(self) -> LockInfo | None:
        """The current lock record, or None when unlocked."""

    @abstractmethod
    def _delete_if(self, lock_id: str) -> bool:
        """Delete the record only if its ID is ``lock_id``; False if it is not."""

    def holder(self) -> LockInfo | None:
        return self._read()

    def acquire(self, *, who: str, operation: str, timeout: float = 0.0) -> LockInfo:
        """Take the lock, polling up to ``timeout`` seconds; else LockError naming the holder."""
        info = new_lock_info(who, operation)
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if self._try_create(info):
                self.held = info
                return info
            if time.monotonic() >= deadline:
                raise self._held_error(timeout)
            pause = self.poll_interval
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)) or pause)

    def release(self) -> None:
        """Release our lock (never someone else's, even after a force-unlock)."""
        if self.held is not None:
            self._delete_if(self.held.id)
            self.held = None

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock only if its ID is ``lock_id``; returns what was removed."""
        current = self._read()
        if current is None:
            raise LockError(f"{self.description} is not locked; nothing to unlock")
        if current.id != lock_id:
            raise LockError(
                f"lock ID {lock_id!r} does not match the current lock: {current.describe()}",
                hint="pass the ID shown in the lock error",
            )
        if not self._delete_if(lock_id):
            raise LockError(f"{self.description} changed while unlocking; run the command again")
        return current

    def _held_error(self, timeout: float) -> LockError:
        current = self._read()
        if current is None:  # released between our attempt and now
            current = LockInfo("unknown", "unknown", "unknown", 0, "unknown", datetime.now(UTC))
        waited = f" after waiting {format_seconds(timeout)}" if timeout > 0 else ""
        message = f"{self.description} is locked{waited}: {current.describe()}"
        if holder_is_dead(current):
            message += f"; process {current.pid} is no longer running on this host"
            hint = (
                "the holder died without releasing the lock; if no other operation is "
                f"running, remove it with `finopsmetrics state force-unlock {current.id}`"
            )
        else:
            hint = "wait for it to finish or pass --lock-timeout to wait longer"
        return LockError(message, hint=hint)

    def __enter__(self) -> StateLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class FileLock(StateLock):
    """A sidecar ``<state>.lock`` JSON file, created with an atomic hard link.

    The record is written to a private temp file first and linked into place,
    so nobody ever reads a half-written lock (``os.link`` fails with
    ``EEXIST`` exactly like ``O_CREAT|O_EXCL``).
    """

    def __init__(self, path: Path, description: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.description = description or f"lock {path}"

    @classmethod
    def for_state(cls, state_path: Path) -> FileLock:
        """The lock of the state file at ``state_path``: ``<state_path>.lock``."""
        return cls(state_path.with_name(state_path.name + ".lock"), f"state {state_path}")

    def _try_create(self, info: LockInfo) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{info.id}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, lock_to_json(info).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        except OSError:  # file systems without hard links
            return self._create_exclusive(info)
        finally:
            tmp.unlink(missing_ok=True)

    def _create_exclusive(self, info: LockInfo) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as handle:
            handle.write(lock_to_json(info))
        return True

    def _read(self) -> LockInfo | None:
        try:
            return lock_from_json(self.path.read_text())
        except FileNotFoundError:
            return None

    def _delete_if(self, lock_id: str) -> bool:
        """Move the file aside atomically, check its ID, put it back if it is not ours."""
        aside = self.path.with_name(f".{self.path.name}.{uuid.uuid4()}.unlock")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return False
        try:
            if lock_from_json(aside.read_text()).id == lock_id:
                return True
            try:
                os.link(aside, self.path)
            except FileExistsError:  # someone locked meanwhile; theirs stands
                pass
            return False
        finally:
            aside.unlink(missing_ok=True)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str, *, option: str = "--lock-timeout") -> float:
    """``30s``, ``2m``, ``1h``, ``500ms`` or plain seconds (``30``, ``0.5``) to seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise FinopsError(
            f"invalid duration for {option}: {text!r}",
            hint="use seconds (30), or a number with a unit: 500ms, 30s, 2m, 1h",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"
