"""Sending one message through its channel: secrets resolved here, at send time,
then the rendered payload handed to the transport. Channels are sent to in
parallel (a slow or failing service never holds up another); the messages of
one channel go in order."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from finopsmetrics_cli.errors import NotificationError
from finopsmetrics_cli.notify import render
from finopsmetrics_cli.notify.model import Delivery, DeliveryStatus, Message, NotifyOptions
from finopsmetrics_cli.notify.secrets import resolve
from finopsmetrics_cli.notify.transport import Mail, Outcome, post_json, send_mail

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SLACK_POST_MESSAGE_URL = "https://slack.com/api/chat.postMessage"
SIGNATURE_HEADER = "X-Finopsmetrics-Signature"


def send_all(
    messages: Sequence[Message],
    options: NotifyOptions,
    now: datetime,
    progress: Callable[[list[Delivery]], None] | None = None,
    every: float = 0.5,
) -> list[Delivery]:
    """Every message, one thread per channel; deliveries in the order of ``messages``.

    ``progress`` is called in this thread, at most every ``every`` seconds, with
    the deliveries finished since its last call (the caller records them as
    they happen, so a run killed while sending repeats as little as possible).
    """
    by_channel: dict[str, list[Message]] = {}
    for message in messages:
        by_channel.setdefault(message.channel.name, []).append(message)
    results: dict[str, Delivery] = {}
    finished: list[Delivery] = []
    lock = threading.Lock()

    def one_channel(batch: list[Message]) -> None:
        for message in batch:
            delivery = deliver(message, options, now)
            with lock:
                results[message.id] = delivery
                finished.append(delivery)

    def drain() -> None:
        with lock:
            done = finished[:]
            finished.clear()
        if done and progress is not None:
            progress(done)

    with ThreadPoolExecutor(max_workers=min(8, max(len(by_channel), 1))) as pool:
        futures = [pool.submit(one_channel, batch) for batch in by_channel.values()]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=every, return_when=FIRST_EXCEPTION)
            drain()
        for future in futures:
            future.result()
    drain()
    return [results[m.id] for m in messages]


def deliver(message: Message, options: NotifyOptions, now: datetime) -> Delivery:
    try:
        outcome = _send(message, options, now)
    except NotificationError as exc:  # a reference that does not resolve: nothing was sent
        return Delivery(message, "failed", 0, exc.message)
    status: DeliveryStatus = "sent" if outcome.ok else "failed"
    return Delivery(message, status, outcome.attempts, outcome.error, outcome.http_status)


def _secret(message: Message, field: str, options: NotifyOptions) -> str:
    value = message.channel.spec.get(field)
    if not value:
        raise NotificationError(f"channel {message.channel.name}: {field} is not set")
    return resolve(str(value), what=f"channel {message.channel.name} {field}",
                   environ=options.environ)  # fmt: skip


def _send(message: Message, options: NotifyOptions, now: datetime) -> Outcome:
    kind = message.channel.type
    if kind == "slack":
        return _slack(message, options)
    if kind == "teams":
        url = _secret(message, "webhook_url", options)
        return post_json(url, _json(render.teams(message)), {}, options)
    if kind == "pagerduty":
        key = _secret(message, "integration_key", options)
        url = message.channel.spec.get("url") or PAGERDUTY_EVENTS_URL
        return post_json(url, _json(render.pagerduty(message, key)), {}, options)
    if kind == "webhook":
        return _webhook(message, options, now)
    if kind == "email":
        return _email(message, options)
    raise NotificationError(f"channel {message.channel.name}: {kind} channels cannot deliver")


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def _slack(message: Message, options: NotifyOptions) -> Outcome:
    payload = render.slack(message)
    if message.channel.spec.get("webhook_url"):
        url = _secret(message, "webhook_url", options)
        return post_json(url, _json(payload), {}, options)
    token = _secret(message, "token", options)
    target = message.channel.spec.get("channel")
    if not target:
        raise NotificationError(
            f"channel {message.channel.name}: a slack token needs channel (e.g. #finops-alerts)"
        )
    headers = {"Authorization": f"Bearer {token}"}
    body = _json({**payload, "channel": target})
    url = message.channel.spec.get("url") or SLACK_POST_MESSAGE_URL
    return post_json(url, body, headers, options, check=slack_api_error)


def slack_api_error(body: bytes) -> str | None:
    """Slack's Web API says ``{"ok": false, "error": "channel_not_found"}`` with HTTP 200."""
    try:
        answer = json.loads(body)
    except ValueError:
        return "not a Slack API answer"
    if isinstance(answer, dict) and answer.get("ok") is True:
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    return f"Slack API error {str(error)[:80]}" if error else "Slack API error"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>``, the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook(message: Message, options: NotifyOptions, now: datetime) -> Outcome:
    url = _secret(message, "webhook_url", options)
    body = _json(render.webhook(message, now))
    headers = {"X-Finopsmetrics-Event": render.event_name(message.items[0]),
               "X-Finopsmetrics-Message-Id": message.id}  # fmt: skip
    for name, ref in (message.channel.spec.get("headers") or {}).items():
        headers[str(name)] = resolve(str(ref), what=f"channel {message.channel.name} "
                                     f"headers.{name}", environ=options.environ)  # fmt: skip
    if message.channel.spec.get("signing_secret"):
        headers[SIGNATURE_HEADER] = signature(_secret(message, "signing_secret", options), body)
    return post_json(url, body, headers, options)


def _email(message: Message, options: NotifyOptions) -> Outcome:
    name = message.channel.name
    smtp = message.channel.spec.get("smtp")
    if not isinstance(smtp, dict):
        raise NotificationError(
            f"channel {name}: an email channel needs smtp (host, from_address ...) to send",
            hint="add smtp: {host: ..., from_address: ..., username: ${env:SMTP_USER}, "
            "password: ${env:SMTP_PASSWORD}} to the channel",
        )
    to = render.email_recipients(message)
    if not to:
        raise NotificationError(f"channel {name}: no email address to send to")

    def value(key: str) -> str | None:
        raw = smtp.get(key)
        return None if raw is None else resolve(str(raw), what=f"channel {name} smtp.{key}",
                                                environ=options.environ)  # fmt: skip

    subject, text, html = render.email(message)
    mail = Mail(
        host=value("host") or "", port=int(smtp.get("port", 587)), username=value("username"),
        password=value("password"), sender=str(smtp["from_address"]), to=to, subject=subject,
        text=text, html=html, starttls=bool(smtp.get("starttls", True)),
    )  # fmt: skip
    return send_mail(mail, options)
