"""The dynamic provider: Pulumi's resource lifecycle mapped onto the engine.

Pulumi pickles one :class:`FinopsProvider` per resource (with dill, into the
``__provider`` property) and stores that string in every stack's state, so
the class path ``pulumi_finopsmetrics._provider.FinopsProvider`` and its only
pickled attribute, ``kind``, are a persisted API: never move or rename them.

Where the state lives is decided by the provider host on every run (stack
config ``finopsmetrics:store``, else ``$FINOPSMETRICS_STATE``, else
``./.finopsmetrics/state.duckdb`` beside the program), never stored with the
resource: a moved checkout or another CI workspace finds the same database
the same way. Earlier versions stored an absolute ``__store``; it is ignored
(and dropped on the next read) except to name it when no state is found.

Every method is a thin call into :class:`finopsmetrics_cli.engine.Engine` with
the stack's manager name, ``pulumi:PROJECT/STACK``; validation, history,
locking and "is this field immutable?" are the engine's answers.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

PROVIDER_KEY = "__provider"
ADOPT_KEY = "__adopt"
MANAGER_KEY = "__manager"
REPLACE_ON_CHANGES_KEY = "__replace_on_changes"
PROTECT_KEY = "__protect"
STORE_KEY = "__store"  # written by earlier versions only
#: hidden inputs the program sets and every output carries on
CARRIED_KEYS = (ADOPT_KEY, MANAGER_KEY, REPLACE_ON_CHANGES_KEY, PROTECT_KEY)
HIDDEN_KEYS = frozenset({PROVIDER_KEY, STORE_KEY, *CARRIED_KEYS})
COMPUTED_KEYS = ("address", "object_version", "manager")
LEGACY_MANAGER = "pulumi"  # every stack's manager before managers named their stack
STORE_CONFIG = "finopsmetrics:store"
LOCK_TIMEOUT_ENV = "FINOPSMETRICS_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0
ADOPT_HINT = "pass adopt=True to the resource to take it over"
PROTECTED_HINT = (
    "protection is remembered in the finopsmetrics state: declare the resource with "
    "opts=pulumi.ResourceOptions(protect=False) and run pulumi up first"
)

# Pulumi runs several resource operations at once on the host's thread pool;
# one in-process writer at a time keeps them from racing for the state lock.
_ENGINE_LOCK = threading.RLock()


class FinopsProviderError(Exception):
    """An engine error as Pulumi shows it: the message and hint, without the engine's
    internals (the provider host prints the traceback of whatever is raised)."""


@contextmanager
def _engine_call(*passthrough: type[Exception], writes: bool = False) -> Iterator[None]:
    """Engine errors as :class:`FinopsProviderError`, on one line (Pulumi shows the last
    line of the host's report); ``writes``: a conflict names ``adopt=True``."""
    from finopsmetrics_cli.errors import ConflictError, FinopsError, LockError, ValidationFailed

    with _ENGINE_LOCK:
        try:
            yield
        except passthrough:
            raise
        except ValidationFailed as exc:  # e.g. a reference checked when the object is written
            reasons = [_reason(d) for d in exc.diagnostics if d.severity == "error"]
            raise FinopsProviderError("; ".join(reasons) or exc.message) from None
        except FinopsError as exc:
            hint = exc.hint
            if isinstance(exc, ConflictError) and writes:
                hint = ADOPT_HINT
            elif exc.message.startswith("lifecycle.prevent_destroy forbids"):
                hint = PROTECTED_HINT
            elif isinstance(exc, LockError):
                hint = f"wait for it to finish, or set {LOCK_TIMEOUT_ENV} (seconds) to wait longer"
            raise FinopsProviderError(_text(exc.message, hint)) from None


def _text(message: str, hint: str | None) -> str:
    return f"{message} (hint: {hint})" if hint else message


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


_PATH_PART = re.compile(r'\[(\d+|\*|"[^"]*")\]|([^.\[\]]+)')


def changed_at(old: Any, new: Any, path: str) -> bool:
    """Whether the values under a Pulumi property path (``alerts[*].threshold``,
    ``filters["service"]``, ``*``) differ between ``old`` and ``new``."""
    parts = [m.group(1) or m.group(2) for m in _PATH_PART.finditer(path)]
    return _changed(old, new, [p.strip('"') for p in parts])


def _changed(old: Any, new: Any, parts: list[str]) -> bool:
    if not parts:
        return bool(old != new)
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(old, list) or isinstance(new, list):
            old_list, new_list = _as_list(old), _as_list(new)
            size = max(len(old_list), len(new_list))
            return any(_changed(_at(old_list, i), _at(new_list, i), rest) for i in range(size))
        keys = set(_as_dict(old)) | set(_as_dict(new))
        return any(_changed(_as_dict(old).get(k), _as_dict(new).get(k), rest) for k in keys)
    if head.isdigit():
        return _changed(_at(_as_list(old), int(head)), _at(_as_list(new), int(head)), rest)
    return _changed(_as_dict(old).get(head), _as_dict(new).get(head), rest)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _at(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else None


def _with_protection(props: Mapping[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The spec the engine writes: ``protect`` set in the program (True or False) is the
    object's ``lifecycle.prevent_destroy``; left unset, the state keeps what it has."""
    protect = _plain(props.get(PROTECT_KEY))
    if protect is None:
        return spec
    return {**spec, "lifecycle": {"prevent_destroy": bool(protect)}}


def _manager(props: Mapping[str, Any]) -> str:
    """The manager name a property bag was written under (earlier versions: ``pulumi``)."""
    return str(_plain(props.get(MANAGER_KEY)) or LEGACY_MANAGER)


class FinopsProvider(ResourceProvider):
    """One kind's create/read/update/delete/diff/check, each one engine call."""

    serialize_as_secret_always = False
    #: set by ``configure`` in the provider host; a class default because pickles
    #: (in every stack's state) carry nothing but ``kind``
    configured_store: str | None = None

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def configure(self, req: ConfigureRequest) -> None:
        """The host hands every dynamic provider the stack's whole configuration."""
        store = req.config.get(STORE_CONFIG)
        self.configured_store = str(store) if store else None

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
        """Ids are addresses (``budget.ml-training``); a bare name is accepted too."""
        prefix = f"{self.kind}."
        return id_[len(prefix) :] if id_.startswith(prefix) else id_

    def _carried(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _plain(props[k]) for k in CARRIED_KEYS if props.get(k) is not None}

    def _outputs(self, live: Any, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": live.name,
            **live.spec,
            "address": live.address,
            "object_version": live.version,
            "manager": live.manager,
            **self._carried(props),
        }

    # --- the state -----------------------------------------------------

    def engine(self) -> Any:
        """The engine on this run's store (``configured_store``, else the engine's own
        ``$FINOPSMETRICS_STATE`` / default, relative to the program's directory)."""
        from finopsmetrics_cli.engine import Engine

        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT))
        return Engine(self.configured_store, source="pulumi", lock_timeout=timeout)

    def existing_engine(self, props: Mapping[str, Any]) -> Any:
        """The engine, for objects that must already be somewhere: a state that does not
        exist is an error, never an empty success (a moved checkout would otherwise
        drop every resource on refresh and "destroy" nothing)."""
        from finopsmetrics_cli import state as state_pkg
        from finopsmetrics_cli.errors import StateError

        engine = self.engine()
        location = engine.location
        if state_pkg.is_remote(location):
            exists = engine.info().serial > 0
        else:
            exists = Path(location).exists()
        if exists:
            return engine
        hint = (
            f"point this stack at the state its objects live in: "
            f"pulumi config set {STORE_CONFIG} PATH (or set FINOPSMETRICS_STATE)"
        )
        legacy = _plain(props.get(STORE_KEY))
        if legacy and legacy != location:
            hint += f"; this resource was created in {legacy}"
        raise StateError(f"the finopsmetrics state {location} does not exist", hint=hint)

    # --- the ResourceProvider interface --------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The object alone (schema, conditions, secrets), as a preview needs it: what it
        names may be created in the same update, so references wait for create/update,
        where the engine checks them under the state lock."""
        from finopsmetrics_cli.errors import ValidationFailed

        name, spec = self.split(news)
        if _has_unknowns(spec) or _has_unknowns(name):
            return CheckResult({k: v for k, v in news.items() if k != STORE_KEY}, [])
        if not name:
            return CheckResult(dict(news), [CheckFailure("name", "name must not be empty")])
        try:
            with _engine_call(ValidationFailed):
                canonical = self.engine().validate_object(
                    self.kind, name, spec, references=False
                )
        except ValidationFailed as exc:
            failures = [
                CheckFailure(property_path(d.path) or "name", _reason(d))
                for d in exc.diagnostics
                if d.severity == "error"
            ]
            return CheckResult(dict(news), failures or [CheckFailure("name", exc.message)])
        return CheckResult({"name": name, **canonical, **self._carried(news)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Field changes update in place; a new name, an immutable field (the engine's
        list) or a ``replace_on_changes`` path replace. Only a replacement at the same
        address deletes first: a rename creates the new object before deleting the old."""
        old_name, old_spec = self.split(olds)
        new_name, new_spec = self.split(news)
        renamed = old_name != new_name
        replaces = ["name"] if renamed else []
        changed = sorted(
            k for k in set(old_spec) | set(new_spec) if old_spec.get(k) != new_spec.get(k)
        )
        forced = [str(p) for p in _plain(news.get(REPLACE_ON_CHANGES_KEY)) or ()]
        if _has_unknowns(new_spec) or _has_unknowns(new_name):
            roots = {path.split(".")[0] for path in self._immutable()}
            replaces += [k for k in changed if k in roots or _forced(forced, k, None)]
            return DiffResult(changes=None, replaces=replaces, delete_before_replace=not renamed)
        with _engine_call():
            paths = self.engine().requires_replace(self.kind, old_spec, new_spec)
        # Pulumi names top-level properties here (``model`` for the engine's ``model.type``).
        replaces += list(dict.fromkeys(path.split(".")[0] for path in paths))
        replaces += [
            k
            for k in changed
            if k not in replaces and _forced(forced, k, (old_spec.get(k), new_spec.get(k)))
        ]
        protect = _plain(news.get(PROTECT_KEY))
        reprotected = protect is not None and protect != _plain(olds.get(PROTECT_KEY))
        return DiffResult(
            changes=renamed or bool(changed) or reprotected,
            replaces=replaces,
            stables=[],
            delete_before_replace=not renamed,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Creating an object that exists already fails unless ``adopt=True`` asked to
        take it over: Pulumi never silently takes what another tool or stack manages."""
        name, spec = self.split(props)
        adopt = bool(_plain(props.get(ADOPT_KEY)))
        with _engine_call(writes=True):
            live = self.engine().create(
                self.kind, name, _with_protection(props, spec), manager=_manager(props), adopt=adopt
            )
        return CreateResult(live.address, self._outputs(live, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live object (drift included), as outputs and as inputs, so a refresh shows
        drift and the next update puts the program's values back."""
        name = self.name_from_id(id_)
        with _engine_call():
            live = self.existing_engine(props).read(self.address(name))
        if live is None:
            return ReadResult("", {})
        inputs = {"name": live.name, **live.spec, **self._carried(props)}
        return ReadResult(live.address, self._outputs(live, props), inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """An update also renames the manager an object was recorded under by an earlier
        version (``pulumi``) or under the stack's former name, to this stack's."""
        name, spec = self.split(news)
        manager, previous = _manager(news), _manager(olds)
        adopt = bool(_plain(news.get(ADOPT_KEY)))
        with _engine_call(writes=True):
            live = self.existing_engine(olds).update(
                self.kind,
                name,
                _with_protection(news, spec),
                manager=manager,
                adopt=adopt,
                previous_manager=previous if previous != manager else None,
            )
        return UpdateResult(self._outputs(live, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Deleting what is already gone succeeds: Pulumi's state is then simply right.
        The engine refuses an object protected in its state (``prevent_destroy``, which
        ``protect=True`` sets), even once Pulumi's own protection is gone."""
        name = self.name_from_id(id_)
        with _engine_call():
            self.existing_engine(props).delete(self.kind, name, manager=_manager(props))

    def _immutable(self) -> tuple[str, ...]:
        from finopsmetrics_cli.models.base import get_kind

        return get_kind(self.kind).immutable


def _forced(paths: list[str], key: str, values: tuple[Any, Any] | None) -> bool:
    """Whether a ``replace_on_changes`` path covers the change of top-level ``key``
    from ``values`` (old, new); None while they are not known yet (a preview): then
    any path under the key counts."""
    for path in paths:
        root = _PATH_PART.match(path)
        name = (root.group(1) or root.group(2)).strip('"') if root else ""
        if name == "*":
            return True
        if root is None or name != key:
            continue
        rest = path[root.end() :].lstrip(".")
        if values is None or not rest or changed_at(values[0], values[1], rest):
            return True
    return False


def _reason(diagnostic: Any) -> str:
    text = f"{diagnostic.message} [{diagnostic.code}]"
    return f"{text} (hint: {diagnostic.hint})" if diagnostic.hint else text
