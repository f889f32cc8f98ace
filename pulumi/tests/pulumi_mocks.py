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
