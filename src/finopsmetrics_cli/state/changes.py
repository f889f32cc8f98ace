"""What a batch of :class:`~finopsmetrics_cli.state.api.Write` does to the rows.

Pure Python, no database: given the current rows of the touched addresses,
compute the final rows and one history row per write. The store then replaces
those rows in bulk inside one transaction. Keeping this apart makes the
per-action rules (what ``import`` keeps, what ``edit`` must not touch) easy to
read and to test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pydantic_core import PydanticSerializationError, to_json

from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.state.api import MANAGERS, Write

ACTIONS = ("create", "update", "delete", "replace", "import", "adopt", "forget", "edit")
#: actions that need ``Write.spec`` (import/adopt may omit it to keep the live spec)
SPEC_REQUIRED = ("create", "update", "replace", "edit")
REMOVING = ("delete", "forget")
_ACTIONS = frozenset(ACTIONS)
_SPEC_REQUIRED = frozenset(SPEC_REQUIRED)
_MANAGERS = frozenset(MANAGERS)
#: one Pulumi stack's manager name, so two stacks of one program never share objects
_PULUMI_STACK = re.compile(r"^pulumi:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")

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
    "prevent_destroy",
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
    prevent_destroy: bool


class HistoryRow(NamedTuple):
    """One history row before it gets its id, serial, actor, source and time."""

    address: str
    action: str
    before: str | None
    after: str | None
    manager: str | None


#: what :func:`spec_json` raises for data that is not plain JSON
ENCODE_ERRORS = (PydanticSerializationError, TypeError, ValueError)


def encode_spec(spec: Mapping[str, Any], address: str) -> str:
    """Compact JSON that keeps key order (import turns it back into readable YAML).

    pydantic-core's encoder is ~4x faster than ``json.dumps``, which matters at
    10,000 objects per apply.
    """
    if type(spec) is not dict and not isinstance(spec, Mapping):
        raise StateError(f"cannot store {address}: its spec must be a mapping")
    try:
        return spec_json(spec).decode()
    except ENCODE_ERRORS as exc:
        raise StateError(
            f"cannot store {address}: its spec is not plain JSON data ({exc})"
        ) from exc


def spec_json(spec: Mapping[str, Any]) -> bytes:
    """``encode_spec``'s text as UTF-8 bytes, unchecked (raises ``ENCODE_ERRORS``)."""
    return to_json(spec, serialize_unknown=False)


def check_write(write: Write) -> str:
    """Reject malformed writes before anything touches the database; return the address."""
    kind, name, action, manager = write.kind, write.name, write.action, write.manager
    if type(kind) is not str or type(name) is not str or not kind or not name:
        raise StateError(f"cannot write {kind!r}.{name!r}: kind and name must be non-empty strings")
    address = f"{kind}.{name}"
    if action not in _ACTIONS:
        raise StateError(f"cannot write {address}: unknown action {action!r}")
    if manager is not None and manager not in _MANAGERS and not _PULUMI_STACK.match(manager):
        raise StateError(
            f"cannot {action} {address}: unknown manager {manager!r}",
            hint=f"managers are {', '.join(MANAGERS)}, pulumi:PROJECT/STACK (or none)",
        )
    if action in _SPEC_REQUIRED and write.spec is None:
        raise StateError(f"cannot {action} {address}: a spec (a mapping) is required")
    return address


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
        address = check_write(write)
        old = rows.get(address)
        new = _apply_one(old, write, address, now, actor, source)
        rows[address] = new
        history.append(
            HistoryRow(
                address,
                write.action,
                old.spec if old is not None else None,
                new.spec if new is not None else None,
                write.manager,
            )
        )
    return rows, history


def _apply_one(
    old: ObjectRow | None, write: Write, address: str, now: datetime, actor: str, source: str
) -> ObjectRow | None:
    """The row after one write (None when removed); one tuple built per write."""
    action, manager = write.action, write.manager
    if action == "create":
        if old is not None:
            owner = f"managed by {old.manager}" if old.manager else "unmanaged"
            raise StateError(f"cannot create {address}: it already exists in state ({owner})")
        spec = encode_spec(write.spec, address)  # type: ignore[arg-type]  # checked
        applied = spec if manager else None
        return ObjectRow(address, write.kind, write.name, spec, manager, applied, 1,
                         now, actor, now, actor, source, bool(write.prevent_destroy))  # fmt: skip
    if old is None:
        raise StateError(f"cannot {action} {address}: it is not in state")
    if action in REMOVING:
        return None
    spec = encode_spec(write.spec, address) if write.spec is not None else old.spec
    if action == "edit":  # out of band: the manager's record stays as it was
        return old._replace(spec=spec, version=old.version + 1, updated_at=now,
                            updated_by=actor, updated_source=source)  # fmt: skip
    created_at, created_by = (
        (now, actor) if action == "replace" else (old.created_at, old.created_by)
    )
    protected = old.prevent_destroy if write.prevent_destroy is None else write.prevent_destroy
    return ObjectRow(address, old.kind, old.name, spec, manager, spec if manager else None,
                     old.version + 1, created_at, created_by, now, actor, source,
                     protected)  # fmt: skip
