"""Run what the Pulumi engine runs, without the ``pulumi`` CLI (not installable here).

Three pieces, each as the engine has it:

- :func:`registrations` runs a program under Pulumi's mock monitor and keeps
  each ``RegisterResource`` request: the inputs exactly as the SDK serialised
  them (the provider pickled into ``__provider``, secrets marked), which is what
  the engine forwards to the provider.
- :class:`ProviderHost` is Pulumi's own dynamic-provider host
  (``python -m pulumi.dynamic``) in a subprocess, configured with the stack's
  config as the engine does (every key, namespaced), driven over gRPC.
- :class:`Stack` keeps a stack's state (id, inputs, outputs per resource) and
  calls the host in the engine's order (pkg/resource/deploy/step_generator.go):
  Check, then Diff for a resource already in state, then Create/Update (or a
  replacement: delete first only when the provider asks); Read with the old
  inputs and outputs on refresh; Read with the id alone for an import; Delete
  in reverse order on destroy. The host says ``acceptSecrets: false``, so, as
  the engine does, secret markers are stripped before a call.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_mocks import RecordingMocks, RecordingMonitor

UNKNOWN = rpc.UNKNOWN  # the engine's "not known yet" sentinel


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def strip_secrets(value: Any) -> Any:
    """What a provider that does not accept secrets is sent: values, no markers."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return strip_secrets(value["value"])
        return {k: strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


@dataclass
class Registration:
    """One ``RegisterResource`` request of a program."""

    name: str
    kind: str
    inputs: dict[str, Any]
    replace_on_changes: list[str]
    protect: bool


def registrations(
    program: Callable[[], Any],
    *,
    project: str = "finops",
    stack: str = "dev",
    config: dict[str, str] | None = None,
) -> dict[str, Registration]:
    """Run ``program`` under Pulumi's mocks with the stack's config; each resource's
    registration, in order."""
    recorder = RecordingMocks()
    monitor = RecordingMonitor(recorder)
    pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}))

    @pulumi.runtime.test
    def run() -> Any:
        program()

    run()
    found: dict[str, Registration] = {}
    for name, request in monitor.requests.items():
        if not request.type.startswith("pulumi-python:dynamic/"):
            continue  # the stack itself
        kind = _kind_of_type(request.type)
        found[name] = Registration(
            name, kind, plain(request.object), list(request.replaceOnChanges), request.protect
        )
    return found


def _kind_of_type(type_token: str) -> str:
    """``pulumi-python:dynamic/finopsmetrics:NotificationChannel`` -> ``notification_channel``."""
    cls = type_token.rsplit(":", 1)[-1]
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in cls).lstrip("_")


class ProviderHost:
    """One running host process, configured like the engine configures it."""

    def __init__(
        self,
        *,
        config: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        project: str = "finops",
    ) -> None:
        base = {k: v for k, v in os.environ.items() if k != "FINOPSMETRICS_STATE"}
        # A short lock wait keeps the held-lock test quick (the default is 30 s).
        environment = {
            **base,
            "PULUMI_PROJECT": project,
            "FINOPSMETRICS_LOCK_TIMEOUT": "0.5",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=cwd,
        )
        assert self.process.stdout is not None
        self.config = dict(config or {})
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        response = self.stub.Configure(
            proto.ConfigureRequest(args=struct(config or {}), acceptSecrets=True)
        )
        self.accepts_secrets = response.acceptSecrets

    def send(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return struct(props if self.accepts_secrets else strip_secrets(props))

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)


class CheckFailed(Exception):
    """The engine stops a resource whose Check reports failures."""

    def __init__(self, name: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(f"{name}: {failures}")
        self.failures = failures


@dataclass
class Resource:
    """One resource in a stack's state, as the engine records it."""

    kind: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Stack:
    """A stack's state and the engine's calls for preview, up, refresh and destroy."""

    host: ProviderHost
    project: str = "finops"
    name: str = "dev"
    resources: dict[str, Resource] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def register(self, program: Callable[[], Any]) -> dict[str, Registration]:
        """The program run for this stack, with the config its provider host has."""
        return registrations(
            program, project=self.project, stack=self.name, config=self.host.config
        )

    def urn(self, name: str, kind: str) -> str:
        kind_type = f"pulumi-python:dynamic/finopsmetrics:{kind}"
        return f"urn:pulumi:{self.name}::{self.project}::{kind_type}::{name}"

    # --- the provider RPCs ---------------------------------------------

    def check(self, reg: Registration) -> dict[str, Any]:
        old = self.resources.get(reg.name)
        self.calls.append(f"Check {reg.name}")
        response = self.host.stub.Check(
            proto.CheckRequest(
                urn=self.urn(reg.name, reg.kind),
                olds=self.host.send(old.inputs if old else {}),
                news=self.host.send(reg.inputs),
            )
        )
        failures = [(f.property, f.reason) for f in response.failures]
        if failures:
            raise CheckFailed(reg.name, failures)
        return plain(response.inputs)

    def diff(self, name: str, news: dict[str, Any]) -> proto.DiffResponse:
        old = self.resources[name]
        self.calls.append(f"Diff {name}")
        return self.host.stub.Diff(
            proto.DiffRequest(
                id=old.id,
                urn=self.urn(name, old.kind),
                olds=self.host.send(old.outputs),
                news=self.host.send(news),
                old_inputs=self.host.send(old.inputs),
            )
        )

    def create(self, name: str, kind: str, inputs: dict[str, Any]) -> Resource:
        self.calls.append(f"Create {name}")
        response = self.host.stub.Create(
            proto.CreateRequest(urn=self.urn(name, kind), properties=self.host.send(inputs))
        )
        return Resource(kind, response.id, inputs, plain(response.properties))

    def update(self, name: str, news: dict[str, Any]) -> Resource:
        old = self.resources[name]
        self.calls.append(f"Update {name}")
        response = self.host.stub.Update(
            proto.UpdateRequest(
                id=old.id,
                urn=self.urn(name, old.kind),
                olds=self.host.send(old.outputs),
                news=self.host.send(news),
                old_inputs=self.host.send(old.inputs),
            )
        )
        return Resource(old.kind, old.id, news, plain(response.properties))

    def delete(self, name: str, resource: Resource) -> None:
        self.calls.append(f"Delete {name}")
        self.host.stub.Delete(
            proto.DeleteRequest(
                id=resource.id,
                urn=self.urn(name, resource.kind),
                properties=self.host.send(resource.outputs),
                old_inputs=self.host.send(resource.inputs),
            )
        )

    def read(self, name: str) -> proto.ReadResponse:
        """A refresh: the old inputs and outputs (the engine's RefreshStep)."""
        old = self.resources[name]
        self.calls.append(f"Read {name}")
        return self.host.stub.Read(
            proto.ReadRequest(
                id=old.id,
                urn=self.urn(name, old.kind),
                properties=self.host.send(old.outputs),
                inputs=self.host.send(old.inputs),
            )
        )

    def read_id_only(self, name: str, kind: str, id_: str) -> proto.ReadResponse:
        """The import step (ImportStep.Apply): the id alone, no inputs, no state."""
        self.calls.append(f"Read {name}")
        return self.host.stub.Read(proto.ReadRequest(id=id_, urn=self.urn(name, kind)))

    # --- operations ------------------------------------------------------

    def preview(self, regs: dict[str, Registration]) -> dict[str, str]:
        """Check and Diff only; each resource's planned step."""
        steps: dict[str, str] = {}
        for reg in regs.values():
            news = self.check(reg)
            if reg.name not in self.resources:
                steps[reg.name] = "create"
                continue
            diff = self.diff(reg.name, news)
            steps[reg.name] = _step(diff)
        for name in self.resources:
            steps.setdefault(name, "delete")
        return steps

    def up(self, regs: dict[str, Registration]) -> dict[str, str]:
        """Check, Diff, then Create / Update / replace; resources no longer declared are
        deleted last, in reverse order."""
        steps: dict[str, str] = {}
        for reg in regs.values():
            news = self.check(reg)
            old = self.resources.get(reg.name)
            if old is None:
                self.resources[reg.name] = self.create(reg.name, reg.kind, news)
                steps[reg.name] = "create"
                continue
            diff = self.diff(reg.name, news)
            step = steps[reg.name] = _step(diff)
            if step == "same":
                self.resources[reg.name] = Resource(old.kind, old.id, news, old.outputs)
            elif step == "update":
                self.resources[reg.name] = self.update(reg.name, news)
            elif diff.deleteBeforeReplace:
                self.delete(reg.name, old)
                del self.resources[reg.name]
                self.resources[reg.name] = self.create(reg.name, reg.kind, news)
            else:
                self.resources[reg.name] = self.create(reg.name, reg.kind, news)
                self.delete(reg.name, old)
        for name in reversed([n for n in self.resources if n not in regs]):
            self.delete(name, self.resources.pop(name))
            steps[name] = "delete"
        return steps

    def refresh(self) -> None:
        for name in list(self.resources):
            response = self.read(name)
            if not response.id:
                del self.resources[name]
                continue
            old = self.resources[name]
            inputs = plain(response.inputs) if response.HasField("inputs") else old.inputs
            outputs = plain(response.properties)
            self.resources[name] = Resource(old.kind, response.id, inputs, outputs)

    def destroy(self) -> None:
        for name in reversed(list(self.resources)):
            self.delete(name, self.resources[name])
            del self.resources[name]

    def outputs(self, name: str) -> dict[str, Any]:
        return self.resources[name].outputs

    def __iter__(self) -> Iterator[str]:
        return iter(self.resources)


def _step(diff: proto.DiffResponse) -> str:
    if diff.changes == proto.DiffResponse.DIFF_NONE:
        return "same"
    if diff.replaces:
        return "replace"
    return "update"


def error_line(exc: grpc.RpcError) -> str:
    """The last line of what the host reports for a failed call (Pulumi prints it)."""
    return exc.details().rstrip().splitlines()[-1]  # type: ignore[attr-defined, no-any-return]
