"""Drive the dynamic provider the way the Pulumi engine does: over gRPC, against
Pulumi's own dynamic-provider host (``python -m pulumi.dynamic``) in a
subprocess, with properties as protobuf Structs and the provider pickled into
``__provider`` by Pulumi's own serializer."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc
from pulumi_finopsmetrics._provider import FinopsProvider

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's "not known yet" sentinel


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


@dataclass
class Diff:
    changes: str
    replaces: list[str]
    delete_before_replace: bool


class ProviderHost:
    """One running host process and a client for one kind's resources."""

    def __init__(self) -> None:
        # A short lock wait keeps the held-lock test quick (the default is 30 s).
        env = {**os.environ, "PULUMI_PROJECT": "finops", "FINOPSMETRICS_LOCK_TIMEOUT": "0.5"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(proto.ConfigureRequest(args=struct({}), acceptSecrets=True))

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)


class KindClient:
    """Calls as the engine makes them for resources of one kind in one store."""

    def __init__(self, host: ProviderHost, kind: str, store: str) -> None:
        self.stub = host.stub
        self.kind = kind
        self.hidden = {"__provider": serialize_provider(FinopsProvider(kind)), "__store": store}
        self.urn = f"urn:pulumi:dev::finops::pulumi-python:dynamic/finopsmetrics:{kind}::r"

    def check(
        self, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            proto.CheckRequest(
                urn=self.urn, olds=struct(olds or {}), news=struct({**news, **self.hidden})
            )
        )
        return plain(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Diff:
        response = self.stub.Diff(
            proto.DiffRequest(id=id_, urn=self.urn, olds=struct(olds), news=struct(news))
        )
        changes = proto.DiffResponse.DiffChanges.Name(response.changes)
        return Diff(changes, list(response.replaces), response.deleteBeforeReplace)

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(proto.CreateRequest(urn=self.urn, properties=struct(props)))
        return response.id, plain(response.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """A refresh: the engine sends the outputs it has in its state."""
        request = proto.ReadRequest(id=id_, urn=self.urn, properties=struct(props))
        return self._read(request)

    def import_(
        self, id_: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """An ``import_``: no state yet, only the program's inputs."""
        request = proto.ReadRequest(id=id_, urn=self.urn, inputs=struct({**inputs, **self.hidden}))
        return self._read(request)

    def _read(self, request: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
        response = self.stub.Read(request)
        return response.id, plain(response.properties), plain(response.inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        response = self.stub.Update(
            proto.UpdateRequest(id=id_, urn=self.urn, olds=struct(olds), news=struct(news))
        )
        return plain(response.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(proto.DeleteRequest(id=id_, urn=self.urn, properties=struct(props)))
