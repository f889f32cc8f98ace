"""Where billing files live: a local path or glob, ``s3://`` or ``azure://``.

``costs sync`` only needs two things from a location: the list of objects with
a fingerprint that changes when an object does (so unchanged files are
skipped), and a local copy of the objects it ingests. DuckDB's own httpfs
extension cannot be relied on (it is downloaded at run time), so remote
objects are listed and downloaded with the clouds' SDKs, imported lazily.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from finopsmetrics_cli.errors import CostDataError

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class SourceObject:
    """One billing file: what users see, and what tells a changed file from an unchanged one.

    ``fingerprint`` is the ETag of a remote object and ``f"{size}:{mtime_ns}"``
    of a local file. The base class is a local file; remote kinds override
    :meth:`fetch` to download.
    """

    uri: str
    fingerprint: str
    size: int

    def fetch(self, dest_dir: Path) -> Path:
        """A local file with the object's bytes (a local file is used in place)."""
        return Path(self.uri)


def list_objects(location: str, *, base: Path | None = None) -> list[SourceObject]:
    """Every object at ``location``, sorted by uri.

    ``base`` anchors a relative local path (the directory of the config file
    that declares the source); it defaults to the working directory.
    Raises :class:`CostDataError` when the location does not exist.
    """
    if location.startswith("s3://"):
        from finopsmetrics_cli.costs.remote_s3 import list_s3

        return list_s3(location)
    if location.startswith("azure://"):
        from finopsmetrics_cli.costs.remote_azure import list_azure

        return list_azure(location)
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise CostDataError(
            f"unsupported cost data location {location!r} (scheme {scheme}://)",
            hint="use a local path or glob, s3://BUCKET/PREFIX or azure://ACCOUNT/CONTAINER/PREFIX",
        )
    return _list_local(location, base)


def _list_local(location: str, base: Path | None) -> list[SourceObject]:
    expanded = os.path.expanduser(location)
    path = Path(expanded)
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    if _GLOB_CHARS.isdisjoint(expanded):
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)]
        else:
            raise CostDataError(
                f"cost data location {location!r} does not exist",
                hint=f"looked for {path}; a relative path is read from the config file's directory",
            )
    else:
        root = _glob_root(path)
        if not root.is_dir():
            raise CostDataError(
                f"cost data location {location!r} does not exist",
                hint=f"the directory {root} is missing",
            )
        files = [Path(p) for p in glob.glob(str(path), recursive=True) if os.path.isfile(p)]
    return sorted((_local_object(p) for p in files), key=lambda obj: obj.uri)


def _glob_root(pattern: Path) -> Path:
    """The longest leading part of a pattern without glob characters."""
    parts: list[str] = []
    for part in pattern.parts:
        if not _GLOB_CHARS.isdisjoint(part):
            break
        parts.append(part)
    return Path(*parts)


def _hidden(path: Path, root: Path) -> bool:
    """Dotfiles below a directory (``.DS_Store``, editor swap files) are not billing data."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _local_object(path: Path) -> SourceObject:
    stat = path.stat()
    return SourceObject(str(path), f"{stat.st_size}:{stat.st_mtime_ns}", stat.st_size)


@dataclass(frozen=True, slots=True)
class KeyPattern:
    """What a remote location's key part selects: a key, a "directory" or a glob.

    Path semantics, like local paths: ``cur`` is the key ``cur`` or keys under
    ``cur/``, never ``curious.csv``; ``cur/`` and the empty pattern are
    everything below; ``*?[`` make it a glob over whole keys.
    """

    pattern: str

    def list_prefix(self) -> str:
        """What to ask the service for: everything up to the first glob character."""
        for index, char in enumerate(self.pattern):
            if char in _GLOB_CHARS:
                return self.pattern[:index]
        return self.pattern

    def matches(self, key: str) -> bool:
        if key.endswith("/"):
            return False  # a console-made "folder" marker
        if not _GLOB_CHARS.isdisjoint(self.pattern):
            return _key_glob(self.pattern).fullmatch(key) is not None
        if not self.pattern or self.pattern.endswith("/"):
            return True
        return key == self.pattern or key.startswith(self.pattern + "/")


@functools.lru_cache(maxsize=64)
def _key_glob(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        elif pattern[index] == "[" and (end := pattern.find("]", index + 2)) != -1:
            body = pattern[index + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            parts.append(f"[{'^' if negate else ''}{body}]")
            index = end + 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts))


def download_path(dest_dir: Path, uri: str) -> Path:
    """Where a remote object is downloaded: a directory per uri, keeping its file name.

    The name keeps the extension (``.csv.gz``, ``.parquet``) that format
    detection reads; the hashed directory keeps objects of the same name apart
    and keys such as ``../x`` inside ``dest_dir``.
    """
    name = uri.rstrip("/").rsplit("/", 1)[-1] or "object"
    if name in (".", ".."):
        name = "object"
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    target = dest_dir / digest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target
