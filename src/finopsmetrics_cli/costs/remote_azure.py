"""Billing files in Azure Blob Storage (``azure://account/container/prefix``).

Cost Management exports land in a storage account; they are listed and
downloaded with azure-storage-blob. Credentials come from
``DefaultAzureCredential`` (environment, workload and managed identity, the
Azure CLI ...), or from ``$AZURE_STORAGE_CONNECTION_STRING``, which is how
emulators such as Azurite are reached. A download asks for the listed ETag, so
an export rewritten in between fails loudly.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.locations import KeyPattern, SourceObject, download_path
from finopsmetrics_cli.errors import CostDataError, MissingExtraError

CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING"
AZURE_CHAIN = (
    f"${CONNECTION_STRING_ENV}, then DefaultAzureCredential: environment variables "
    "(AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), "
    "workload identity, managed identity, the shared token cache, Visual Studio Code, "
    "the Azure CLI, Azure PowerShell and the Azure Developer CLI"
)
STORAGE_SCOPE = "https://storage.azure.com/.default"
PAGE_SIZE = 5000  # the Blob service's own maximum per List Blobs page


@dataclass(frozen=True, slots=True)
class AzureBlobPrefix:
    """``azure://account/container/prefix``.

    ``account`` may also be the blob host of a sovereign cloud
    (``acme.blob.core.chinacloudapi.cn``); a bare name is in the public cloud.
    """

    account: str
    container: str
    prefix: str

    @classmethod
    def parse(cls, location: str) -> AzureBlobPrefix:
        account, _, rest = location.removeprefix("azure://").partition("/")
        container, _, prefix = rest.partition("/")
        if not account or not container:
            raise CostDataError(
                f"invalid Azure location {location!r}: it needs an account and a container",
                hint="use azure://ACCOUNT/CONTAINER/PREFIX, "
                "for example azure://acmebilling/exports/costs/",
            )
        return cls(account, container, prefix)

    @property
    def account_name(self) -> str:
        return self.account.split(".", 1)[0]

    @property
    def account_url(self) -> str:
        host = self.account if "." in self.account else f"{self.account}.blob.core.windows.net"
        return f"https://{host}"

    def uri(self, blob: str) -> str:
        return f"azure://{self.account}/{self.container}/{blob}"


@dataclass(frozen=True)
class AzureBlob(SourceObject):
    """A blob; :meth:`fetch` downloads exactly the listed version (by ETag)."""

    where: AzureBlobPrefix | None = None
    blob: str = ""
    container_client: Any = field(default=None, compare=False, repr=False)

    def fetch(self, dest_dir: Path) -> Path:
        from azure.core import MatchConditions

        assert self.where is not None
        target = download_path(dest_dir, self.uri)
        try:
            stream = self.container_client.download_blob(
                self.blob, etag=self.fingerprint, match_condition=MatchConditions.IfNotModified
            )
            with target.open("wb") as out:
                stream.readinto(out)
        except Exception as exc:
            raise azure_error(exc, self.where, self.uri) from exc
        return target


def container_client(where: AzureBlobPrefix) -> Any:
    """A container client: from the connection string if one is set, else DefaultAzureCredential."""
    try:
        from azure.storage.blob import BlobServiceClient, ExponentialRetry
    except ImportError as exc:
        raise MissingExtraError(
            "azure-storage-blob", "azure", "reading cost data from azure://"
        ) from exc
    connection_string = os.environ.get(CONNECTION_STRING_ENV)
    if connection_string:
        try:
            service = BlobServiceClient.from_connection_string(
                connection_string, retry_policy=_retries(ExponentialRetry)
            )
        except ValueError as exc:
            raise CostDataError(
                f"${CONNECTION_STRING_ENV} is not a valid connection string: {exc}"
            ) from exc
        if service.account_name != where.account_name:
            raise CostDataError(
                f"${CONNECTION_STRING_ENV} is for the storage account "
                f"{service.account_name!r}, not {where.account_name!r}",
                hint=f"unset {CONNECTION_STRING_ENV} to sign in with DefaultAzureCredential, "
                "or fix the account in the location",
            )
    else:
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError as exc:
            raise MissingExtraError(
                "azure-identity", "azure", "reading cost data from azure://"
            ) from exc
        credential = signed_in(DefaultAzureCredential, where)
        service = BlobServiceClient(
            where.account_url, credential=credential, retry_policy=_retries(ExponentialRetry)
        )
    return service.get_container_client(where.container)


def _retries(policy: Any) -> Any:
    """Seconds, not the SDK's minute: a misspelt account should not stall a sync.

    Waits of about 1, 3 and 5 s between tries (the SDK's default starts at 15 s).
    """
    return policy(initial_backoff=1, increment_base=2, retry_total=3, random_jitter_range=1)


def signed_in(credential_type: Any, where: AzureBlobPrefix) -> Any:
    """A credential that has a token, or the error naming the chain tried.

    Asked up front because the storage client retries a failed sign-in with
    backoff for over a minute; the credential caches the token for the client.
    Its own multi-page warning is silenced unless logging was configured.
    """
    from azure.core.exceptions import ClientAuthenticationError

    identity_log = logging.getLogger("azure.identity")
    if identity_log.level == logging.NOTSET:
        identity_log.setLevel(logging.ERROR)
    credential = credential_type()
    try:
        credential.get_token(STORAGE_SCOPE)
    except ClientAuthenticationError as exc:
        raise _no_credentials(where.uri(where.prefix)) from exc
    return credential


def list_azure(location: str) -> list[SourceObject]:
    """Every blob under an ``azure://`` location, paginated, sorted by uri."""
    where = AzureBlobPrefix.parse(location)
    client = container_client(where)
    keys = KeyPattern(where.prefix)
    objects: list[SourceObject] = []
    try:
        blobs = client.list_blobs(
            name_starts_with=keys.list_prefix() or None, results_per_page=PAGE_SIZE
        )
        for blob in blobs:
            if keys.matches(blob.name):
                objects.append(
                    AzureBlob(
                        uri=where.uri(blob.name),
                        fingerprint=str(blob.etag).strip('"'),
                        size=int(blob.size),
                        where=where,
                        blob=blob.name,
                        container_client=client,
                    )
                )
    except Exception as exc:
        raise azure_error(exc, where, location) from exc
    return sorted(objects, key=lambda obj: obj.uri)


def azure_error(exc: Exception, where: AzureBlobPrefix, uri: str) -> CostDataError:
    """An azure-core failure as a message that says what to fix."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceModifiedError,
        ResourceNotFoundError,
        ServiceRequestError,
    )

    if isinstance(exc, CostDataError):
        return exc
    code = str(getattr(exc, "error_code", "") or "")
    if isinstance(exc, ResourceNotFoundError) and code == "ContainerNotFound":
        return CostDataError(
            f"Azure container {where.container!r} does not exist "
            f"in the storage account {where.account_name!r}",
            hint=f"check the container name in the location {uri}",
        )
    if isinstance(exc, ResourceModifiedError) or code == "ConditionNotMet":
        return CostDataError(
            f"{uri} changed while it was being synced", hint="run `costs sync` again"
        )
    if isinstance(exc, ClientAuthenticationError) and exc.response is None:
        return _no_credentials(uri)  # no token: raised by the credential, not the service
    if isinstance(exc, ClientAuthenticationError) or code in (
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "AuthenticationFailed",
    ):
        return CostDataError(
            f"access denied reading {uri} ({code or 'authentication failed'})",
            hint="the identity needs the Storage Blob Data Reader role on the container",
        )
    if isinstance(exc, ServiceRequestError):
        return CostDataError(
            f"cannot reach the storage account {where.account_name!r} to read {uri}",
            hint="check the account name and the network",
        )
    if isinstance(exc, HttpResponseError):
        return CostDataError(f"cannot read {uri}: {code or exc.reason}: {exc.message}")
    return CostDataError(f"cannot read {uri}: {exc}")


def _no_credentials(uri: str) -> CostDataError:
    return CostDataError(
        f"no Azure credentials found to read {uri}; tried {AZURE_CHAIN}",
        hint="sign in with `az login`, or set the AZURE_* service principal variables",
    )
