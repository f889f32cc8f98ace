"""Secret fields hold references, never values.

A secret field accepts only ``${env:NAME}`` or ``${file:PATH}``: the reference
is what state stores and plans diff, and the value is resolved only where it is
used. A literal that looks like a secret (a Slack or Teams webhook URL, a Slack
token, a PagerDuty integration key, a long random string) is reported as such,
with a hint to move it to an environment variable; other literals are reported
as "not a reference". No message ever repeats what was written in a secret
field (:func:`describe_secret_input`): diagnostics end up in CI logs and in
Terraform's and Pulumi's output. :func:`looks_like_secret` is also used to scan free-form
configuration maps (plugin ``config``) where no field is declared secret.
"""

from __future__ import annotations

import math
import re
import typing
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import FieldType

SECRET_REFERENCE = re.compile(r"^\$\{(?:env:[A-Za-z_][A-Za-z0-9_]*|file:[^}\s][^}]*)\}$")

_SECRET_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^https?://hooks\.slack\.com/", re.I), "a Slack webhook URL"),
    (
        re.compile(r"^https?://[^/\s]*\.webhook\.office\.com/", re.I),
        "a Microsoft Teams webhook URL",
    ),
    (
        re.compile(r"^https?://outlook\.office(365)?\.com/webhook", re.I),
        "a Microsoft Teams webhook URL",
    ),
    (re.compile(r"^https?://events\.pagerduty\.com/", re.I), "a PagerDuty events URL"),
    (re.compile(r"^xox[abposr]-[A-Za-z0-9-]{8,}"), "a Slack token"),
    (re.compile(r"^xapp-[A-Za-z0-9-]{8,}"), "a Slack app token"),
    (re.compile(r"^(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}"), "a GitHub token"),
    (re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$"), "an AWS access key"),
    (re.compile(r"^sk-[A-Za-z0-9_-]{16,}"), "an API key"),
    (re.compile(r"^Bearer\s+\S{8,}", re.I), "a bearer token"),
    (
        re.compile(r"^https?://\S*[?&](token|key|secret|sig|signature|code|api_key)=", re.I),
        "a URL with a credential",
    ),
    (re.compile(r"^https?://[^/\s:@]+:[^/\s@]+@", re.I), "a URL with a password"),
    (re.compile(r"^https?://\S*webhook", re.I), "a webhook URL"),
)
# Bare keys: in a secret field any of these is a key; in free-form config maps
# (``strict=False``) only mixed-case, high-entropy tokens are, so that ids such
# as UUIDs, hex hashes or lower-case names are not mistaken for secrets.
_PAGERDUTY_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-+=][A-Za-z0-9_\-+/=.]{23,}$")
_HAS_DIGIT = re.compile(r"\d")
_HAS_UPPER = re.compile(r"[A-Z]")
_HAS_LOWER = re.compile(r"[a-z]")


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def looks_like_secret(value: str, *, strict: bool = True) -> str | None:
    """What kind of secret ``value`` looks like, or None.

    ``strict`` (secret fields) also flags 32-character keys and long lower-case
    tokens; free-form maps are scanned with ``strict=False``."""
    text = value.strip()
    for pattern, what in _SECRET_SHAPES:
        if pattern.search(text):
            return what
    if strict and _PAGERDUTY_KEY.match(text):
        return "a PagerDuty integration key"
    if not _TOKEN_CHARS.match(text) or not _HAS_DIGIT.search(text) or not _HAS_LOWER.search(text):
        return None
    if _HAS_UPPER.search(text) and _entropy(text) >= 4.0:
        return "a token-like string"
    if strict and len(text) >= 32:
        return "a token-like string"
    return None


def _secret_ref(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if SECRET_REFERENCE.match(text):
            return text
        what = looks_like_secret(text)
        if what:
            raise custom_error(
                "secret_literal",
                "this looks like {what} written as a literal; secrets must be references: "
                "${env:NAME} or ${file:PATH}",
                what=what,
            )
    raise custom_error(
        "secret_not_reference",
        "a secret field holds a reference, ${env:NAME} or ${file:PATH}, got {value}",
        value=describe_secret_input(value),
    )


def describe_secret_input(value: Any) -> str:
    """What was written in a secret field, never the value itself: diagnostics reach
    CI logs, Terraform's and Pulumi's output, where a pasted secret must not show."""
    if isinstance(value, str):
        if value.strip().startswith("${"):
            return "a malformed reference"
        return "a literal string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "a mapping", list: "a list", type(None): "null"}.get(
        type(value), "a value"
    )


#: The marker of a secret field inside any annotation (``SecretRef | None``,
#: ``dict[str, SecretRef]``): what :func:`is_secret_annotation` looks for.
SECRET_FIELD = FieldType(
    _secret_ref,
    {
        "type": "string",
        "pattern": r"^\s*\$\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^}\s][^}]*)\}\s*$",
        "description": "A secret reference: ${env:NAME} or ${file:PATH}; never the value.",
    },
    doc="secret reference (${env:NAME} / ${file:PATH})",
)
SecretRef = Annotated[str, SECRET_FIELD]


def is_secret_annotation(annotation: Any, metadata: Sequence[Any] = ()) -> bool:
    """True when a field's type holds a secret at any depth of its type arguments
    (not inside nested models: those are fields of their own)."""
    if any(item is SECRET_FIELD for item in metadata):
        return True
    return any(
        arg is SECRET_FIELD or is_secret_annotation(arg) for arg in typing.get_args(annotation)
    )


def scan_for_secrets(
    value: Any, path: tuple[str | int, ...] = ()
) -> tuple[tuple[str | int, ...], str] | None:
    """The first string inside a free-form structure that looks like a secret: (path, what)."""
    if isinstance(value, str):
        if SECRET_REFERENCE.match(value.strip()):
            return None
        what = looks_like_secret(value, strict=False)
        return (path, what) if what else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = scan_for_secrets(item, (*path, str(key)))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = scan_for_secrets(item, (*path, index))
            if found:
                return found
    return None
