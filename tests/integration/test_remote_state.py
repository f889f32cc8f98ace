"""The S3 lock and the conditional download/upload, against moto's real HTTP server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from finopsmetrics_cli.errors import LockError, StateError
from finopsmetrics_cli.state import force_unlock, lock_holder, open_reader, open_writer
from finopsmetrics_cli.state.api import Write
from finopsmetrics_cli.state.remote import S3Copy, S3Location, S3Lock, s3_client
from local_servers import MotoServer


@dataclass
class MotoS3:
    """moto's server on a free loopback port, and one bucket emptied per test."""

    endpoint: str
    bucket: str = "finops-state"

    def environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "FINOPSMETRICS_S3_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)

    def reset_bucket(self) -> None:
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        s3_client().create_bucket(Bucket=self.bucket)


@pytest.fixture(scope="module")
def moto(moto_endpoint: MotoServer) -> MotoS3:
    return MotoS3(moto_endpoint.endpoint)


@pytest.fixture()
def s3(moto: MotoS3, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    moto.environ(monkeypatch)
    moto.reset_bucket()
    return moto


def test_location_is_parsed_and_bad_ones_are_refused() -> None:
    where = S3Location.parse("s3://bkt/team/state.duckdb")
    assert (where.bucket, where.key, where.lock_key) == (
        "bkt",
        "team/state.duckdb",
        "team/state.duckdb.lock",
    )
    for bad in ("s3://", "s3://bkt", "s3://bkt/", "s3:/bkt/x", "s3://bkt/dir/"):
        with pytest.raises(StateError, match=r"^invalid S3 state location"):
            S3Location.parse(bad)


def test_lock_is_exclusive_and_names_its_holder(s3: MotoS3) -> None:
    where = S3Location(s3.bucket, "state.duckdb")
    first = S3Lock(where)
    info = first.acquire(who="alice@ci", operation="apply")
    body = json.loads(s3_client().get_object(Bucket=s3.bucket, Key=where.lock_key)["Body"].read())
    assert (body["ID"], body["Who"], body["Operation"]) == (info.id, "alice@ci", "apply")
    with pytest.raises(LockError) as caught:
        S3Lock(where).acquire(who="bob@ci", operation="apply")
    assert caught.value.message == f"state {where} is locked: {info.describe()}"
    assert caught.value.hint is not None
    assert f"finopsmetrics state force-unlock {info.id} --state {where}" in caught.value.hint
    first.release()
    assert S3Lock(where).holder() is None


def test_lock_waits_for_the_timeout_then_succeeds_when_released(s3: MotoS3) -> None:
    where = S3Location(s3.bucket, "state.duckdb")
    first = S3Lock(where)
    first.acquire(who="alice", operation="apply")
    timer = threading.Timer(0.6, first.release)
    timer.start()
    started = time.monotonic()
    second = S3Lock(where).acquire(who="bob", operation="apply", timeout=5)
    assert 0.5 < time.monotonic() - started < 4
    assert second.who == "bob"


def test_lock_timeout_expires_with_the_holder_in_the_message(s3: MotoS3) -> None:
    where = S3Location(s3.bucket, "state.duckdb")
    held = S3Lock(where).acquire(who="alice", operation="apply")
    started = time.monotonic()
    with pytest.raises(LockError, match=r"is locked after waiting 0\.5s: ID " + held.id):
        S3Lock(where).acquire(who="bob", operation="apply", timeout=0.5)
    assert time.monotonic() - started >= 0.5


def test_force_unlock_needs_the_right_id_and_release_never_removes_a_newer_lock(
    s3: MotoS3,
) -> None:
    where = S3Location(s3.bucket, "state.duckdb")
    crashed = S3Lock(where)
    info = crashed.acquire(who="crashed-runner", operation="apply")
    with pytest.raises(LockError, match=r"^lock ID 'nope' does not match the current lock: ID"):
        S3Lock(where).force_unlock("nope")
    assert S3Lock(where).force_unlock(info.id) == info
    newer = S3Lock(where)
    newer_info = newer.acquire(who="next", operation="apply")
    crashed.release()  # the crashed runner comes back: it must not delete the newer lock
    assert S3Lock(where).holder() == newer_info
    newer.release()
    with pytest.raises(LockError, match=r"^state s3://\S+ is not locked; nothing to unlock$"):
        S3Lock(where).force_unlock(newer_info.id)


def test_upload_is_refused_when_the_object_changed_since_download(s3: MotoS3) -> None:
    where = S3Location(s3.bucket, "state.duckdb")
    client = s3_client()
    client.put_object(Bucket=s3.bucket, Key=where.key, Body=b"v1")
    mine = S3Copy(where)
    try:
        assert mine.download() is True
        client.put_object(Bucket=s3.bucket, Key=where.key, Body=b"v2 by another runner")
        mine.path.write_bytes(b"v1 + my change")
        with pytest.raises(
            StateError,
            match=r"changes were NOT uploaded and the remote state "
            r"is unchanged$",
        ):
            mine.upload()
    finally:
        mine.cleanup()
    remote = client.get_object(Bucket=s3.bucket, Key=where.key)["Body"].read()
    assert remote == b"v2 by another runner"
    assert not mine.dir.exists()


def test_a_new_state_is_created_only_once(s3: MotoS3) -> None:
    where = S3Location(s3.bucket, "new/state.duckdb")
    first, second = S3Copy(where), S3Copy(where)
    try:
        assert first.download() is False and second.download() is False
        first.path.write_bytes(b"first")
        second.path.write_bytes(b"second")
        first.upload()
        with pytest.raises(StateError, match=r"was changed by another writer"):
            second.upload()
    finally:
        first.cleanup()
        second.cleanup()


def test_missing_bucket_is_a_clear_error(s3: MotoS3) -> None:
    where = S3Location("no-such-bucket", "state.duckdb")
    with pytest.raises(StateError) as caught:
        S3Lock(where).acquire(who="x", operation="apply")
    assert caught.value.message == (
        "S3 bucket 'no-such-bucket' does not exist (state s3://no-such-bucket/state.duckdb)"
    )
    copy = S3Copy(where)
    try:
        with pytest.raises(StateError, match=r"^S3 bucket 'no-such-bucket' does not exist"):
            copy.download()
    finally:
        copy.cleanup()


# --------------------------------------------------------------------------- the state API on S3


def _create(name: str, amount: int = 1) -> Write:
    return Write("create", "budget", name, {"amount": amount}, "config")


def _remote_objects(location: str) -> list[str]:
    with open_reader(location) as reader:
        return [o.address for o in reader.list()]


def test_writer_uploads_each_commit_and_readers_see_it(s3: MotoS3) -> None:
    location = f"s3://{s3.bucket}/team/state.duckdb"
    with open_reader(location) as empty:  # a key that does not exist yet reads as empty
        assert empty.info().serial == 0 and empty.list() == []
    with open_writer(location, actor="ci", operation="apply") as writer:
        assert writer.commit([_create("a")], actor="ci", source="cli", git_commit="abc") == 1
        assert lock_holder(location) is not None
    assert lock_holder(location) is None
    reader = open_reader(location)
    try:
        info = reader.info()
        assert (info.path, info.serial, info.objects) == (location, 1, 1)
        assert reader.history()[0].git_commit == "abc"
        copy_dir = reader.copy.dir  # type: ignore[attr-defined]
    finally:
        reader.close()
    assert not copy_dir.exists()


def test_two_concurrent_applies_both_land_one_after_the_other(s3: MotoS3) -> None:
    location = f"s3://{s3.bucket}/state.duckdb"
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def runner(name: str) -> None:
        try:
            start.wait()
            with open_writer(location, actor=name, operation="apply", lock_timeout=20) as writer:
                time.sleep(0.3)  # hold the lock long enough for the other to wait
                writer.commit([_create(name)], actor=name, source="cli")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(n,)) for n in ("r1", "r2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_reader(location) as reader:
        assert reader.info().serial == 2
        assert [o.address for o in reader.list()] == ["budget.r1", "budget.r2"]


def test_a_second_apply_without_lock_timeout_fails_naming_the_holder(s3: MotoS3) -> None:
    location = f"s3://{s3.bucket}/state.duckdb"
    with open_writer(location, actor="alice@ci", operation="apply") as writer:
        writer.commit([_create("a")], actor="alice@ci", source="cli")
        with pytest.raises(LockError) as caught:
            with open_writer(location, actor="bob@ci", operation="apply"):
                pass
        assert caught.value.message.startswith(f"state {location} is locked: ID ")
        assert "held by alice@ci for 'apply'" in caught.value.message
    assert _remote_objects(location) == ["budget.a"]


CRASHING_RUNNER = """
import sys, time
from finopsmetrics_cli.state import open_writer
from finopsmetrics_cli.state.api import Write
with open_writer(sys.argv[1], actor="crasher@ci", operation="apply") as writer:
    writer.commit([Write("create", "budget", "before-crash", {"amount": 1}, "config")],
                  actor="crasher@ci", source="cli")
    print("committed", flush=True)
    time.sleep(60)
"""


def test_a_crashed_runner_leaves_its_lock_which_force_unlock_removes(s3: MotoS3) -> None:
    location = f"s3://{s3.bucket}/state.duckdb"
    runner = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUNNER, location], stdout=subprocess.PIPE, text=True
    )
    assert runner.stdout is not None and runner.stdout.readline() == "committed\n"
    runner.kill()  # SIGKILL: no finally, no release
    runner.wait()
    holder = lock_holder(location)
    assert holder is not None and holder.who == "crasher@ci" and holder.pid == runner.pid
    with pytest.raises(LockError) as caught:
        with open_writer(location, actor="next@ci", operation="apply", lock_timeout=0.3):
            pass
    assert f"process {runner.pid} is no longer running on this host" in caught.value.message
    assert f"finopsmetrics state force-unlock {holder.id}" in (caught.value.hint or "")
    with pytest.raises(LockError, match=r"^lock ID 'wrong' does not match"):
        force_unlock(location, "wrong")
    assert force_unlock(location, holder.id) == holder
    with open_writer(location, actor="next@ci", operation="apply") as writer:
        writer.commit([_create("after-crash")], actor="next@ci", source="cli")
    assert _remote_objects(location) == ["budget.after-crash", "budget.before-crash"]


def test_upload_race_after_a_forced_unlock_loses_nothing(s3: MotoS3) -> None:
    location = f"s3://{s3.bucket}/state.duckdb"
    with open_writer(location, actor="seed", operation="apply") as writer:
        writer.commit([_create("seed")], actor="seed", source="cli")
    with open_writer(location, actor="slow@ci", operation="apply") as slow:
        held = lock_holder(location)
        assert held is not None
        force_unlock(location, held.id)  # someone decides the slow runner is dead
        with open_writer(location, actor="fast@ci", operation="apply") as fast:
            fast.commit([_create("fast")], actor="fast@ci", source="cli")
        with pytest.raises(StateError) as caught:
            slow.commit([_create("slow")], actor="slow@ci", source="cli")
        assert caught.value.message == (
            f"state {location} was changed by another writer while this run held it; "
            "this run's changes were NOT uploaded and the remote state is unchanged"
        )
    assert _remote_objects(location) == ["budget.fast", "budget.seed"]
    assert lock_holder(location) is None


def test_missing_bucket_fails_clearly_for_readers_and_writers(s3: MotoS3) -> None:
    location = "s3://no-such-bucket/state.duckdb"
    expected = f"S3 bucket 'no-such-bucket' does not exist (state {location})"
    with pytest.raises(StateError) as caught:
        open_reader(location)
    assert (caught.value.message, caught.value.hint) == (
        expected,
        "create the bucket first, or fix --state / FINOPSMETRICS_STATE",
    )
    with pytest.raises(StateError, match=re.escape(expected)):
        with open_writer(location, actor="x", operation="apply"):
            pass


def test_finopsmetrics_s3_endpoint_overrides_the_endpoint(
    s3: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("FINOPSMETRICS_S3_ENDPOINT", s3.endpoint)
    location = f"s3://{s3.bucket}/state.duckdb"
    with open_writer(location, actor="x", operation="apply") as writer:
        writer.commit([_create("a")], actor="x", source="cli")
    assert _remote_objects(location) == ["budget.a"]


# ---------------------------------------------------------------------------- the CLI on S3 state


def test_cli_apply_plan_and_force_unlock_on_s3_state(
    s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from finopsmetrics_cli.cli.app import app

    location = f"s3://{s3.bucket}/ci/state.duckdb"
    monkeypatch.setenv("FINOPSMETRICS_STATE", location)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "finopsmetrics.yaml").write_text("budgets:\n  - name: ci\n    amount: 10\n")
    runner = CliRunner()
    stuck = S3Lock(S3Location.parse(location))
    held = stuck.acquire(who="cancelled-job", operation="apply")

    refused = runner.invoke(app, ["apply", "--auto-approve", "--no-color"])
    assert refused.exit_code == 1
    assert f"error: state {location} is locked: ID {held.id}, held by cancelled-job" in (
        refused.output
    )
    unlocked = runner.invoke(app, ["state", "force-unlock", held.id, "--no-color"])
    assert unlocked.exit_code == 0, unlocked.output
    assert unlocked.output.startswith(f"Removed lock ID {held.id}")

    applied = runner.invoke(app, ["apply", "--auto-approve", "--no-color"])
    assert applied.exit_code == 0, applied.output
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in applied.output
    again = runner.invoke(app, ["plan", "--detailed-exitcode", "--no-color"])
    assert (again.exit_code, again.output.strip().splitlines()[-1]) == (0, "No changes.")
    assert lock_holder(location) is None


def test_the_reconciler_runs_on_s3_state(
    s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finopsmetrics_cli.gitops.reconciler import ReconcileOptions, Reconciler
    from finopsmetrics_cli.gitops.status import load_status

    origin = tmp_path / "origin"
    origin.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "d", "GIT_AUTHOR_EMAIL": "d@e.com",
           "GIT_COMMITTER_NAME": "d", "GIT_COMMITTER_EMAIL": "d@e.com"}  # fmt: skip
    (origin / "finopsmetrics.yaml").write_text("budgets:\n  - name: gitops\n    amount: 3\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", *args], cwd=origin, env=env, check=True)
    location = f"s3://{s3.bucket}/gitops/state.duckdb"
    logs: list[dict[str, object]] = []
    options = ReconcileOptions(repo=str(origin), work_dir=tmp_path / "work", state=location)
    assert Reconciler(options, logs.append).run(once=True) == 0
    assert [r.get("action") for r in logs if r["event"] == "cycle"] == ["applied"]
    with open_reader(location) as reader:
        assert [o.address for o in reader.list()] == ["budget.gitops"]
        assert reader.history()[0].source == "reconcile"
    status = load_status(f"{location}.reconcile.json")  # beside the state: pods are disposable
    assert status is not None and status.last_applied is not None
    assert status.last_applied.message == "one"
    assert not (tmp_path / "work" / "status.json").exists()

    from typer.testing import CliRunner

    from finopsmetrics_cli.cli.app import app

    shown = CliRunner().invoke(app, ["reconcile", "status", "--state", location])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[1].startswith(
        f"Last applied:   {status.last_applied.commit[:12]} 'one' at "
    )
