"""Single-object writes: the part of the engine the Terraform provider and Pulumi use.

Each create, update or delete gets the checks a plan would make (schema,
references, managers, protection) and is recorded with history, under the
same lock as an apply; many arrive at once from Terraform, so they can share
one lock, one DuckDB open and one commit (``write_objects``, ``writing``).
``Engine`` inherits these methods; ``finopsmetrics_cli.engine`` is the one door.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from finopsmetrics_cli.errors import ConflictError, FinopsError, PlanError
from finopsmetrics_cli.state_access import StateAccess

if TYPE_CHECKING:
    from finopsmetrics_cli.state.api import LiveObject, StateReader, StateWriter, Write

__all__ = ["ObjectWrite", "ObjectWrites", "WriteSession"]


@dataclass(frozen=True)
class ObjectWrite:
    """One single-object write for :meth:`Engine.write_objects`: what create, update or
    delete take as arguments."""

    action: Literal["create", "update", "delete"]
    kind: str
    name: str
    spec: Mapping[str, Any] | None
    manager: str | None
    adopt: bool = False
    previous_manager: str | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


class WriteSession:
    """``write_objects`` on one writer held across calls (see :meth:`Engine.writing`)."""

    def __init__(self, engine: ObjectWrites, writer: StateWriter) -> None:
        self._engine = engine
        self._writer = writer

    def write(self, requests: Sequence[ObjectWrite]) -> list[LiveObject | FinopsError | None]:
        """As :meth:`Engine.write_objects`, on the session's writer; a failure of the file
        itself (not of one request) is raised."""
        results: list[LiveObject | FinopsError | None] = [None] * len(requests)
        for indices in _rounds(requests):
            self._engine._write_round(self._writer, requests, indices, results)
        return results


class ObjectWrites(StateAccess):
    """The single-object write path of the facade (see ``finopsmetrics_cli.engine``)."""

    def _validate(
        self, reader: StateReader | None, kind: str, name: str, spec: Mapping[str, Any],
        batch: Mapping[str, bool] | None = None, known: Callable[[str], bool] | None = None,
    ) -> dict[str, Any]:
        """``batch``: addresses written earlier in the same commit, True if they will exist;
        ``known``: the caller's answer for the others (else ``reader``'s; neither: unchecked)."""
        from finopsmetrics_cli.config.model import Settings
        from finopsmetrics_cli.config.validate import validate_object

        address = f"{kind}.{name}"

        def exists(ref: str) -> bool:  # one indexed lookup per reference, not a full list
            if batch and ref in batch:
                return batch[ref]
            if ref == address:
                return True
            if known is not None:
                return known(ref)
            return reader is not None and reader.get(ref) is not None

        return validate_object(
            kind, name, dict(spec), settings=Settings(),
            known_addresses=exists if reader is not None or known is not None else None,
        )

    def create(
        self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str | None,
        adopt: bool = False,
    ) -> LiveObject:
        """Create one object as ``manager`` (None: an unmanaged object, as a console makes)."""
        created = self._write_one(ObjectWrite("create", kind, name, spec, manager, adopt))
        assert created is not None
        return created

    def update(
        self, kind: str, name: str, spec: Mapping[str, Any], *, manager: str | None,
        adopt: bool = False, previous_manager: str | None = None,
    ) -> LiveObject:
        updated = self._write_one(
            ObjectWrite("update", kind, name, spec, manager, adopt, previous_manager)
        )
        assert updated is not None
        return updated

    def delete(self, kind: str, name: str, *, manager: str | None) -> None:
        self._write_one(ObjectWrite("delete", kind, name, None, manager))

    def write_objects(
        self, requests: Sequence[ObjectWrite]
    ) -> list[LiveObject | FinopsError | None]:
        """Many single-object writes under one lock, one DuckDB open and one commit.

        Terraform calls the provider for up to ten objects at once; committing
        them together costs what one commit costs (the lock, opening the file
        and the fsyncs dominate). Each request gets exactly the checks of
        create/update/delete, references counting the batch's earlier writes;
        its slot holds the object written (None for a delete), or the
        FinopsError that refused it, which then writes nothing. The others
        commit as one serial with one history row each. An address repeated
        in ``requests`` is written after the earlier ones' commit.
        """
        results: list[LiveObject | FinopsError | None] = [None] * len(requests)
        for indices in _rounds(requests):
            first = requests[indices[0]]
            more = f" and {len(indices) - 1} more" if len(indices) > 1 else ""
            landed = False
            try:
                with self._writer(f"{first.action} {first.address}{more}", short=True) as writer:
                    self._write_round(writer, requests, indices, results)
                    landed = True
            except FinopsError as exc:  # the lock or the file: nothing of the round landed
                if not landed:
                    for i in indices:
                        results[i] = exc
        return results

    @contextmanager
    def writing(self, operation: str) -> Iterator[WriteSession]:
        """The writer lock and the open state for several ``write_objects`` in a row.

        For writes that arrive in quick succession (Terraform's applies): the
        lock is taken and the file opened, checked and closed (checkpointed)
        once for all of them instead of once each; every request is checked
        and recorded exactly as ``write_objects`` does. Readers and writers
        in other processes wait for the whole block: keep it under a second.
        """
        with self._writer(operation, short=True) as writer:
            yield WriteSession(self, writer)

    def _write_one(self, request: ObjectWrite) -> LiveObject | None:
        (result,) = self.write_objects([request])
        if isinstance(result, FinopsError):
            raise result
        return result

    def _write_round(
        self,
        writer: StateWriter,
        requests: Sequence[ObjectWrite],
        indices: range,
        results: list[LiveObject | FinopsError | None],
    ) -> None:
        """``requests[indices]`` (distinct addresses) checked and committed together."""
        from finopsmetrics_cli.state.api import Write

        current = _get_many(writer, [requests[i].address for i in indices])
        writes: dict[int, Write] = {}
        batch: dict[str, bool] = {}
        for i in indices:
            try:
                outcome = self._prepare_write(
                    writer, requests[i], current.get(requests[i].address), batch
                )
            except FinopsError as exc:
                results[i] = exc
                continue
            if isinstance(outcome, Write):
                writes[i] = outcome
                batch[requests[i].address] = outcome.action != "delete"
            else:
                results[i] = outcome
        if not writes:
            return
        try:
            self._commit(writer, list(writes.values()))
        except FinopsError as exc:  # rolled back: none of the round's writes landed
            for i in writes:
                results[i] = exc
            return
        kept = [requests[i].address for i, w in writes.items() if w.action != "delete"]
        written = _get_many(writer, kept) if kept else {}
        for i, write in writes.items():
            if write.action != "delete":
                results[i] = _written(written, requests[i].address)

    def _prepare_write(
        self,
        writer: StateWriter,
        request: ObjectWrite,
        current: LiveObject | None,
        batch: Mapping[str, bool],
    ) -> Write | LiveObject | None:
        """The Write a request needs (``current``: its object now); a LiveObject
        (unchanged) or None (already gone) needs none."""
        from finopsmetrics_cli.state.api import Write

        kind, name, spec, manager = request.kind, request.name, request.spec, request.manager
        address = request.address
        if request.action == "delete":
            if current is None:
                return None
            if current.manager != manager:
                raise ConflictError(
                    f"{address} is {_owner(current.manager)}, not by {manager or 'nobody'}; "
                    "refusing to delete it",
                    hint=f"delete it with {current.manager}" if current.manager else None,
                )
            if current.prevent_destroy:
                from finopsmetrics_cli.plan.planner import protection_error

                raise protection_error([address])
            return Write("delete", kind, name, None, manager)
        assert spec is not None
        canonical = self._validate(writer, kind, name, spec, batch)
        protect = _declared_protection(spec)
        if request.action == "create":
            action = "create"
            if current is not None:
                if current.manager == manager:
                    raise PlanError(
                        f"{address} already exists",
                        hint="update it instead, or choose another name",
                    )
                if current.manager is None and not request.adopt:  # never taken over silently
                    raise ConflictError(
                        f"{address} already exists, unmanaged",
                        hint="adopt it explicitly to take it over (--adopt, or adopt=True)",
                    )
                action = self._claim(current, manager, request.adopt)
            return Write(action, kind, name, canonical, manager, protect)  # type: ignore[arg-type]
        if current is None:
            raise PlanError(f"{address} does not exist", hint="create it first")
        if protect not in (None, current.prevent_destroy) and current.manager == manager:
            return Write("update", kind, name, canonical, manager, protect)
        action = "update"
        previous = request.previous_manager
        renamed = previous is not None and current.manager == previous
        if current.manager != manager and not renamed:
            action = self._claim(current, manager, request.adopt)
        elif current.manager == manager and current.spec == canonical == current.applied_spec:
            return current
        return Write(action, kind, name, canonical, manager, protect)  # type: ignore[arg-type]

    def edit_live(self, address: str, spec: Mapping[str, Any]) -> LiveObject:
        from finopsmetrics_cli.state.api import Write

        with self._writer(f"edit {address}", short=True) as writer:
            current = writer.get(address)
            if current is None:
                raise PlanError(f"{address} does not exist")
            canonical = self._validate(writer, current.kind, current.name, spec)
            self._commit(
                writer, [Write("edit", current.kind, current.name, canonical, current.manager)]
            )
            return _must_get(writer, address)

    def requires_replace(
        self, kind: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> list[str]:
        from finopsmetrics_cli.plan.planner import requires_replace

        return requires_replace(kind, old, new)

    @staticmethod
    def _claim(current: LiveObject, manager: str | None, adopt: bool) -> str:
        """The write action for taking ``current`` over as ``manager`` (or a ConflictError)."""
        if current.manager is None:
            return "import"
        if not adopt:
            raise ConflictError(
                f"{current.address} is {_owner(current.manager)}",
                hint="adopt it explicitly to take it over (--adopt, or adopt=True)",
            )
        return "adopt"


def _declared_protection(spec: Mapping[str, Any]) -> bool | None:
    """``lifecycle.prevent_destroy`` of a single-object spec (validated), None without a
    lifecycle: Terraform and Pulumi keep their own lifecycle and never send ours."""
    lifecycle = spec.get("lifecycle")
    if not isinstance(lifecycle, Mapping):
        return None
    return bool(lifecycle.get("prevent_destroy", False))


def _owner(manager: str | None) -> str:
    return f"managed by {manager}" if manager else "unmanaged"


def _must_get(reader: StateReader, address: str) -> LiveObject:
    return _written({address: obj} if (obj := reader.get(address)) else {}, address)


def _rounds(requests: Sequence[ObjectWrite]) -> Iterator[range]:
    """Consecutive runs of ``requests`` without a repeated address: one commit each."""
    start = 0
    while start < len(requests):
        end, seen = start, set()
        while end < len(requests) and requests[end].address not in seen:
            seen.add(requests[end].address)
            end += 1
        yield range(start, end)
        start = end


def _written(found: Mapping[str, LiveObject], address: str) -> LiveObject:
    obj = found.get(address)
    if obj is None:  # pragma: no cover - the write above just created it
        raise PlanError(f"{address} vanished while it was being written")
    return obj


def _get_many(reader: StateReader, addresses: Sequence[str]) -> dict[str, LiveObject]:
    """``addresses``' live objects: in one query where the reader can (see ``get_many``)."""
    bulk = getattr(reader, "get_many", None)
    if bulk is not None:
        found: dict[str, LiveObject] = bulk(addresses)
        return found
    return {a: obj for a in addresses if (obj := reader.get(a)) is not None}
