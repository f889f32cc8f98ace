"""How the engine reaches the state: where it is, who writes, and how it is opened.

Every ``Engine`` method opens the state through these few methods (a reader,
the read-ahead snapshot, the writer lock, a commit recorded with the engine's
actor and source), so each front end's calls see and record the same things.
``Engine`` inherits them; ``finopsmetrics_cli.engine`` is the one door.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finopsmetrics_cli.state.api import StateReader, StateWriter

__all__ = ["StateAccess", "default_actor"]


def default_actor() -> str:
    """``$FINOPSMETRICS_ACTOR`` or ``user@host``: who history says made a change."""
    actor = os.environ.get("FINOPSMETRICS_ACTOR")
    if actor:
        return actor
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class StateAccess:
    """The state's location and the engine's identity, with the plumbing every
    facade method opens the state through (see ``finopsmetrics_cli.engine``)."""

    def __init__(
        self,
        state: str | Path | None = None,
        *,
        actor: str | None = None,
        source: str = "cli",
        lock_timeout: float = 0.0,
        git_commit: str | None = None,
    ) -> None:
        from finopsmetrics_cli import state as state_pkg

        self.location: str = state_pkg.resolve_state_location(
            str(state) if state is not None else None
        )
        self.actor = actor or default_actor()
        self.source = source
        self.lock_timeout = lock_timeout
        self.git_commit = git_commit
        self._prefetch: Any = None

    @contextmanager
    def prefetching(
        self, paths: Sequence[str | Path] | None = None, *, state: bool = True
    ) -> Iterator[None]:
        """Read config files and the state in the background while the caller imports.

        Inside the block, ``load_config(paths)`` (the same paths) uses the files a
        forked child parsed, and the next ``plan`` or ``drift`` the state snapshot
        it read (``state=False``: files only, e.g. before taking the write lock).
        The block's exit drops whatever nothing used. Only local state files are
        read ahead, only by single-threaded POSIX callers (see ``prefetch``);
        elsewhere this does nothing and every read happens as usual.
        """
        from finopsmetrics_cli import state as state_pkg

        local = state and not state_pkg.is_remote(self.location)
        if self._prefetch is None:
            from finopsmetrics_cli import prefetch

            self._prefetch = prefetch.start(
                Path(self.location) if local else None,
                [Path(p) for p in paths] if paths else None,
            )
        try:
            yield
        finally:
            if self._prefetch is not None:
                self._prefetch.cancel()
                self._prefetch = None

    @contextmanager
    def _reader(self, *, short: bool = False) -> Iterator[StateReader]:
        """A reader; ``short`` (one object) attaches to a shared DuckDB (see ``_writer``)."""
        from finopsmetrics_cli import state as state_pkg

        reader = state_pkg.open_reader(self.location, shared=short)
        try:
            yield reader
        finally:
            reader.close()

    @contextmanager
    def _writer(self, operation: str, *, short: bool = False) -> Iterator[StateWriter]:
        """The lock and a writer; ``short`` (one object, nobody prompted) opens DuckDB once.

        Opening DuckDB costs tens of milliseconds; Terraform and Pulumi pay it
        per resource, so their writes check, read and commit on one
        read-write connection instead of opening one for each, attached to
        the process's shared DuckDB instance rather than starting one.
        """
        from finopsmetrics_cli import state as state_pkg

        with state_pkg.open_writer(
            self.location, actor=self.actor, operation=operation,
            lock_timeout=self.lock_timeout, hold_connection=short,
        ) as writer:
            yield writer

    def _commit(self, writer: StateWriter, writes: Sequence[Any]) -> int:
        return writer.commit(
            writes, actor=self.actor, source=self.source, git_commit=self.git_commit
        )

    @contextmanager
    def _snapshot_or_reader(self) -> Iterator[StateReader]:
        """The prefetched snapshot (used once), else an ordinary reader."""
        prefetched, self._prefetch = self._prefetch, None
        snapshot = prefetched.reader() if prefetched is not None else None
        if snapshot is None:
            with self._reader() as reader:
                yield reader
            return
        try:
            yield snapshot
        finally:
            snapshot.close()
