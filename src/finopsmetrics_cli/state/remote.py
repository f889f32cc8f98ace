"""State kept in S3 for ephemeral CI runners (``--state s3://bucket/key.duckdb``).

DuckDB cannot open a database over HTTP for writing, so the remote state is a
local copy with a protocol around it:

* readers download the object to a temporary file and open it read-only; they
  take no lock, like local readers;
* writers first create a lock object ``KEY.lock`` with a create-only
  conditional write (``If-None-Match: *``), so exactly one runner wins; the
  lock body names its holder, which every :class:`LockError` shows;
* the writer then downloads the database, remembering its ETag, applies on the
  local copy and uploads with ``If-Match: <that ETag>`` (``If-None-Match: *``
  for a new state). Even if a lock was force-removed under a running writer,
  the upload of the slower runner fails instead of overwriting the other's
  work, and the remote object stays exactly as the faster runner left it;
* the lock is deleted with ``If-Match`` on its own ETag, so a runner never
  removes a lock that someone else took after a force-unlock.

boto3 is imported lazily (the ``aws`` extra: ``pip install
'finopsmetrics-cli[aws]'``; without it an S3 location is an error naming the
extra); credentials come from the usual AWS chain and the
endpoint from ``FINOPSMETRICS_S3_ENDPOINT`` or ``AWS_ENDPOINT_URL`` (for
S3-compatible stores such as MinIO, or moto in tests).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from finopsmetrics_cli.errors import LockError, MissingExtraError, StateError
from finopsmetrics_cli.state.api import LockInfo, StateInfo, StateWriter
from finopsmetrics_cli.state.lock import StateLock, lock_from_json, lock_to_json
from finopsmetrics_cli.state.store import StateStoreReader

ENDPOINT_ENV = "FINOPSMETRICS_S3_ENDPOINT"


@dataclass(frozen=True, slots=True)
class S3Location:
    """``s3://bucket/key``; the lock lives beside the state at ``key.lock``."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, location: str) -> S3Location:
        rest = location[len("s3://") :] if location.startswith("s3://") else ""
        bucket, _, key = rest.partition("/")
        if not bucket or not key or key.endswith("/"):
            raise StateError(
                f"invalid S3 state location {location!r}",
                hint="use s3://BUCKET/KEY, for example s3://my-bucket/finops/state.duckdb",
            )
        return cls(bucket, key)

    @property
    def lock_key(self) -> str:
        return f"{self.key}.lock"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def s3_client() -> Any:
    """A boto3 S3 client from the standard credential chain."""
    try:
        import boto3  # type: ignore[import-untyped]  # noqa: TID251 - the one lazy import
    except ImportError:
        raise MissingExtraError("boto3", "aws", "S3 state (--state s3://...)") from None
    endpoint = os.environ.get(ENDPOINT_ENV) or None
    return boto3.client("s3", endpoint_url=endpoint)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, where: S3Location, action: str) -> StateError:
    """Turn botocore's exceptions into a StateError that says what to do."""
    code = _error_code(exc)
    name = type(exc).__name__
    if code == "NoSuchBucket":
        return StateError(
            f"S3 bucket {where.bucket!r} does not exist (state {where})",
            hint="create the bucket first, or fix --state / FINOPSMETRICS_STATE",
        )
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return StateError(
            f"access denied while trying to {action} {where} ({code})",
            hint="check the AWS credentials (environment, profile or role) and the bucket policy",
        )
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return StateError(
            f"no AWS credentials found to {action} {where}",
            hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role",
        )
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return StateError(
            f"cannot reach the S3 endpoint to {action} {where}: {exc}",
            hint=f"check the network and {ENDPOINT_ENV} / AWS_ENDPOINT_URL",
        )
    return StateError(f"S3 error while trying to {action} {where}: {exc}")


def _is_precondition_failed(exc: BaseException) -> bool:
    return _error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict")


def is_missing(exc: BaseException) -> bool:
    return _error_code(exc) in ("NoSuchKey", "404", "NotFound")


class S3Lock(StateLock):
    """The writer lock as an S3 object created only if absent.

    Polls every half second while waiting (each try is one request).

    Implements the three primitives of :class:`StateLock` (polling, timeouts
    and messages are shared with the local file lock). Deletion is conditional
    on the lock object's ETag, so removing "our" lock can never remove a newer
    one that another runner took after a force-unlock.
    """

    poll_interval = 0.5

    def __init__(self, where: S3Location, client: Any | None = None) -> None:
        super().__init__()
        self.where = where
        self.description = f"state {where}"
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def _try_create(self, info: LockInfo) -> bool:
        client = self.client  # outside the try: a missing extra is not an S3 error
        try:
            client.put_object(
                Bucket=self.where.bucket,
                Key=self.where.lock_key,
                Body=lock_to_json(info).encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except Exception as exc:
            if _is_precondition_failed(exc):
                return False
            raise translate(exc, self.where, "lock") from exc
        return True

    def _read(self) -> LockInfo | None:
        found = self._read_with_etag()
        return found[0] if found else None

    def _read_with_etag(self) -> tuple[LockInfo, str] | None:
        client = self.client
        try:
            response = client.get_object(Bucket=self.where.bucket, Key=self.where.lock_key)
            body = response["Body"].read()
        except Exception as exc:
            if is_missing(exc):
                return None
            raise translate(exc, self.where, "read the lock of") from exc
        return lock_from_json(body.decode("utf-8", errors="replace")), response["ETag"]

    def _delete_if(self, lock_id: str) -> bool:
        found = self._read_with_etag()
        if found is None or found[0].id != lock_id:
            return False
        client = self.client
        try:
            client.delete_object(
                Bucket=self.where.bucket, Key=self.where.lock_key, IfMatch=found[1]
            )
        except Exception as exc:
            if _is_precondition_failed(exc) or is_missing(exc):
                return False
            raise translate(exc, self.where, "unlock") from exc
        return True

    def _held_error(self, timeout: float) -> LockError:
        """The shared message, plus how to clear a lock left by a runner that died elsewhere."""
        error = super()._held_error(timeout)
        holder = self._read()
        if holder is not None and "force-unlock" not in (error.hint or ""):
            error.hint = (
                f"{error.hint}; if that run died (a cancelled CI job), remove its lock with "
                f"`finopsmetrics state force-unlock {holder.id} --state {self.where}`"
            )
        return error


class S3Copy:
    """The state object downloaded to a private temp dir, and its conditional upload."""

    def __init__(self, where: S3Location, client: Any | None = None) -> None:
        self.where = where
        self._client = client
        self.dir = Path(tempfile.mkdtemp(prefix="finopsmetrics-s3-"))
        self.path = self.dir / Path(where.key).name
        self.etag: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def download(self) -> bool:
        """Fetch the object; False when it does not exist yet (a new state)."""
        client = self.client
        try:
            response = client.get_object(Bucket=self.where.bucket, Key=self.where.key)
            with self.path.open("wb") as out:
                for chunk in response["Body"].iter_chunks(1 << 20):
                    out.write(chunk)
        except Exception as exc:
            self.path.unlink(missing_ok=True)
            if _error_code(exc) == "NoSuchKey":
                self.etag = None
                return False
            raise translate(exc, self.where, "download") from exc
        self.etag = response["ETag"]
        return True

    def upload(self) -> None:
        """Put the local copy back, only over the exact object we downloaded."""
        condition = {"IfMatch": self.etag} if self.etag else {"IfNoneMatch": "*"}
        client = self.client
        try:
            with self.path.open("rb") as body:
                response = client.put_object(
                    Bucket=self.where.bucket, Key=self.where.key, Body=body, **condition
                )
        except Exception as exc:
            if _is_precondition_failed(exc):
                raise StateError(
                    f"state {self.where} was changed by another writer while this run held "
                    "it; this run's changes were NOT uploaded and the remote state is "
                    "unchanged",
                    hint="someone force-unlocked or bypassed the lock; run plan and apply again",
                ) from exc
            raise translate(exc, self.where, "upload") from exc
        self.etag = response["ETag"]

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class S3StateReader(StateStoreReader):
    """A read-only view of a downloaded copy; ``close`` removes the copy.

    No lock is taken (readers never block writers); a key that does not exist
    yet reads as an empty state, like a missing local file.
    """

    def __init__(self, location: str) -> None:
        self.location = S3Location.parse(location)
        self.copy = S3Copy(self.location)
        self._cleanup = weakref.finalize(self, self.copy.cleanup)
        try:
            self.copy.download()
        except BaseException:
            self.copy.cleanup()
            raise
        super().__init__(self.copy.path)

    def info(self) -> StateInfo:
        return replace(super().info(), path=str(self.location))

    def close(self) -> None:
        super().close()
        self._cleanup()


def open_s3_reader(location: str) -> S3StateReader:
    """Download ``s3://bucket/key`` and open it read-only."""
    return S3StateReader(location)


@contextmanager
def open_s3_writer(
    location: str,
    *,
    actor: str | None = None,
    operation: str = "apply",
    lock_timeout: float = 0.0,
) -> Iterator[StateWriter]:
    """Lock, download, yield a writer on the local copy that uploads after each commit.

    The local store does the work; the S3 parts are the store's three hooks: the
    lock object, ``prepare`` (download, remembering the ETag) and
    ``after_commit`` (conditional upload). If the upload is refused, the commit
    raises StateError and the remote object is left exactly as it was.
    """
    from finopsmetrics_cli.state.store import open_local_writer

    def download(_path: Path) -> None:
        copy.download()

    where = S3Location.parse(location)
    client = s3_client()
    copy = S3Copy(where, client)
    try:
        with open_local_writer(
            copy.path,
            actor=actor,
            operation=operation,
            lock_timeout=lock_timeout,
            lock=S3Lock(where, client),
            prepare=download,
            after_commit=lambda _path: copy.upload(),
        ) as writer:
            yield writer
    finally:
        copy.cleanup()


def s3_lock(location: str) -> S3Lock:
    """The writer lock of an S3 state (``state force-unlock``, lock holder queries)."""
    return S3Lock(S3Location.parse(location))
