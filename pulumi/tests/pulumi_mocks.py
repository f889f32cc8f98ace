"""Pulumi's mock monitor, recording every registration (programs under test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

PROGRAMS = Path(__file__).parent / "programs"


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like a provider that accepts every input; remembers what was registered."""

    def __init__(self) -> None:
        self.resources: dict[str, Any] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources[args.name] = args
        inputs = dict(args.inputs)
        kind = args.typ.rsplit(":", 1)[-1]
        return args.resource_id or f"{kind}.{inputs.get('name')}", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """Keeps the raw RegisterResource requests: options such as protect live there."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.requests: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC name
        self.requests[request.name] = request
        return super().RegisterResource(request)


class EngineMocks(pulumi.runtime.Mocks):
    """Mocks whose "provider" is the real one: each registration is checked and
    created by the pickled FinopsProvider, as the provider host would."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        import base64

        import dill

        inputs = dict(args.inputs)
        provider = dill.loads(base64.b64decode(inputs["__provider"]))
        checked = provider.check({}, inputs)
        if checked.failures:
            raise AssertionError([(f.property, f.reason) for f in checked.failures])
        created = provider.create(checked.inputs)
        return created.id, created.outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class CheckingMocks(pulumi.runtime.Mocks):
    """Mocks that only run the real provider's ``check`` (the engine's validation) and
    answer with the checked inputs, remembering them per address."""

    def __init__(self) -> None:
        self.checked: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        import base64

        import dill

        inputs = dict(args.inputs)
        provider = dill.loads(base64.b64decode(inputs["__provider"]))
        result = provider.check({}, inputs)
        if result.failures:
            raise AssertionError([(f.property, f.reason) for f in result.failures])
        address = provider.address(result.inputs["name"])
        self.checked[address] = result.inputs
        return address, {
            **result.inputs,
            "address": address,
            "object_version": 1,
            "manager": "pulumi",
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None
