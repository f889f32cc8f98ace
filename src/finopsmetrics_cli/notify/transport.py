"""Getting bytes to a service: HTTP POST (urllib3) and SMTP (smtplib), with one
retry policy for both: timeouts, connection failures, 5xx/429 (and SMTP 4xx)
are retried with bounded exponential backoff; anything else fails at once.

Error texts are built from the exception's class and the status, never from
the exception's own text: urllib3 repeats the URL, and a webhook URL is a
secret.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from finopsmetrics_cli.notify.model import NotifyOptions


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    attempts: int
    error: str | None = None
    http_status: int | None = None


class _Retry(Exception):
    def __init__(self, error: str, status: int | None = None, wait: float | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.wait = error, status, wait


class _Fail(Exception):
    def __init__(self, error: str, status: int | None = None) -> None:
        super().__init__(error)
        self.error, self.status = error, status


def with_retries(
    attempt: Callable[[], int | None],
    options: NotifyOptions,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Run ``attempt`` until it succeeds, fails for good, or attempts run out."""
    tries = max(options.attempts, 1)
    last: _Retry | None = None
    for number in range(1, tries + 1):
        try:
            status = attempt()
            return Outcome(True, number, http_status=status)
        except _Fail as failure:
            return Outcome(False, number, failure.error, failure.status)
        except _Retry as retry:
            last = retry
            if number == tries:
                break
            delay = min(options.backoff * 2 ** (number - 1), options.max_backoff)
            if retry.wait is not None:
                delay = min(max(delay, retry.wait), options.max_backoff)
            sleep(delay)
    assert last is not None
    return Outcome(False, tries, f"{last.error} (after {tries} attempts)", last.status)


_POOL: Any = None


def _pool() -> Any:
    global _POOL
    if _POOL is None:
        import urllib3

        _POOL = urllib3.PoolManager(retries=False, maxsize=8)
    return _POOL


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    options: NotifyOptions,
    check: Callable[[bytes], str | None] | None = None,
) -> Outcome:
    """POST ``body``; 2xx is success (the HTTP status is kept either way) unless
    ``check`` finds an error in the response body (Slack's API answers 200 with
    ``"ok": false``)."""
    import urllib3

    if not url.startswith(("https://", "http://")):
        return Outcome(False, 0, "the URL is not http(s)")
    all_headers = {"Content-Type": "application/json", "User-Agent": "finopsmetrics", **headers}
    timeout = urllib3.Timeout(connect=options.timeout, read=options.timeout)

    def attempt() -> int:
        try:
            response = _pool().request(
                "POST", url, body=body, headers=all_headers, timeout=timeout,
                redirect=False, preload_content=True,
            )  # fmt: skip
        except urllib3.exceptions.TimeoutError:
            raise _Retry(f"timed out after {options.timeout:g}s") from None
        except urllib3.exceptions.SSLError:
            raise _Fail("TLS error (certificate or protocol)") from None
        except (urllib3.exceptions.HTTPError, OSError):
            raise _Retry("connection failed") from None
        status = int(response.status)
        if 200 <= status < 300:
            problem = check(response.data) if check is not None else None
            if problem:
                raise _Fail(f"HTTP {status}: {problem}", status)
            return status
        if status >= 500 or status == 429:
            raise _Retry(
                f"HTTP {status}", status, _retry_after(response.headers.get("Retry-After"))
            )
        raise _Fail(f"HTTP {status} (not retried)", status)

    return with_retries(attempt, options)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Mail:
    host: str
    port: int
    username: str | None
    password: str | None
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str
    starttls: bool = True


def send_mail(mail: Mail, options: NotifyOptions) -> Outcome:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        mail.sender,
        ", ".join(mail.to),
        mail.subject,
    )
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")

    def attempt() -> None:
        try:
            with smtplib.SMTP(mail.host, mail.port, timeout=options.timeout) as smtp:
                smtp.ehlo()
                if mail.starttls:
                    if not smtp.has_extn("starttls"):
                        raise _Fail("the server does not offer STARTTLS")
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if mail.username:
                    smtp.login(mail.username, mail.password or "")
                smtp.send_message(message)
        except smtplib.SMTPNotSupportedError:
            raise _Fail("the server does not offer AUTH (login)") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _Fail(f"SMTP {exc.smtp_code} authentication failed") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Retry(f"SMTP {exc.smtp_code}") from None
            raise _Fail(f"SMTP {exc.smtp_code} (not retried)") from None
        except smtplib.SMTPRecipientsRefused:
            raise _Fail("SMTP: every recipient was refused") from None
        except ssl.SSLError:
            raise _Fail("TLS error (certificate or protocol)") from None
        except TimeoutError:
            raise _Retry(f"timed out after {options.timeout:g}s") from None
        except (smtplib.SMTPException, OSError):
            raise _Retry("SMTP connection failed") from None

    return with_retries(attempt, options)
