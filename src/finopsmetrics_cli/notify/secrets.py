"""Secret references resolved at send time, and only then.

The state, plans and dry runs hold ``${env:NAME}`` / ``${file:PATH}``; the
value exists only in the memory of the process that sends. A reference that
cannot be resolved is an error naming the reference (never a value). File
references are confined to the directory the operator names in
``FINOPSMETRICS_SECRETS_DIR``: a configuration must not be able to read any
file of the machine it runs on and post it to an address of its choosing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from finopsmetrics_cli.errors import NotificationError

SECRETS_DIR_ENV = "FINOPSMETRICS_SECRETS_DIR"
_REFERENCE = re.compile(r"^\s*\$\{(?P<scheme>env|file):(?P<target>[^}]*)\}\s*$")
_MAX_FILE_BYTES = 64 * 1024


def is_reference(value: str) -> bool:
    return bool(_REFERENCE.match(value))


def resolve(value: str, *, what: str, environ: Mapping[str, str] | None = None) -> str:
    """The value behind a reference (a plain string is returned as written).

    ``what`` says where the reference is used (``channel finops-slack webhook_url``)
    so that an error can name it.
    """
    match = _REFERENCE.match(value)
    if match is None:
        return value
    env = os.environ if environ is None else environ
    scheme, target = match["scheme"], match["target"]
    if scheme == "env":
        found = env.get(target)
        if found is None or found == "":
            raise NotificationError(
                f"{what}: environment variable {target} is not set",
                hint=f"export {target} in the environment of the process that sends",
            )
        return found
    return _read_file(target, what=what, env=env)


def _read_file(target: str, *, what: str, env: Mapping[str, str]) -> str:
    allowed = env.get(SECRETS_DIR_ENV)
    if not allowed:
        raise NotificationError(
            f"{what}: file reference ${{file:{target}}} refused: {SECRETS_DIR_ENV} is not set",
            hint=f"set {SECRETS_DIR_ENV} to the directory holding secret files "
            "(only files below it can be read), or use ${env:NAME}",
        )
    root = Path(allowed).resolve()
    path = (root / target).resolve()  # an absolute target replaces root; checked below
    if not path.is_relative_to(root):
        raise NotificationError(
            f"{what}: file reference ${{file:{target}}} refused: it is outside {SECRETS_DIR_ENV}",
            hint=f"put the file below {root}",
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise NotificationError(
            f"{what}: file reference ${{file:{target}}} cannot be read ({exc.strerror})",
            hint=f"check the file below {root}",
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        raise NotificationError(
            f"{what}: file reference ${{file:{target}}} is larger than 64 KiB",
            hint="a secret file holds one value",
        )
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise NotificationError(
            f"{what}: file reference ${{file:{target}}} is not UTF-8 text", hint=None
        ) from None
