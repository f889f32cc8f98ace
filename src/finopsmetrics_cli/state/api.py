"""The state contract: what every state back end offers and what the engine uses.

Split as SQLMesh splits it: :class:`StateReader` for read-only users (validate,
plan, drift open the database read-only so many can run at once) and
:class:`StateWriter` for apply and the single-object API, which hold the lock.
The DuckDB implementation lives in ``state.store``; the S3 wrapper in
``state.remote`` downloads/uploads around it.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Manager = Literal["config", "terraform", "pulumi"]
MANAGERS: tuple[str, ...] = ("config", "terraform", "pulumi")
Action = Literal["create", "update", "delete", "replace", "import", "adopt", "forget", "edit"]


@dataclass(frozen=True, slots=True)
class LiveObject:
    """One object as it is live.

    ``spec`` is what is live now; ``applied_spec`` is what its manager last
    applied. They differ when someone changed the object outside its manager:
    that difference is drift. ``manager`` is None for unmanaged objects (created
    by hand or imported but not yet claimed). ``prevent_destroy`` is the
    ``lifecycle.prevent_destroy`` last applied: protection is remembered after
    the block that asked for it is gone.

    Treat ``spec`` and ``applied_spec`` as read-only: when they are equal the
    store may hand out one dict for both (copy before changing one).
    """

    kind: str
    name: str
    spec: dict[str, Any]
    manager: str | None
    applied_spec: dict[str, Any] | None
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    updated_source: str
    prevent_destroy: bool = False
    address: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", f"{self.kind}.{self.name}")  # read ~5x per plan

    @property
    def drifted(self) -> bool:
        return self.manager is not None and self.applied_spec != self.spec


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One append-only history row."""

    id: int
    serial: int
    address: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    manager: str | None
    actor: str
    source: str
    at: datetime
    git_commit: str | None


@dataclass(frozen=True, slots=True)
class StateInfo:
    path: str
    lineage: str
    serial: int
    schema_version: int
    objects: int


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds the write lock; rendered in every lock error."""

    id: str
    who: str
    operation: str
    pid: int
    host: str
    created_at: datetime

    def describe(self) -> str:
        return (
            f"ID {self.id}, held by {self.who} for {self.operation!r} "
            f"(pid {self.pid} on {self.host}) since {self.created_at:%Y-%m-%d %H:%M:%S}Z"
        )


@dataclass(frozen=True, slots=True)
class Write:
    """One change inside a transaction (what ``StateWriter.commit`` takes).

    ``action`` create/update/replace/import/adopt set spec (and, with a
    manager, applied_spec); delete/forget remove the row; edit changes the live
    spec without touching manager or applied_spec (an out-of-band change).
    ``prevent_destroy`` is recorded by the actions that set a spec; None keeps
    what the state has (false for a new object), for writers that do not say.
    """

    action: Action
    kind: str
    name: str
    spec: dict[str, Any] | None
    manager: str | None
    prevent_destroy: bool | None = None


class StateReader(Protocol):
    def info(self) -> StateInfo: ...
    def get(self, address: str) -> LiveObject | None: ...
    def list(
        self,
        kind: str | None = None,
        manager: str | None = None,
        *,
        known: Mapping[str, dict[str, Any]] | None = None,
    ) -> list[LiveObject]:
        """Every object (optionally of one kind / one manager), ordered by address.

        ``known`` (address -> canonical spec, e.g. the desired ones) is a hint:
        a stored spec byte-identical to its encoding is handed out as that very
        dict instead of being parsed (read-only, like every spec)."""
        ...

    def history(
        self, address: str | None = None, limit: int | None = None
    ) -> builtins.list[HistoryEntry]: ...
    def last_change(self, address: str) -> HistoryEntry | None: ...
    def last_changes(self, addresses: Iterable[str] | None = None) -> dict[str, HistoryEntry]:
        """The newest history row of each address (all when None), in one query."""
        ...

    def close(self) -> None: ...


class StateWriter(StateReader, Protocol):
    def commit(
        self,
        writes: Sequence[Write],
        *,
        actor: str,
        source: str,
        git_commit: str | None = None,
        expected_serial: int | None = None,
        progress: Any = None,
        expected_lineage: str | None = None,
    ) -> int:
        """Apply every write in ONE transaction, append history, bump serial; return it.

        ``expected_serial`` guards saved plans: a mismatch raises ``PlanError``
        ("saved plan is stale") and nothing is written.
        """
        ...


def iter_addresses(objects: Iterable[LiveObject]) -> list[str]:
    return [o.address for o in objects]
