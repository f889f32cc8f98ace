"""Billing files in S3 (``s3://bucket/prefix``), listed and downloaded with boto3.

Credentials come from boto3's standard chain and the endpoint from boto3's own
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` (S3-compatible stores, moto in
tests). A download asks for the ETag that was listed, so an object replaced in
between fails loudly instead of being stored under the old fingerprint.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.aws import aws_client, common_aws_error, error_code
from finopsmetrics_cli.costs.locations import KeyPattern, SourceObject, download_path
from finopsmetrics_cli.errors import CostDataError

PAGE_SIZE = 1000  # S3's own maximum per ListObjectsV2 page


@dataclass(frozen=True, slots=True)
class S3Prefix:
    """``s3://bucket/prefix``: a key, a "directory" (``prefix/``) or a key glob."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, location: str) -> S3Prefix:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise CostDataError(
                f"invalid S3 location {location!r}: no bucket",
                hint="use s3://BUCKET/PREFIX, for example s3://acme-billing/cur/",
            )
        return cls(bucket, prefix)

    @property
    def keys(self) -> KeyPattern:
        return KeyPattern(self.prefix)


@dataclass(frozen=True)
class S3Object(SourceObject):
    """An S3 object; :meth:`fetch` downloads exactly the listed version (by ETag)."""

    bucket: str = ""
    key: str = ""
    client: Any = field(default=None, compare=False, repr=False)

    def fetch(self, dest_dir: Path) -> Path:
        target = download_path(dest_dir, self.uri)
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.key, IfMatch=f'"{self.fingerprint}"'
            )
            with target.open("wb") as out:
                shutil.copyfileobj(response["Body"], out, 1 << 20)
        except Exception as exc:
            raise s3_error(exc, self.bucket, self.uri) from exc
        return target


def s3_client() -> Any:
    return aws_client("s3", "reading cost data from s3://")


def list_s3(location: str) -> list[SourceObject]:
    """Every object under an ``s3://`` location, paginated, sorted by uri."""
    where = S3Prefix.parse(location)
    client = s3_client()
    objects: list[SourceObject] = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=where.bucket,
            Prefix=where.keys.list_prefix(),
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"]
                if where.keys.matches(key):
                    objects.append(
                        S3Object(
                            uri=f"s3://{where.bucket}/{key}",
                            fingerprint=item["ETag"].strip('"'),
                            size=int(item["Size"]),
                            bucket=where.bucket,
                            key=key,
                            client=client,
                        )
                    )
    except Exception as exc:
        raise s3_error(exc, where.bucket, location) from exc
    return sorted(objects, key=lambda obj: obj.uri)


def s3_error(exc: Exception, bucket: str, uri: str) -> CostDataError:
    """A botocore failure as a message that says what to fix."""
    common = common_aws_error(exc, uri)
    if common is not None:
        return common
    code, message = error_code(exc)
    if code == "NoSuchBucket":
        return CostDataError(
            f"S3 bucket {bucket!r} does not exist",
            hint=f"check the bucket name in the location {uri}",
        )
    if code in ("PreconditionFailed", "412"):
        return CostDataError(
            f"{uri} changed while it was being synced", hint="run `costs sync` again"
        )
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return CostDataError(
            f"access denied reading {uri} ({code})",
            hint="the credentials need s3:ListBucket on the bucket and s3:GetObject on the objects",
        )
    return CostDataError(
        f"cannot read {uri}: {code}: {message}" if code else f"cannot read {uri}: {exc}"
    )
