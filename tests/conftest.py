"""Session-wide local servers (moto, Azurite), started only by the tests that ask for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_servers import Azurite, MotoServer, azurite_binary, azurite_server, moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[MotoServer]:
    """moto's server on a free loopback port for the whole session (reset it per test)."""
    with moto_server() as server:
        yield server


@pytest.fixture()
def aws(moto_endpoint: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A freshly reset moto server that boto3 in this process talks to."""
    moto_endpoint.environ(monkeypatch)
    moto_endpoint.reset()
    return moto_endpoint


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite's blob service; skipped (with the reason) only where Node.js is missing."""
    binary = azurite_binary()
    if isinstance(binary, str):
        pytest.skip(binary)
    with azurite_server(binary, tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture()
def azure_blob(azurite_endpoint: Azurite, monkeypatch: pytest.MonkeyPatch) -> Azurite:
    """Azurite, with ``AZURE_STORAGE_CONNECTION_STRING`` set for this test."""
    azurite_endpoint.environ(monkeypatch)
    return azurite_endpoint
