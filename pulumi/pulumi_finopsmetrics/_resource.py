"""The base of every generated resource class.

Decides, when the program runs, what the provider needs later: the store
location (Pulumi config ``finopsmetrics:store``, else ``$FINOPSMETRICS_STATE``,
else ``./.finopsmetrics/state.duckdb``, made absolute because the provider
host may run elsewhere) and whether this resource is an explicit take-over
(``import_``). Both travel as hidden inputs with the resource.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Self

import pulumi
import pulumi.dynamic

from pulumi_finopsmetrics._provider import (
    ADOPT_KEY,
    COMPUTED_KEYS,
    STORE_KEY,
    FinopsProvider,
)

DEFAULT_STORE = ".finopsmetrics/state.duckdb"


def store_location() -> str:
    """Where the state lives, as the program sees it now."""
    store = (
        pulumi.Config("finopsmetrics").get("store")
        or os.environ.get("FINOPSMETRICS_STATE")
        or DEFAULT_STORE
    )
    if "://" in store:
        return store
    return str(Path(store).expanduser().resolve())


class FinopsResource(pulumi.dynamic.Resource):
    """A finopsmetrics object declared in a Pulumi program."""

    KIND: ClassVar[str]
    PROPERTIES: ClassVar[tuple[str, ...]] = ()

    def _register(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None,
        inputs: dict[str, Any],
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        props: dict[str, Any] = dict(inputs)
        if props.get("name") is None and opts.id is None:
            props["name"] = resource_name
        for key in COMPUTED_KEYS:  # None inputs become the computed outputs' attributes
            props[key] = None
        props[STORE_KEY] = store_location()
        if opts.import_:
            props[ADOPT_KEY] = True
        super().__init__(FinopsProvider(self.KIND), resource_name, props, opts)

    @classmethod
    def _lookup(
        cls,
        resource_name: str,
        id_: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None,
    ) -> Self:
        """A read-only reference to an existing object (``Kind.get``): this stack never
        changes it."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id_))
        resource = cls.__new__(cls)
        resource._register(resource_name, opts, {key: None for key in ("name", *cls.PROPERTIES)})
        return resource
