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

boto3 is imported lazily; credentials come from the usual AWS chain and the
endpoint from ``FINOPSMETRICS_S3_ENDPOINT`` or ``AWS_ENDPOINT_URL`` (for
S3-compatible stores such as MinIO, or moto in tests).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli.errors import LockError, StateError
from finopsmetrics_cli.state.api import LockInfo

LOCK_POLL_SECONDS = 0.25
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
        import boto3  # noqa: TID251 - the one lazy import site
    except ImportError as exc:  # pragma: no cover - boto3 is a core dependency
        raise StateError(
            "S3 state needs boto3", hint="pip install boto3 (or reinstall finopsmetrics)"
        ) from exc
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


def _is_missing(exc: BaseException) -> bool:
    return _error_code(exc) in ("NoSuchKey", "404", "NotFound")


class S3Lock:
    """The write lock as an S3 object created only if absent.

    Implements the state lock interface (``acquire``/``release``/``holder``/
    ``force_unlock``) so the store and ``state force-unlock`` treat a remote
    lock exactly like a local one.
    """

    def __init__(self, where: S3Location, client: Any | None = None) -> None:
        self.where = where
        self._client = client
        self._etag: str | None = None
        self.info: LockInfo | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def acquire(self, *, who: str, operation: str, timeout: float = 0.0) -> LockInfo:
        """Create the lock object, polling until ``timeout`` seconds have passed."""
        info = LockInfo(
            id=str(uuid.uuid4()),
            who=who,
            operation=operation,
            pid=os.getpid(),
            host=socket.gethostname(),
            created_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        )
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                response = self.client.put_object(
                    Bucket=self.where.bucket,
                    Key=self.where.lock_key,
                    Body=_encode_lock(info),
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
            except Exception as exc:
                if not _is_precondition_failed(exc):
                    raise translate(exc, self.where, "lock") from exc
            else:
                self._etag = response["ETag"]
                self.info = info
                return info
            if time.monotonic() >= deadline:
                raise self._held_error(timeout)
            time.sleep(min(LOCK_POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))

    def _held_error(self, timeout: float) -> LockError:
        holder = self.holder()
        who = holder.describe() if holder else "by an unknown holder"
        waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
        lock_id = holder.id if holder else "LOCK_ID"
        return LockError(
            f"state {self.where} is locked{waited}: {who}",
            hint=(
                "wait for that run to finish (--lock-timeout 60s), or if it crashed: "
                f"finopsmetrics state force-unlock {lock_id} --state {self.where}"
            ),
        )

    def holder(self) -> LockInfo | None:
        """Who holds the lock now, or None when it is free."""
        found = self._read()
        return found[0] if found else None

    def _read(self) -> tuple[LockInfo, str] | None:
        try:
            response = self.client.get_object(Bucket=self.where.bucket, Key=self.where.lock_key)
            body = response["Body"].read()
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise translate(exc, self.where, "read the lock of") from exc
        return _decode_lock(body, self.where), response["ETag"]

    def release(self) -> None:
        """Delete our lock, unless someone force-unlocked it and took a new one."""
        if self._etag is None:
            return
        etag, self._etag, self.info = self._etag, None, None
        try:
            self.client.delete_object(
                Bucket=self.where.bucket, Key=self.where.lock_key, IfMatch=etag
            )
        except Exception as exc:
            if _is_precondition_failed(exc) or _is_missing(exc):
                return
            raise translate(exc, self.where, "unlock") from exc

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock if ``lock_id`` names it (the ID guards against removing a newer lock)."""
        found = self._read()
        if found is None:
            raise StateError(f"state {self.where} is not locked", hint="nothing to unlock")
        info, etag = found
        if info.id != lock_id:
            raise LockError(
                f"lock ID {lock_id!r} does not match the lock on {self.where}: {info.describe()}",
                hint=f"to remove that lock: finopsmetrics state force-unlock {info.id}",
            )
        try:
            self.client.delete_object(
                Bucket=self.where.bucket, Key=self.where.lock_key, IfMatch=etag
            )
        except Exception as exc:
            if _is_precondition_failed(exc) or _is_missing(exc):
                raise LockError(
                    f"the lock on {self.where} changed while unlocking",
                    hint="run the command again",
                ) from exc
            raise translate(exc, self.where, "unlock") from exc
        return info


def _encode_lock(info: LockInfo) -> bytes:
    return json.dumps(
        {
            "id": info.id,
            "who": info.who,
            "operation": info.operation,
            "pid": info.pid,
            "host": info.host,
            "created_at": info.created_at.isoformat(),
        },
        sort_keys=True,
    ).encode()


def _decode_lock(body: bytes, where: S3Location) -> LockInfo:
    try:
        data = json.loads(body)
        return LockInfo(
            id=str(data["id"]),
            who=str(data["who"]),
            operation=str(data["operation"]),
            pid=int(data["pid"]),
            host=str(data["host"]),
            created_at=datetime.fromisoformat(data["created_at"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LockError(
            f"the lock object s3://{where.bucket}/{where.lock_key} is unreadable",
            hint="if no run is active, delete that object by hand",
        ) from exc


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
        try:
            response = self.client.get_object(Bucket=self.where.bucket, Key=self.where.key)
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
        try:
            with self.path.open("rb") as body:
                response = self.client.put_object(
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
