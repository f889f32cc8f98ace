"""The base of every generated resource class.

Decides, when the program runs, what only the program knows and the provider
needs later, and sends it as hidden inputs: the stack's manager name
(``pulumi:PROJECT/STACK``: the provider host is not told the stack), an
explicit take-over (``adopt=True``), ``replace_on_changes`` (the host does
not pass Pulumi's detailed diff, so the provider applies it itself) and
``protect`` when the program sets it (recorded as the object's
``lifecycle.prevent_destroy``, which every front end respects).
Where the state lives is not among them: the provider host resolves it on
every run.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import pulumi
import pulumi.dynamic

from pulumi_finopsmetrics._provider import (
    ADOPT_KEY,
    COMPUTED_KEYS,
    MANAGER_KEY,
    PROTECT_KEY,
    REPLACE_ON_CHANGES_KEY,
    FinopsProvider,
)


def stack_manager() -> str:
    """The manager name this stack's objects are recorded under: two stacks of one
    program (``dev`` and ``prod``) against one state never share objects."""
    return f"pulumi:{pulumi.get_project()}/{pulumi.get_stack()}"


class FinopsResource(pulumi.dynamic.Resource):
    """A finopsmetrics object declared in a Pulumi program."""

    KIND: ClassVar[str]
    PROPERTIES: ClassVar[tuple[str, ...]] = ()

    def _register(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None,
        inputs: dict[str, Any],
        *,
        adopt: bool | None = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        if opts.import_:
            # The engine's import step reads with the id alone, which a dynamic
            # provider cannot serve (pulumi/pulumi#3550, #11279).
            raise pulumi.RunError(
                f"{type(self).__name__} {resource_name!r}: import_ does not work with "
                "finopsmetrics resources (Pulumi dynamic providers cannot import); "
                "declare the object as it is with adopt=True instead"
            )
        props: dict[str, Any] = dict(inputs)
        if props.get("name") is None and opts.id is None:
            props["name"] = resource_name
        for key in COMPUTED_KEYS:  # None inputs become the computed outputs' attributes
            props[key] = None
        props[MANAGER_KEY] = stack_manager()
        if adopt:
            props[ADOPT_KEY] = True
        if opts.replace_on_changes:
            props[REPLACE_ON_CHANGES_KEY] = list(opts.replace_on_changes)
        if opts.protect is not None and opts.id is None:
            props[PROTECT_KEY] = bool(opts.protect)
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
