"""The resource and data source RPCs, each a few engine calls.

Values in Terraform state keep the user's spelling (``"80%"``, a heredoc
condition) as long as the engine's canonical form of that spelling equals the
live object; a field whose canonical form differs from live is drift and is
rewritten from the live spec, so ``terraform plan`` shows it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import grpc
from tf.gen import tfplugin_pb2 as pb
from tf.provider import ProviderServicer
from tf.types import Unknown
from tf.utils import Diagnostics, _to_attribute_path, read_dynamic_value, to_dynamic_value

from finopsmetrics_cli.errors import ConflictError, FinopsError, ValidationFailed
from terraform_provider_finopsmetrics import cost_data, schema_cache
from terraform_provider_finopsmetrics.convert import (
    Wire,
    has_unknown,
    plan_wire,
    spec_to_wire,
    wire_path,
    wire_to_spec,
)
from terraform_provider_finopsmetrics.provider import MANAGER, PREFIX, FinopsProvider
from terraform_provider_finopsmetrics.schema import KindSchema, kind_schema

#: Diagnostic codes that only say "the referenced object does not exist yet".
#: At plan time the object may be created earlier in the same apply, so these
#: wait for apply (where the engine checks again).
REFERENCE_CODES = frozenset({"E301"})


def _kind(type_name: str) -> str:
    return type_name[len(PREFIX) :]


def add_error(
    diags: Diagnostics,
    exc: FinopsError,
    ks: KindSchema | None = None,
    skip_codes: frozenset[str] = frozenset(),
    adopt_hint: bool = False,
) -> None:
    """A FinopsError as Terraform diagnostics, each pointing at its attribute.

    ``adopt_hint``: a conflict on create/update, which ``adopt = true`` resolves."""
    if isinstance(exc, ValidationFailed):
        for d in exc.diagnostics:
            if d.code in skip_codes:
                continue
            path = wire_path(ks, d.path) if ks is not None and d.path else None
            detail = f"[{d.code}] {d.hint}" if d.hint else f"[{d.code}]"
            if d.severity == "warning":
                diags.add_warning(d.message, detail, path=path)
            else:
                diags.add_error(d.message, detail, path=path)
        return
    if isinstance(exc, ConflictError) and adopt_hint:
        diags.add_error(
            exc.message,
            "Set adopt = true on the resource (or in the provider block) "
            "to take it over; until then Terraform leaves it alone.",
        )
        return
    diags.add_error(exc.message, exc.hint or "")


def _has_errors(exc: ValidationFailed, skip_codes: frozenset[str]) -> bool:
    return any(d.severity == "error" and d.code not in skip_codes for d in exc.diagnostics)


class FinopsServicer(ProviderServicer):
    """``tf``'s servicer with the lifecycle RPCs done through the engine."""

    app: FinopsProvider

    # ------------------------------------------------------------ helpers

    def _call(
        self,
        diags: Diagnostics,
        fn: Callable[[], Any],
        ks: KindSchema | None = None,
        adopt_hint: bool = False,
    ) -> Any:
        """Run one engine call; errors (raised or returned) become diagnostics."""
        try:
            result = fn()
            if isinstance(result, FinopsError):
                raise result
            return result
        except FinopsError as exc:
            add_error(diags, exc, ks, adopt_hint=adopt_hint)
        except Exception as exc:  # a bug, not user input: say so, with the trace on stderr
            traceback.print_exc()
            diags.add_error(
                f"internal error in the finopsmetrics provider: {type(exc).__name__}: {exc}",
                "Please report this with the provider's stderr output.",
            )
        return None

    def _canonical(self, kind: str, name: str, wire: Wire) -> dict[str, Any] | None:
        """The engine's canonical form of a wire state, or None if it no longer validates."""
        try:
            return self._validate(kind, name, wire_to_spec(kind_schema(kind), wire))
        except FinopsError:
            return None

    def _validate(self, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        """The engine's validation, the objects it names looked up in the provider's view."""
        canonical: dict[str, Any] = self.app.engine().validate_object(
            kind, name, spec, known=self.app.view().exists
        )
        return canonical

    def _live_wire(
        self, kind: str, name: str, live_spec: dict[str, Any], prior: Wire | None
    ) -> Wire:
        """Wire state for a live spec, keeping prior spellings that mean the same."""
        ks = kind_schema(kind)
        same: set[str] = set()
        if prior is not None:
            as_written = wire_to_spec(ks, prior)
            if as_written == live_spec:  # the common case: no engine call needed
                return spec_to_wire(ks, live_spec, prior)
            canon = self._canonical(kind, name, prior)
            if canon is not None:
                same = {
                    f.spec_name
                    for f in ks.fields
                    if canon.get(f.spec_name) == live_spec.get(f.spec_name)
                }
        return spec_to_wire(ks, live_spec, prior, keep=same)

    # ------------------------------------------------------------ schema

    def GetProviderSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        def build() -> bytes:
            return bytes(
                super(FinopsServicer, self).GetProviderSchema(request, context).SerializeToString()
            )

        return pb.GetProviderSchema.Response.FromString(schema_cache.cached(build))

    def ValidateResourceConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        # Terraform has already checked the configuration against the schema;
        # the engine validates the values at plan time, when they are known.
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    # ------------------------------------------------------------ upgrade

    def UpgradeResourceState(self, request: Any, context: grpc.ServicerContext) -> Any:
        # The JSON state already has this schema's shape (version 0); hand it
        # back as JSON so dynamic values keep their {"value","type"} form.
        return pb.UpgradeResourceState.Response(
            upgraded_state=pb.DynamicValue(json=request.raw_state.json)
        )

    # ------------------------------------------------------------ read

    def ReadResource(self, request: Any, context: grpc.ServicerContext) -> Any:
        diags = Diagnostics()
        kind = _kind(request.type_name)
        current = read_dynamic_value(request.current_state)
        name = current["name"]
        live = self._call(diags, lambda: self.app.view().get(f"{kind}.{name}"))
        if diags.has_errors():
            return pb.ReadResource.Response(
                new_state=request.current_state, diagnostics=diags.to_pb()
            )
        if live is None:  # deleted outside Terraform: plan will create it again
            return pb.ReadResource.Response(
                new_state=to_dynamic_value(None), diagnostics=diags.to_pb()
            )
        new = self._live_wire(kind, name, live.spec, current)
        new.update(id=name, name=name, adopt=current.get("adopt"))
        if live.manager not in (MANAGER, None):
            diags.add_warning(
                f"{kind}.{name} is now managed by {live.manager}",
                "Terraform will not change it unless adopt = true is set.",
                path=["name"],
            )
        return pb.ReadResource.Response(new_state=to_dynamic_value(new), diagnostics=diags.to_pb())

    # ------------------------------------------------------------ plan

    def PlanResourceChange(self, request: Any, context: grpc.ServicerContext) -> Any:
        diags = Diagnostics()
        kind = _kind(request.type_name)
        ks = kind_schema(kind)
        prior = read_dynamic_value(request.prior_state)
        proposed = read_dynamic_value(request.proposed_new_state)
        config = read_dynamic_value(request.config)
        if proposed is None or config is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        name = config.get("name")
        canonical: dict[str, Any] | None = None
        if not has_unknown(config):
            spec = wire_to_spec(ks, config)
            try:
                canonical = self._validate(kind, name, spec)
            except ValidationFailed as exc:
                add_error(diags, exc, ks, skip_codes=REFERENCE_CODES)
                if _has_errors(exc, REFERENCE_CODES):
                    return pb.PlanResourceChange.Response(diagnostics=diags.to_pb())
                canonical = None
            except FinopsError as exc:
                add_error(diags, exc, ks)
                return pb.PlanResourceChange.Response(diagnostics=diags.to_pb())
            except Exception as exc:  # a bug, not user input
                traceback.print_exc()
                diags.add_error(f"internal error in the finopsmetrics provider: {exc!r}")
                return pb.PlanResourceChange.Response(diagnostics=diags.to_pb())
        planned = plan_wire(ks, config, canonical)
        planned.update(
            name=name, adopt=config.get("adopt"), id=name if isinstance(name, str) else Unknown
        )
        replace: list[Any] = []
        if prior is not None:
            if prior.get("name") != name:
                replace.append(_to_attribute_path(["name"]))
            old = wire_to_spec(ks, prior)
            if canonical is not None and old != canonical:
                # Both sides canonical: "usd" in state and "USD" planned is no change.
                old = self._canonical(kind, prior["name"], prior) or old
                fields = self._call(
                    diags, lambda: self.app.engine().requires_replace(kind, old, canonical)
                )
                for dotted in fields or ():
                    replace.append(_to_attribute_path(wire_path(ks, tuple(dotted.split(".")))))
        return pb.PlanResourceChange.Response(
            planned_state=to_dynamic_value(planned),
            requires_replace=replace,
            diagnostics=diags.to_pb(),
        )

    # ------------------------------------------------------------ apply

    def ApplyResourceChange(self, request: Any, context: grpc.ServicerContext) -> Any:
        diags = Diagnostics()
        kind = _kind(request.type_name)
        ks = kind_schema(kind)
        prior = read_dynamic_value(request.prior_state)
        planned = read_dynamic_value(request.planned_state)
        from finopsmetrics_cli.engine import ObjectWrite  # not at start: most starts serve a schema

        if planned is None:
            delete = ObjectWrite("delete", kind, prior["name"], None, MANAGER)
            self._call(diags, lambda: self.app.write(delete), ks)
            new_state = request.prior_state if diags.has_errors() else to_dynamic_value(None)
            return pb.ApplyResourceChange.Response(new_state=new_state, diagnostics=diags.to_pb())
        name = planned["name"]
        adopt = bool(planned.get("adopt")) or self.app.adopt
        write = ObjectWrite(
            "create" if prior is None else "update",
            kind, name, wire_to_spec(ks, planned), MANAGER, adopt,
        )  # fmt: skip
        live = self._call(diags, lambda: self.app.write(write), ks, adopt_hint=True)
        if live is None:
            # Nothing written: keep the prior state (None for a failed create).
            return pb.ApplyResourceChange.Response(
                new_state=request.prior_state, diagnostics=diags.to_pb()
            )
        new = self._live_wire(kind, name, live.spec, planned)
        new.update(id=name, name=name, adopt=planned.get("adopt"))
        return pb.ApplyResourceChange.Response(
            new_state=to_dynamic_value(new), diagnostics=diags.to_pb()
        )

    # ------------------------------------------------------------ import

    def ImportResourceState(self, request: Any, context: grpc.ServicerContext) -> Any:
        diags = Diagnostics()
        kind = _kind(request.type_name)
        name = request.id
        live = self._call(diags, lambda: self.app.view().get(f"{kind}.{name}"))
        if live is None and not diags.has_errors():
            diags.add_error(
                f"no {kind} named {name!r} in the state",
                f"`finopsmetrics state list` shows the {kind} objects that exist.",
            )
        if live is None:
            return pb.ImportResourceState.Response(diagnostics=diags.to_pb())
        if live.manager not in (MANAGER, None):
            diags.add_warning(
                f"{kind}.{name} is managed by {live.manager}",
                "Changes from Terraform will be refused unless adopt = true is set.",
            )
        state = spec_to_wire(kind_schema(kind), live.spec)
        state.update(id=name, name=name, adopt=None)
        imported = pb.ImportResourceState.ImportedResource(
            type_name=request.type_name, state=to_dynamic_value(state)
        )
        return pb.ImportResourceState.Response(
            imported_resources=[imported], diagnostics=diags.to_pb()
        )

    # ------------------------------------------------------------ data

    def ReadDataSource(self, request: Any, context: grpc.ServicerContext) -> Any:
        diags = Diagnostics()
        kind = _kind(request.type_name)
        config = read_dynamic_value(request.config)
        if kind in cost_data.READERS:  # cost data, not an object
            read = cost_data.READERS[kind]
            state = self._call(diags, lambda: read(self.app.engine(), config))
            if state is None:
                return pb.ReadDataSource.Response(diagnostics=diags.to_pb())
            return pb.ReadDataSource.Response(
                state=to_dynamic_value(state), diagnostics=diags.to_pb()
            )
        name = config.get("name")
        live = self._call(diags, lambda: self.app.view().get(f"{kind}.{name}"))
        if live is None:
            if not diags.has_errors():
                diags.add_error(f"no {kind} named {name!r} in the state", path=["name"])
            return pb.ReadDataSource.Response(diagnostics=diags.to_pb())
        state = spec_to_wire(kind_schema(kind, "data"), live.spec)
        state.update(id=name, name=name, manager=live.manager)
        return pb.ReadDataSource.Response(state=to_dynamic_value(state), diagnostics=diags.to_pb())
