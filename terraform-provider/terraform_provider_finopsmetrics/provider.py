"""The provider: Terraform's resource lifecycle mapped onto the engine.

``tf``'s servicer turns every plan into "planned = proposed", which cannot
express what this provider needs: the engine's canonical spec filling
computed attributes, replacement decided by the kind's immutable fields, and
drift judged on canonical values rather than spellings (``80%`` is ``0.8``).
:class:`FinopsServicer` therefore overrides the resource and data source
RPCs; schema serving, the gRPC server and diagnostics stay ``tf``'s.

Every decision is the engine's: ``validate_object`` (schema, conditions,
references), ``requires_replace``, ``write_objects`` (create, update, delete
with manager ``terraform``: the same checks, history and locking as the CLI),
``read``. Terraform keeps one provider process for a whole plan or apply and
calls it from many threads: the process keeps one :class:`~.live.LiveView` for
reads and one :class:`~.batch.GroupCommit` that writes concurrent applies
together.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tf.iface import Config, DataSource, Provider, ReadDataContext, Resource, State
from tf.schema import Attribute, Schema
from tf.types import Bool, String
from tf.utils import Diagnostics

from terraform_provider_finopsmetrics.schema import data_source_schema, resource_schema

if TYPE_CHECKING:
    from finopsmetrics_cli.engine import Engine, ObjectWrite
    from finopsmetrics_cli.errors import FinopsError
    from finopsmetrics_cli.state.api import LiveObject
    from terraform_provider_finopsmetrics.batch import GroupCommit
    from terraform_provider_finopsmetrics.live import LiveView

PREFIX = "finopsmetrics_"
MANAGER = "terraform"
#: How long a write waits for another writer's state lock (CLI, reconciler).
LOCK_TIMEOUT = 30.0
#: How long a write within a burst of applies waits for more to write with it.
GATHER = 0.05
WriteResults = list["LiveObject | FinopsError | None"]


def kind_names() -> list[str]:
    from finopsmetrics_cli.models.base import kinds

    return [info.kind for info in kinds()]


class FinopsProvider(Provider):
    """Provider ``finopsmetrics/finopsmetrics``: one resource and data source per kind."""

    def __init__(self) -> None:
        self.store: str | None = None
        self.adopt = False
        self._engine: Engine | None = None
        self._view: LiveView | None = None
        self._writes: GroupCommit[ObjectWrite, LiveObject | FinopsError | None] | None = None

    def get_model_prefix(self) -> str:
        return PREFIX

    def full_name(self) -> str:
        return "registry.terraform.io/finopsmetrics/finopsmetrics"

    def get_provider_schema(self, diags: Diagnostics) -> Schema:
        return provider_schema()

    def validate_config(self, diags: Diagnostics, config: Config) -> None:
        store = config.get("store")
        if isinstance(store, str) and not store.strip():
            diags.add_error(
                "store must not be empty",
                "Give a path to the state database, or leave store out.",
                path=["store"],
            )

    def configure_provider(self, diags: Diagnostics, config: Config) -> None:
        store = config.get("store")
        self.store = store if isinstance(store, str) and store else None
        self.adopt = bool(config.get("adopt"))
        if self._view is not None:
            self._view.forget()
        self._engine = self._view = self._writes = None
        _warm_up_once()

    def engine(self) -> Engine:
        """The engine, opened on first use (so ``terraform validate`` needs no state)."""
        if self._engine is None:
            from finopsmetrics_cli.engine import Engine

            state = self.store or os.environ.get("FINOPSMETRICS_STATE") or None
            self._engine = Engine(state, source=MANAGER, lock_timeout=LOCK_TIMEOUT)
        return self._engine

    def view(self) -> LiveView:
        """Reads of live objects (see :mod:`.live`)."""
        if self._view is None:
            from terraform_provider_finopsmetrics.live import LiveView

            engine = self.engine()
            self._view = LiveView(engine.location, engine.read)
        return self._view

    def write(self, request: ObjectWrite) -> LiveObject | FinopsError | None:
        """One write through the engine, committed with whatever other writes wait."""
        if self._writes is None:
            from terraform_provider_finopsmetrics.batch import GroupCommit

            self._writes = GroupCommit(self._write_session, window=GATHER)
        return self._writes.submit(request)

    @contextmanager
    def _write_session(self) -> Iterator[Callable[[list[ObjectWrite]], WriteResults]]:
        view = self.view()
        view.forget()  # a write closes this process's readers; the copy would be stale
        try:
            with self.engine().writing("terraform writes") as session:
                yield session.write
        finally:
            view.forget()

    def get_resources(self) -> list[type[Resource]]:
        return [_resource_class(k) for k in kind_names()]

    def get_data_sources(self) -> list[type[DataSource]]:
        from terraform_provider_finopsmetrics.cost_data import DATA_SOURCES

        return [_data_source_class(k) for k in kind_names()] + list(DATA_SOURCES)


_WARMING: list[threading.Thread] = []


def _warm_up_once() -> None:
    """Import what resource calls need while Terraform is still validating the configuration.

    Only a process Terraform configures serves resources (the others it starts
    only ask for the schema, which is cached), and it sends its first resource
    call after validating every resource: importing the models and DuckDB
    (a third of a second or more) in the meantime takes it off that first call.
    """
    if not _WARMING:
        _WARMING.append(threading.Thread(target=_warm_up, name="warm-up", daemon=True))
        _WARMING[0].start()


def _warm_up() -> None:
    import importlib

    # in the order a first resource call imports them (schema, validation, state),
    # so the two threads never wait on each other's half-imported modules
    for module in _WARM_MODULES:
        importlib.import_module(module)


_WARM_MODULES = (
    "finopsmetrics_cli.models.base",
    "finopsmetrics_cli.config.validate",
    "finopsmetrics_cli.state.store",
    "duckdb",  # what the state store opens files with
)


def provider_schema() -> Schema:
    return Schema(
        version=0,
        attributes=[
            Attribute(
                "store",
                String(),
                optional=True,
                description="Path of the state database (or s3://bucket/key.duckdb). Default: "
                "$FINOPSMETRICS_STATE, then ./.finopsmetrics/state.duckdb.",
            ),
            Attribute(
                "adopt",
                Bool(),
                optional=True,
                description="Take over objects that another tool manages, for every resource "
                "(as `finopsmetrics plan --adopt`). Default false.",
            ),
        ],
    )


class KindResource(Resource):
    """Schema holder for one kind; the lifecycle lives in :class:`FinopsServicer`."""

    kind = ""

    def __init__(self, provider: FinopsProvider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.kind

    @classmethod
    def get_schema(cls) -> Schema:
        return resource_schema(cls.kind)

    def create(
        self, ctx: Any, planned: State
    ) -> State | None:  # pragma: no cover - servicer does it
        raise _handled_by_servicer()

    def read(self, ctx: Any, current: State) -> State | None:  # pragma: no cover
        raise _handled_by_servicer()

    def update(self, ctx: Any, current: State, planned: State) -> State | None:  # pragma: no cover
        raise _handled_by_servicer()

    def delete(self, ctx: Any, current: State) -> None:  # pragma: no cover
        raise _handled_by_servicer()

    def import_(self, ctx: Any, id: str) -> State | None:  # pragma: no cover
        raise _handled_by_servicer()


def _handled_by_servicer() -> RuntimeError:
    """The tf package wants these methods; FinopsServicer serves every call through the engine."""
    return RuntimeError("finopsmetrics resources are served by FinopsServicer, not called directly")


class KindDataSource(DataSource):
    kind = ""

    def __init__(self, provider: FinopsProvider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.kind

    @classmethod
    def get_schema(cls) -> Schema:
        return data_source_schema(cls.kind)

    def read(self, ctx: ReadDataContext, config: Config) -> State | None:  # pragma: no cover
        raise _handled_by_servicer()


_CLASSES: dict[tuple[str, str], type[Any]] = {}


def _resource_class(kind: str) -> type[KindResource]:
    key = ("resource", kind)
    if key not in _CLASSES:
        _CLASSES[key] = type(
            f"{kind.title().replace('_', '')}Resource", (KindResource,), {"kind": kind}
        )
    return _CLASSES[key]


def _data_source_class(kind: str) -> type[KindDataSource]:
    key = ("data", kind)
    if key not in _CLASSES:
        _CLASSES[key] = type(
            f"{kind.title().replace('_', '')}DataSource", (KindDataSource,), {"kind": kind}
        )
    return _CLASSES[key]
