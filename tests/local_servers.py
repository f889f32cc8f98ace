"""Real local servers the tests talk to: moto's AWS server and Azurite (Azure Storage).

Each is started on a free 127.0.0.1 port by a session fixture in
``tests/conftest.py`` and stopped at the end; tests import the classes from here
for their type hints.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
AZURITE_VERSION = "3.35.0"  # 3.37 needs Node 22
# The well-known development account every Azure Storage emulator accepts.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_DIR_ENV = "FINOPSMETRICS_AZURITE_DIR"
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(command: list[str], port: int, name: str, log: Path | None = None) -> Iterator[None]:
    """Run a server until the block ends; wait until it accepts connections."""
    out = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    detail = log.read_text(errors="replace")[-2000:] if log else ""
                    raise RuntimeError(f"{name} did not start\n{detail}") from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@dataclass
class MotoServer:
    """moto's server: one endpoint for S3, Cost Explorer and the rest of AWS."""

    endpoint: str

    def environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point boto3 at the server with dummy credentials, ignoring the user's profile."""
        for name, value in {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "FINOPSMETRICS_S3_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)

    def reset(self) -> None:
        """Forget every bucket, object and seeded result."""
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    port = free_port()
    with running([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], port, "moto_server"):
        yield MotoServer(f"http://127.0.0.1:{port}")


@dataclass
class Azurite:
    """Azurite's blob service with the emulator's development account."""

    blob_endpoint: str
    account: str = AZURITE_ACCOUNT

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.blob_endpoint};"
        )

    def environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", self.connection_string)


def azurite_binary() -> Path | str:
    """``azurite-blob``, installed on demand with npm into a cache directory.

    Returns a reason (str) when it cannot be had: no Node.js or npm here.
    ``make test`` installs it ahead into the same directory.
    """
    cache = Path(os.environ.get(AZURITE_DIR_ENV) or REPO / ".cache" / "azurite")
    binary = cache / "node_modules" / ".bin" / "azurite-blob"
    if binary.exists():
        return binary
    if not shutil.which("node") or not shutil.which("npm"):
        return "Node.js and npm are not installed: the Azure blob tests need Azurite (npm)"
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test workers share the cache
        if not binary.exists():
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(cache),
                    "--no-audit",
                    "--no-fund",
                    f"azurite@{AZURITE_VERSION}",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
    return binary


@contextmanager
def azurite_server(binary: Path, workdir: Path) -> Iterator[Azurite]:
    port = free_port()
    command = [
        str(binary),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--location",
        str(workdir),
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
    ]
    with running(command, port, "azurite-blob", log=workdir / "azurite.log"):
        yield Azurite(f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}")
