"""A disk cache of the provider schema response, keyed by the code it derives from.

Terraform starts the provider three or four times per command, and most starts
only ask for the schema. Deriving it (importing the models, building 44 JSON
Schemas) costs more than the rest of a start, so the serialised response is
kept under ``$XDG_CACHE_HOME/finopsmetrics`` (default ``~/.cache``), named by a
fingerprint of every source file of the models and of this package (path,
size, mtime) and the versions involved. Any edit makes a new fingerprint; a
missing or unwritable cache only costs the derivation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from terraform_provider_finopsmetrics import PROVIDER_VERSION


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def fingerprint() -> str:
    from importlib.metadata import version

    digest = hashlib.sha256(f"{PROVIDER_VERSION}|{sys.version}|{version('pydantic')}".encode())
    for package in ("finopsmetrics_cli.models", "terraform_provider_finopsmetrics", "tf"):
        directory = _package_dir(package)
        if directory is None:
            continue
        for path in sorted(directory.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "finopsmetrics"


def cached(build: Callable[[], bytes]) -> bytes:
    """The cached bytes for this code, or ``build()`` stored for next time."""
    if os.environ.get("FINOPSMETRICS_TF_SCHEMA_CACHE") == "0":
        return build()
    path = cache_dir() / f"terraform-schema-{fingerprint()}.pb"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
    except OSError:
        pass
    return data
