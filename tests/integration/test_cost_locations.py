"""Cost data locations: local paths, globs and directories; s3:// against moto's server."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from finopsmetrics_cli.costs import remote_s3
from finopsmetrics_cli.costs.locations import SourceObject, list_objects
from finopsmetrics_cli.costs.remote_s3 import s3_client
from finopsmetrics_cli.errors import CostDataError, MissingExtraError
from local_servers import MotoServer


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
