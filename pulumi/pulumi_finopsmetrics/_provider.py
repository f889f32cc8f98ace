"""The dynamic provider: Pulumi's resource lifecycle mapped onto the engine.

Pulumi pickles one :class:`FinopsProvider` per resource (with dill, into the
``__provider`` property) and runs it in its dynamic-provider host process, so
the provider holds nothing but the kind: where the state lives travels as the
hidden ``__store`` input, decided when the program runs. Every method is a thin
call into :class:`finopsmetrics_cli.engine.Engine` with manager ``pulumi``:
validation, history, locking and the "is this field immutable?" question are
the engine's, never answered here.

Property bags are Pulumi's: ``name`` (the object name), one key per spec
field, the hidden keys below, and on outputs the computed ``address``,
``object_version`` and ``manager``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

STORE_KEY = "__store"
ADOPT_KEY = "__adopt"
PROVIDER_KEY = "__provider"
HIDDEN_KEYS = frozenset({STORE_KEY, ADOPT_KEY, PROVIDER_KEY})
COMPUTED_KEYS = ("address", "object_version", "manager")
LOCK_TIMEOUT_ENV = "FINOPSMETRICS_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0

# Pulumi runs several resource operations at once on the host's thread pool;
# one in-process writer at a time keeps them from racing for the state lock.
_ENGINE_LOCK = threading.RLock()


class FinopsProviderError(Exception):
    """An engine error as Pulumi shows it: the message and hint, without the engine's
    internals (the provider host prints the traceback of whatever is raised)."""


@contextmanager
def _engine_call(*passthrough: type[Exception]) -> Iterator[None]:
    from finopsmetrics_cli.errors import ConflictError, FinopsError, LockError

    with _ENGINE_LOCK:
        try:
            yield
        except passthrough:
            raise
        except FinopsError as exc:
            hint = exc.hint
            if isinstance(exc, ConflictError):  # in a Pulumi program, adopting is importing
                hint = (
                    "to take it over, declare it with opts=pulumi.ResourceOptions(import_=ADDRESS)"
                )
            elif isinstance(exc, LockError):
                hint = f"wait for it to finish, or set {LOCK_TIMEOUT_ENV} (seconds) to wait longer"
            text = f"{exc.message} (hint: {hint})" if hint else exc.message
            raise FinopsProviderError(text) from None


def _is_secret(value: Any) -> bool:
    from pulumi.runtime import rpc

    return rpc.is_rpc_secret(value)


def _plain(value: Any) -> Any:
    """Plain JSON as the engine reads it: Pulumi's secret markers unwrapped at any depth
    (the engine stores references, not secrets), and whole numbers as ints (protobuf
    carries every number as a double, so ``position=[0, 1]`` arrives as ``[0.0, 1.0]``)."""
    if _is_secret(value):
        return _plain(value["value"])
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _has_unknowns(value: Any) -> bool:
    """True while a preview still waits on another resource's output."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    if isinstance(value, Unknown) or value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknowns(v) for v in value)
    return False


def property_path(path: tuple[str | int, ...]) -> str:
    """``("alerts", 0, "threshold")`` -> ``alerts[0].threshold`` (Pulumi's property path)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class FinopsProvider(ResourceProvider):
    """One kind's create/read/update/delete/diff/check, each one engine call."""

    serialize_as_secret_always = False

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    # --- property bags -------------------------------------------------

    def split(self, props: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """(object name, spec) from a Pulumi property bag; the name stays unknown in a
        preview that waits for it."""
        plain = _plain(dict(props))
        name = plain.get("name")
        spec = {
            k: v
            for k, v in plain.items()
            if k not in HIDDEN_KEYS and k != "name" and k not in COMPUTED_KEYS
        }
        if name is None:
            return "", spec
        return (name if _has_unknowns(name) else str(name)), spec

    def address(self, name: str) -> str:
        return f"{self.kind}.{name}"

    def name_from_id(self, id_: str) -> str:
        """Ids are addresses (``budget.ml-training``); a bare name is accepted for imports."""
        prefix = f"{self.kind}."
        return id_[len(prefix) :] if id_.startswith(prefix) else id_

    def _hidden(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _plain(props[k]) for k in (STORE_KEY, ADOPT_KEY) if k in props}

    def _outputs(self, live: Any, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": live.name,
            **live.spec,
            "address": live.address,
            "object_version": live.version,
            "manager": live.manager,
            **self._hidden(props),
        }

    def engine(self, props: Mapping[str, Any]) -> Any:
        from finopsmetrics_cli.engine import Engine

        store = _plain(props.get(STORE_KEY)) or None
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT))
        return Engine(store, source="pulumi", lock_timeout=timeout)

    # --- the ResourceProvider interface --------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate through the engine; failures name the property Pulumi shows."""
        from finopsmetrics_cli.errors import ValidationFailed

        name, spec = self.split(news)
        if _has_unknowns(spec) or _has_unknowns(name):
            return CheckResult(dict(news), [])
        if not name:
            return CheckResult(dict(news), [CheckFailure("name", "name must not be empty")])
        try:
            with _engine_call(ValidationFailed):
                canonical = self.engine(news).validate_object(self.kind, name, spec)
        except ValidationFailed as exc:
            failures = [
                CheckFailure(property_path(d.path) or "name", _reason(d))
                for d in exc.diagnostics
                if d.severity == "error"
            ]
            return CheckResult(dict(news), failures or [CheckFailure("name", exc.message)])
        return CheckResult({"name": name, **canonical, **self._hidden(news)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Field changes update in place; immutable fields (the engine's list) or a new
        name replace."""
        old_name, old_spec = self.split(olds)
        new_name, new_spec = self.split(news)
        replaces: list[str] = []
        if old_name != new_name:
            replaces.append("name")
        if _has_unknowns(new_spec) or _has_unknowns(new_name):
            changed = sorted(
                k for k in set(old_spec) | set(new_spec) if old_spec.get(k) != new_spec.get(k)
            )
            roots = {path.split(".")[0] for path in self._immutable()}
            replaces += [k for k in changed if k in roots]
            return DiffResult(changes=None, replaces=replaces, delete_before_replace=True)
        with _engine_call():
            paths = self.engine(news).requires_replace(self.kind, old_spec, new_spec)
        # Pulumi names top-level properties here (``model`` for the engine's ``model.type``).
        replaces += list(dict.fromkeys(path.split(".")[0] for path in paths))
        changes = old_name != new_name or old_spec != new_spec
        return DiffResult(
            changes=changes, replaces=replaces, stables=[], delete_before_replace=True
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        name, spec = self.split(props)
        with _engine_call():
            live = self.engine(props).create(
                self.kind, name, spec, manager="pulumi", adopt=bool(props.get(ADOPT_KEY))
            )
        return CreateResult(live.address, self._outputs(live, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live object (drift included); inputs too, so ``import_`` and refresh see it as is."""
        name = self.name_from_id(id_)
        with _engine_call():
            live = self.engine(props).read(self.address(name))
        if live is None:
            return ReadResult("", {})
        inputs = {"name": live.name, **live.spec, **self._hidden(props)}
        return ReadResult(live.address, self._outputs(live, props), inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """An imported object (``__adopt`` in its state) is taken over on its first update,
        even once ``import_`` has been removed from the program."""
        name, spec = self.split(news)
        adopt = bool(_plain(news.get(ADOPT_KEY)) or _plain(olds.get(ADOPT_KEY)))
        with _engine_call():
            live = self.engine(news).update(self.kind, name, spec, manager="pulumi", adopt=adopt)
        return UpdateResult(self._outputs(live, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Deleting what is already gone succeeds: Pulumi's state is then simply right."""
        name = self.name_from_id(id_)
        with _engine_call():
            self.engine(props).delete(self.kind, name, manager="pulumi")

    def _immutable(self) -> tuple[str, ...]:
        from finopsmetrics_cli.models.base import get_kind

        return get_kind(self.kind).immutable


def _reason(diagnostic: Any) -> str:
    text = f"{diagnostic.message} [{diagnostic.code}]"
    return f"{text} (hint: {diagnostic.hint})" if diagnostic.hint else text
