"""Cost data locations: local paths, globs and directories; s3:// against moto's server."""

from __future__ import annotations

import http.server
import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finopsmetrics_cli.costs import remote_azure, remote_s3
from finopsmetrics_cli.costs.locations import KeyPattern, SourceObject, list_objects
from finopsmetrics_cli.costs.remote_azure import AzureBlobPrefix
from finopsmetrics_cli.costs.remote_s3 import s3_client
from finopsmetrics_cli.errors import CostDataError, MissingExtraError
from local_servers import Azurite, MotoServer


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_local_file_is_itself_with_a_size_and_mtime_fingerprint(tmp_path: Path) -> None:
    path = _write(tmp_path / "focus.csv", "BilledCost\n1\n")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    [obj] = list_objects(str(path))
    assert obj == SourceObject(str(path), "13:1700000000000000000", 13)
    assert obj.fetch(tmp_path / "dest") == path
    assert not (tmp_path / "dest").exists()


def test_a_directory_lists_every_file_below_it_sorted_without_dotfiles(tmp_path: Path) -> None:
    for name in ("b/2024-02.csv", "a.parquet", "b/2024-01.csv.gz", ".DS_Store", "b/.swap/x"):
        _write(tmp_path / "bills" / name, "x")
    uris = [obj.uri for obj in list_objects(str(tmp_path / "bills"))]
    assert uris == [
        str(tmp_path / "bills" / "a.parquet"),
        str(tmp_path / "bills" / "b" / "2024-01.csv.gz"),
        str(tmp_path / "bills" / "b" / "2024-02.csv"),
    ]


def test_a_glob_lists_matching_files_and_relative_paths_use_the_base(tmp_path: Path) -> None:
    for name in ("2024/01/cur.csv", "2024/02/cur.csv", "2024/02/notes.txt", "2023/12/cur.csv"):
        _write(tmp_path / "cur" / name, "x")
    uris = [obj.uri for obj in list_objects("cur/2024/**/*.csv", base=tmp_path)]
    assert uris == [
        str(tmp_path / "cur" / "2024" / "01" / "cur.csv"),
        str(tmp_path / "cur" / "2024" / "02" / "cur.csv"),
    ]
    assert list_objects("cur/*.parquet", base=tmp_path) == []


def test_a_missing_path_or_glob_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("bills/focus.csv", base=tmp_path)
    assert caught.value.message == "cost data location 'bills/focus.csv' does not exist"
    assert caught.value.hint == (
        f"looked for {tmp_path / 'bills' / 'focus.csv'}; "
        "a relative path is read from the config file's directory"
    )
    with pytest.raises(CostDataError) as caught:
        list_objects(str(tmp_path / "nowhere" / "*.csv"))
    assert caught.value.message == (
        f"cost data location {str(tmp_path / 'nowhere' / '*.csv')!r} does not exist"
    )
    assert caught.value.hint == f"the directory {tmp_path / 'nowhere'} is missing"


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("gs://bucket/billing/")
    assert caught.value.message == (
        "unsupported cost data location 'gs://bucket/billing/' (scheme gs://)"
    )


# --- s3:// against moto's server -------------------------------------------------------------

BUCKET = "acme-billing"


def _s3(aws: MotoServer) -> Any:
    client = s3_client()
    client.create_bucket(Bucket=BUCKET)
    return client


def test_s3_lists_below_a_prefix_with_etags_and_downloads_each_object(
    aws: MotoServer, tmp_path: Path
) -> None:
    client = _s3(aws)
    bodies = {
        "cur/2024-02/part-1.csv.gz": b"feb",
        "cur/2024-01/part-1.csv.gz": b"january",
        "cur/2024-01/": b"",  # a console-made folder marker
        "curious.csv": b"not below cur/",
        "other/x.csv": b"x",
    }
    for key, body in bodies.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    objects = list_objects(f"s3://{BUCKET}/cur")
    assert [(o.uri, o.size) for o in objects] == [
        (f"s3://{BUCKET}/cur/2024-01/part-1.csv.gz", 7),
        (f"s3://{BUCKET}/cur/2024-02/part-1.csv.gz", 3),
    ]
    for obj in objects:
        key = obj.uri.removeprefix(f"s3://{BUCKET}/")
        assert obj.fingerprint == client.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    first, second = (obj.fetch(tmp_path) for obj in objects)
    assert (first.name, second.name) == ("part-1.csv.gz", "part-1.csv.gz")
    assert first != second and first.is_relative_to(tmp_path)
    assert (first.read_bytes(), second.read_bytes()) == (b"january", b"feb")
    assert [o.uri for o in list_objects(f"s3://{BUCKET}/cur/")] == [o.uri for o in objects]
    assert [o.uri for o in list_objects(f"s3://{BUCKET}/curious.csv")] == [
        f"s3://{BUCKET}/curious.csv"
    ]
    assert [o.uri for o in list_objects(f"s3://{BUCKET}/cur/*/part-*.csv.gz")] == [
        o.uri for o in objects
    ]
    assert len(list_objects(f"s3://{BUCKET}")) == 4


def test_s3_listing_follows_every_page(aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _s3(aws)
    keys = [f"focus/day-{n:02}.parquet" for n in range(7)]
    for key in keys:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"p")
    monkeypatch.setattr(remote_s3, "PAGE_SIZE", 2)
    assert [o.uri for o in list_objects(f"s3://{BUCKET}/focus/")] == [
        f"s3://{BUCKET}/{key}" for key in keys
    ]


def test_s3_missing_bucket_is_named(aws: MotoServer) -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("s3://no-such-billing/cur/")
    assert caught.value.message == "S3 bucket 'no-such-billing' does not exist"
    assert caught.value.hint == "check the bucket name in the location s3://no-such-billing/cur/"


def test_s3_missing_credentials_name_the_chain_tried(
    aws: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CostDataError) as caught:
        list_objects(f"s3://{BUCKET}/cur/")
    assert caught.value.message == (
        f"no AWS credentials found to read s3://{BUCKET}/cur/; tried environment variables "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared credentials and config files "
        "(~/.aws/credentials, ~/.aws/config, AWS_PROFILE), SSO, web identity "
        "(AWS_WEB_IDENTITY_TOKEN_FILE), container credentials and EC2 instance metadata"
    )
    assert caught.value.hint == "configure AWS credentials, e.g. `aws configure` or `aws sso login`"


def test_s3_object_replaced_after_listing_is_not_downloaded(
    aws: MotoServer, tmp_path: Path
) -> None:
    client = _s3(aws)
    client.put_object(Bucket=BUCKET, Key="cur/a.csv", Body=b"v1")
    [obj] = list_objects(f"s3://{BUCKET}/cur/")
    client.put_object(Bucket=BUCKET, Key="cur/a.csv", Body=b"v2, restated")
    with pytest.raises(CostDataError) as caught:
        obj.fetch(tmp_path)
    assert caught.value.message == f"s3://{BUCKET}/cur/a.csv changed while it was being synced"


def test_s3_without_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingExtraError) as caught:
        list_objects(f"s3://{BUCKET}/cur/")
    assert caught.value.message == (
        "reading cost data from s3:// needs the Python package 'boto3', which is not installed"
    )
    assert caught.value.hint == "pip install 'finopsmetrics-cli[aws]'"


def test_s3_location_without_a_bucket_is_refused() -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("s3:///cur/")
    assert caught.value.message == "invalid S3 location 's3:///cur/': no bucket"


# --- azure:// against Azurite -----------------------------------------------------------------

CONTAINER = "exports"


def _container(azure: Azurite) -> Any:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azure.connection_string)
    client = service.get_container_client(CONTAINER)
    if client.exists():
        client.delete_container()
        client = service.get_container_client(CONTAINER)
    client.create_container()
    return client


def test_azure_lists_below_a_prefix_with_etags_and_downloads_each_blob(
    azure_blob: Azurite, tmp_path: Path
) -> None:
    client = _container(azure_blob)
    bodies = {
        "costs/202402/part_0.csv": b"feb",
        "costs/202401/part_0.csv": b"january",
        "costsheet.csv": b"not below costs/",
        "other/x.csv": b"x",
    }
    for name, body in bodies.items():
        client.upload_blob(name, body)
    account = azure_blob.account
    objects = list_objects(f"azure://{account}/{CONTAINER}/costs")
    assert [(o.uri, o.size) for o in objects] == [
        (f"azure://{account}/{CONTAINER}/costs/202401/part_0.csv", 7),
        (f"azure://{account}/{CONTAINER}/costs/202402/part_0.csv", 3),
    ]
    for obj in objects:
        name = obj.uri.removeprefix(f"azure://{account}/{CONTAINER}/")
        etag = client.get_blob_client(name).get_blob_properties().etag
        assert obj.fingerprint == etag.strip('"')
    first, second = (obj.fetch(tmp_path) for obj in objects)
    assert (first.name, second.name) == ("part_0.csv", "part_0.csv")
    assert (first.read_bytes(), second.read_bytes()) == (b"january", b"feb")
    assert [o.uri for o in list_objects(f"azure://{account}/{CONTAINER}/*/*.csv")] == [
        f"azure://{account}/{CONTAINER}/other/x.csv"
    ]
    assert len(list_objects(f"azure://{account}/{CONTAINER}")) == 4


def test_azure_listing_follows_every_page(
    azure_blob: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _container(azure_blob)
    names = [f"focus/day-{n:02}.parquet" for n in range(7)]
    for name in names:
        client.upload_blob(name, b"p")
    monkeypatch.setattr(remote_azure, "PAGE_SIZE", 2)
    assert [o.uri for o in list_objects(f"azure://{azure_blob.account}/{CONTAINER}/focus/")] == [
        f"azure://{azure_blob.account}/{CONTAINER}/{name}" for name in names
    ]


def test_azure_missing_container_is_named(azure_blob: Azurite) -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects(f"azure://{azure_blob.account}/no-such-exports/costs/")
    assert caught.value.message == (
        "Azure container 'no-such-exports' does not exist in the storage account "
        f"'{azure_blob.account}'"
    )


def test_azure_blob_rewritten_after_listing_is_not_downloaded(
    azure_blob: Azurite, tmp_path: Path
) -> None:
    client = _container(azure_blob)
    client.upload_blob("costs/a.csv", b"v1")
    [obj] = list_objects(f"azure://{azure_blob.account}/{CONTAINER}/costs/")
    client.upload_blob("costs/a.csv", b"v2, restated", overwrite=True)
    with pytest.raises(CostDataError) as caught:
        obj.fetch(tmp_path)
    assert caught.value.message == f"{obj.uri} changed while it was being synced"


def test_azure_connection_string_for_another_account_is_refused(azure_blob: Azurite) -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects(f"azure://acmebilling/{CONTAINER}/costs/")
    assert caught.value.message == (
        "$AZURE_STORAGE_CONNECTION_STRING is for the storage account 'devstoreaccount1', "
        "not 'acmebilling'"
    )


@pytest.fixture()
def no_identity() -> Iterator[str]:
    """A managed-identity endpoint on 127.0.0.1 that has no identity to give."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"error": "invalid_request", "error_description": "no identity"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_azure_missing_credentials_name_the_chain_tried(
    no_identity: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Every credential of the chain fails without leaving this machine: no AZURE_* variables,
    # no az/pwsh/azd on PATH, and managed identity pointed at a loopback endpoint refusing it.
    for name in list(os.environ):
        if name.startswith(("AZURE_", "MSI_", "IDENTITY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{no_identity}/token")
    monkeypatch.setenv("IDENTITY_HEADER", "none")
    with pytest.raises(CostDataError) as caught:
        list_objects("azure://acmebilling/exports/costs/")
    assert caught.value.message == (
        "no Azure credentials found to read azure://acmebilling/exports/costs/; tried "
        "$AZURE_STORAGE_CONNECTION_STRING, then DefaultAzureCredential: environment variables "
        "(AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), "
        "workload identity, managed identity, the shared token cache, Visual Studio Code, "
        "the Azure CLI, Azure PowerShell and the Azure Developer CLI"
    )
    assert caught.value.hint == (
        "sign in with `az login`, or set the AZURE_* service principal variables"
    )
    assert capfd.readouterr().err == ""  # azure-identity's own pages of warnings stay quiet


def test_azure_without_the_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.storage.blob", None)
    with pytest.raises(MissingExtraError) as caught:
        list_objects("azure://acmebilling/exports/")
    assert caught.value.message == (
        "reading cost data from azure:// needs the Python package 'azure-storage-blob', "
        "which is not installed"
    )
    assert caught.value.hint == "pip install 'finopsmetrics-cli[azure]'"


def test_azure_location_needs_an_account_and_a_container() -> None:
    for bad in ("azure://", "azure://acmebilling", "azure://acmebilling/"):
        with pytest.raises(CostDataError) as caught:
            list_objects(bad)
        assert caught.value.message == (
            f"invalid Azure location {bad!r}: it needs an account and a container"
        )


@pytest.mark.parametrize(
    ("pattern", "key", "selected"),
    [
        ("cur", "cur/2024/a.csv", True),
        ("cur", "curious.csv", False),
        ("cur/", "cur/a.csv", True),
        ("", "a.csv", True),
        ("cur/a.csv", "cur/a.csv", True),
        ("cur/", "cur/2024/", False),  # a folder marker
        ("*/*.csv", "other/x.csv", True),
        ("*/*.csv", "costs/2024/a.csv", False),
        ("cur/**/*.csv", "cur/a.csv", True),
        ("cur/**/*.csv", "cur/x/y/a.csv", True),
        ("cur/20??-0[1-3]/*.gz", "cur/2024-02/x.gz", True),
        ("cur/20??-0[1-3]/*.gz", "cur/2024-04/x.gz", False),
        ("cur/[!0-9]*.csv", "cur/1a.csv", False),
        ("cur/a+b(1).csv", "cur/a+b(1).csv", True),
    ],
)
def test_remote_keys_follow_path_and_shell_glob_semantics(
    pattern: str, key: str, selected: bool
) -> None:
    assert KeyPattern(pattern).matches(key) is selected


def test_azure_account_is_a_name_in_the_public_cloud_or_a_sovereign_blob_host() -> None:
    public = AzureBlobPrefix.parse("azure://acmebilling/exports/costs/")
    assert (public.account_name, public.account_url, public.prefix) == (
        "acmebilling",
        "https://acmebilling.blob.core.windows.net",
        "costs/",
    )
    china = AzureBlobPrefix.parse("azure://acme.blob.core.chinacloudapi.cn/exports/")
    assert (china.account_name, china.account_url, china.container) == (
        "acme",
        "https://acme.blob.core.chinacloudapi.cn",
        "exports",
    )


def test_azure_unreachable_account_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        Azurite(f"http://127.0.0.1:{port}/devstoreaccount1").connection_string,
    )
    with pytest.raises(CostDataError) as caught:
        list_objects("azure://devstoreaccount1/exports/costs/")
    assert caught.value.message == (
        "cannot reach the storage account 'devstoreaccount1' to read "
        "azure://devstoreaccount1/exports/costs/"
    )
