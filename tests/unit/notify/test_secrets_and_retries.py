"""Secret references at send time, and the bounded retry policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finopsmetrics_cli.errors import NotificationError
from finopsmetrics_cli.notify.model import NotifyOptions
from finopsmetrics_cli.notify.secrets import resolve
from finopsmetrics_cli.notify.transport import _Fail, _Retry, with_retries


def test_env_references() -> None:
    assert resolve("${env:HOOK}", what="channel x webhook_url", environ={"HOOK": "v"}) == "v"
    assert resolve("plain.example.com", what="smtp host", environ={}) == "plain.example.com"
    with pytest.raises(NotificationError, match=r"^channel x webhook_url: environment variable "
                       r"HOOK is not set$"):  # fmt: skip
        resolve("${env:HOOK}", what="channel x webhook_url", environ={"OTHER": "secret-value"})


def test_file_references_need_the_secrets_dir(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("s3cr3t\n")
    os.symlink("/etc/hostname", tmp_path / "sneaky")
    with pytest.raises(NotificationError, match=r"^c: file reference \$\{file:key\} refused: "
                       r"FINOPSMETRICS_SECRETS_DIR is not set$"):  # fmt: skip
        resolve("${file:key}", what="c", environ={})
    env = {"FINOPSMETRICS_SECRETS_DIR": str(tmp_path)}
    assert resolve("${file:key}", what="c", environ=env) == "s3cr3t"
    assert resolve(f"${{file:{tmp_path}/key}}", what="c", environ=env) == "s3cr3t"
    for outside in ("/etc/hostname", "../../etc/hostname", "sneaky"):
        with pytest.raises(NotificationError, match=r"refused: it is outside "
                           r"FINOPSMETRICS_SECRETS_DIR$"):  # fmt: skip
            resolve(f"${{file:{outside}}}", what="c", environ=env)
    with pytest.raises(NotificationError, match=r"cannot be read \(No such file or directory\)$"):
        resolve("${file:missing}", what="c", environ=env)


def test_retries_back_off_exponentially_within_bounds() -> None:
    waits: list[float] = []
    answers = iter([_Retry("HTTP 500", 500), _Retry("HTTP 502", 502), _Retry("HTTP 503", 503)])

    def attempt() -> int:
        raise next(answers)

    options = NotifyOptions(attempts=3, backoff=0.5, max_backoff=0.8)
    outcome = with_retries(attempt, options, sleep=waits.append)
    assert (outcome.ok, outcome.attempts, outcome.error, outcome.http_status) == (
        False, 3, "HTTP 503 (after 3 attempts)", 503,
    )  # fmt: skip
    assert waits == [0.5, 0.8]  # 0.5, then 1.0 capped at 0.8; no wait after the last


def test_a_retry_after_is_honoured_up_to_the_cap_and_a_4xx_is_final() -> None:
    waits: list[float] = []
    answers = iter([_Retry("HTTP 429", 429, wait=5.0)])

    def attempt() -> int:
        try:
            raise next(answers)
        except StopIteration:
            return 200

    outcome = with_retries(attempt, NotifyOptions(attempts=3, backoff=0.1, max_backoff=2.0),
                           sleep=waits.append)  # fmt: skip
    assert (outcome.ok, outcome.attempts, waits) == (True, 2, [2.0])

    def refused() -> int:
        raise _Fail("HTTP 400 (not retried)", 400)

    outcome = with_retries(refused, NotifyOptions(attempts=5), sleep=waits.append)
    assert (outcome.ok, outcome.attempts, outcome.http_status) == (False, 1, 400)


def test_operator_overrides_from_the_environment() -> None:
    options = NotifyOptions.from_environ(send=True, environ={
        "FINOPSMETRICS_NOTIFY_TIMEOUT": "2.5", "FINOPSMETRICS_NOTIFY_ATTEMPTS": "2"})  # fmt: skip
    assert (options.send, options.timeout, options.attempts, options.backoff) == (True, 2.5, 2, 1.0)
    with pytest.raises(NotificationError, match=r"^FINOPSMETRICS_NOTIFY_ATTEMPTS must be a count "
                       r">= 1, got '0'$"):  # fmt: skip
        NotifyOptions.from_environ(send=True, environ={"FINOPSMETRICS_NOTIFY_ATTEMPTS": "0"})
