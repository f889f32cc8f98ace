"""What a batch of :class:`~finopsmetrics_cli.state.api.Write` does to the rows.

Pure Python, no database: given the current rows of the touched addresses,
compute the final rows and one history row per write. The store then replaces
those rows in bulk inside one transaction. Keeping this apart makes the
per-action rules (what ``import`` keeps, what ``edit`` must not touch) easy to
read and to test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state.api import MANAGERS, Write

ACTIONS = ("create", "update", "delete", "replace", "import", "adopt", "forget", "edit")
#: actions that need ``Write.spec`` (import/adopt may omit it to keep the live spec)
SPEC_REQUIRED = ("create", "update", "replace", "edit")
REMOVING = ("delete", "forget")

OBJECT_COLUMNS = (
    "address",
    "kind",
    "name",
    "spec",
    "manager",
    "applied_spec",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "updated_source",
)


class ObjectRow(NamedTuple):
    """One ``objects`` row (in column order) with specs kept as JSON text."""

    address: str
    kind: str
    name: str
    spec: str
    manager: str | None
    applied_spec: str | None
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    updated_source: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One history row before it gets its id, serial, actor, source and time."""

    address: str
    action: str
    before: str | None
    after: str | None
    manager: str | None


def encode_spec(spec: Mapping[str, Any], address: str) -> str:
    """Compact JSON that keeps key order (import turns it back into readable YAML).

    pydantic-core's encoder is ~4x faster than ``json.dumps``, which matters at
    10,000 objects per apply.
    """
    from pydantic_core import PydanticSerializationError, to_json

    if not isinstance(spec, Mapping):
        raise StateError(f"cannot store {address}: its spec must be a mapping")
    try:
        return to_json(spec, serialize_unknown=False).decode()
    except (PydanticSerializationError, TypeError, ValueError) as exc:
        raise StateError(
            f"cannot store {address}: its spec is not plain JSON data ({exc})"
        ) from exc


def check_write(write: Write) -> None:
    """Reject malformed writes before anything touches the database."""
    address = f"{write.kind}.{write.name}"
    if write.action not in ACTIONS:
        raise StateError(f"cannot write {address}: unknown action {write.action!r}")
    if not write.kind or not write.name or not isinstance(write.kind, str):
        raise StateError(f"cannot write {address!r}: kind and name must be non-empty strings")
    if write.manager is not None and write.manager not in MANAGERS:
        raise StateError(
            f"cannot {write.action} {address}: unknown manager {write.manager!r}",
            hint=f"managers are {', '.join(MANAGERS)} (or none)",
        )
    if write.action in SPEC_REQUIRED and not isinstance(write.spec, Mapping):
        raise StateError(f"cannot {write.action} {address}: a spec (a mapping) is required")


def apply_writes(
    current: Mapping[str, ObjectRow],
    writes: Sequence[Write],
    *,
    now: datetime,
    actor: str,
    source: str,
) -> tuple[dict[str, ObjectRow | None], list[HistoryRow]]:
    """Fold ``writes`` in order over ``current``; return final rows (None = removed) and history."""
    rows: dict[str, ObjectRow | None] = dict(current)
    history: list[HistoryRow] = []
    for write in writes:
        check_write(write)
        address = f"{write.kind}.{write.name}"
        old = rows.get(address)
        new = _apply_one(old, write, address, now=now, actor=actor, source=source)
        rows[address] = new
        history.append(
            HistoryRow(
                address=address,
                action=write.action,
                before=old.spec if old else None,
                after=new.spec if new else None,
                manager=write.manager,
            )
        )
    return rows, history


def _apply_one(
    old: ObjectRow | None,
    write: Write,
    address: str,
    *,
    now: datetime,
    actor: str,
    source: str,
) -> ObjectRow | None:
    action = write.action
    if action == "create":
        if old is not None:
            owner = f"managed by {old.manager}" if old.manager else "unmanaged"
            raise StateError(f"cannot create {address}: it already exists in state ({owner})")
        spec = encode_spec(write.spec or {}, address)
        return ObjectRow(
            address, write.kind, write.name, spec, write.manager,
            spec if write.manager else None, 1, now, actor, now, actor, source,
        )  # fmt: skip
    if old is None:
        raise StateError(f"cannot {action} {address}: it is not in state")
    if action in REMOVING:
        return None
    spec = encode_spec(write.spec, address) if write.spec is not None else old.spec
    touched = old._replace(spec=spec, version=old.version + 1, updated_at=now,
                           updated_by=actor, updated_source=source)  # fmt: skip
    if action == "edit":  # out of band: the manager's record stays as it was
        return touched
    touched = touched._replace(manager=write.manager,
                               applied_spec=spec if write.manager else None)  # fmt: skip
    if action == "replace":  # destroyed and created again
        touched = touched._replace(created_at=now, created_by=actor)
    return touched
