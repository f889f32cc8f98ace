"""Where state lives and how to open it: the one entry point front ends use.

``resolve_state_location`` picks the location (``--state`` >
``$FINOPSMETRICS_STATE`` > ``./.finopsmetrics/state.duckdb``);
``open_reader`` / ``open_writer`` open it. Local paths go to the DuckDB store
(``state.store``); ``s3://`` locations go to ``state.remote``, imported only
when used.

REMOTE SEAM — ``state.remote`` provides, with these exact signatures::

    open_s3_reader(location: str) -> StateReader            # also a context manager
    open_s3_writer(location: str, *, actor: str | None, operation: str,
                   lock_timeout: float) -> ContextManager[StateWriter]
    s3_lock(location: str) -> StateLock                       # for holder/force-unlock

and can be small by reusing the local store: download to a temp file and
return ``StateStoreReader(tmp)``; for writers call
``store.open_local_writer(tmp, lock=<S3 conditional-write StateLock>,
prepare=<download>, after_commit=<upload>, ...)``.

This module imports nothing heavy: DuckDB is loaded when a state is opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from finopsmetrics_cli.state.api import LockInfo, StateReader, StateWriter

if TYPE_CHECKING:
    from finopsmetrics_cli.state.lock import StateLock

DEFAULT_STATE = os.path.join(".finopsmetrics", "state.duckdb")
ENV_STATE = "FINOPSMETRICS_STATE"

__all__ = [
    "DEFAULT_STATE",
    "ENV_STATE",
    "force_unlock",
    "is_remote",
    "lock_for",
    "lock_holder",
    "open_reader",
    "open_writer",
    "resolve_state_location",
]


def resolve_state_location(cli_value: str | None = None) -> str:
    """``--state`` wins, then ``$FINOPSMETRICS_STATE``, then ``./.finopsmetrics/state.duckdb``."""
    if cli_value:
        return str(cli_value)
    return os.environ.get(ENV_STATE) or DEFAULT_STATE


def is_remote(location: str) -> bool:
    return str(location).startswith("s3://")


def open_reader(location: str | Path, *, shared: bool = False) -> StateReader:
    """A read-only view; a missing local file reads as an empty state and is not created.

    Close it (or use ``with``) as soon as the reading is done: writers wait for readers.
    ``shared`` (local files) attaches to the process's shared DuckDB: cheaper for the
    short reads of long-lived processes (see ``connection.connect``).
    """
    if is_remote(str(location)):
        from finopsmetrics_cli.state import remote

        return remote.open_s3_reader(str(location))  # type: ignore[attr-defined,no-any-return,unused-ignore]
    from finopsmetrics_cli.state.reader import StateStoreReader

    return StateStoreReader(location, shared=shared)


@contextmanager
def open_writer(
    location: str | Path,
    *,
    actor: str | None = None,
    operation: str = "apply",
    lock_timeout: float = 0.0,
    hold_connection: bool = False,
) -> Iterator[StateWriter]:
    """Take the writer lock (waiting up to ``lock_timeout`` s), create the state if needed.

    Raises LockError naming the holder when the lock stays taken; the lock is
    released however the block exits. ``hold_connection`` (local files) keeps
    one read-write connection open for the whole block: for short writes only
    (see ``store.open_local_writer``).
    """
    if is_remote(str(location)):
        from finopsmetrics_cli.state import remote

        with remote.open_s3_writer(  # type: ignore[attr-defined,unused-ignore]
            str(location), actor=actor, operation=operation, lock_timeout=lock_timeout
        ) as writer:
            yield writer
        return
    from finopsmetrics_cli.state.store import open_local_writer

    with open_local_writer(
        location, actor=actor, operation=operation, lock_timeout=lock_timeout,
        hold_connection=hold_connection,
    ) as writer:
        yield writer


def lock_for(location: str | Path) -> StateLock:
    """The writer lock of a location (sidecar file locally, an object on S3)."""
    if is_remote(str(location)):
        from finopsmetrics_cli.state import remote

        return remote.s3_lock(str(location))  # type: ignore[attr-defined,no-any-return,unused-ignore]
    from finopsmetrics_cli.state.lock import FileLock

    return FileLock.for_state(Path(location))


def lock_holder(location: str | Path) -> LockInfo | None:
    """Who holds the writer lock now, if anyone."""
    return lock_for(location).holder()


def force_unlock(location: str | Path, lock_id: str) -> LockInfo:
    """Remove the writer lock only if its ID is ``lock_id``; returns the removed lock."""
    return lock_for(location).force_unlock(lock_id)
