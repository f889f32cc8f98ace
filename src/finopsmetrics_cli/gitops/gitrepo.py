"""Git plumbing shared by ``plan --base-ref`` and the reconciler.

Both need "the configuration as it was at commit X" without touching anybody's
working tree: the blobs of the config paths at that commit are written to a
private directory and loaded from there with the normal loader. gitpython is
imported lazily (the CLI must start fast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from finopsmetrics_cli.errors import FinopsError

CONFIG_SUFFIXES = (".yaml", ".yml")


class GitError(FinopsError):
    """A git operation failed (missing ref, unreachable remote, not a repository)."""


@dataclass(frozen=True, slots=True)
class Materialized:
    """Config paths written out from one commit."""

    commit: str
    paths: tuple[Path, ...]  # the written paths that existed at the commit (files or dirs)
    missing: tuple[str, ...]  # repo-relative paths absent at the commit


def git_module() -> Any:
    """Import gitpython, with a clear error when the git executable is missing."""
    try:
        import git
    except ImportError as exc:  # gitpython raises ImportError when `git` is not installed
        raise GitError(
            f"git is not usable: {exc}", hint="install git and make sure it is on PATH"
        ) from exc
    return git


def open_repo(start: Path) -> Any:
    """The repository containing ``start`` (a file or directory)."""
    git = git_module()
    probe = start if start.is_dir() else start.parent
    try:
        return git.Repo(probe.resolve(), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(
            f"{start} is not inside a git repository",
            hint="run from a git checkout, or drop --base-ref",
        ) from exc


def resolve_commit(repo: Any, ref: str) -> Any:
    """A commit object for ``ref`` (branch, tag, SHA, ``origin/x``; bare branch
    names fall back to ``origin/<name>`` as CI checkouts only have those)."""
    git = git_module()
    candidates = [ref] if "/" in ref or ref.startswith("refs") else [ref, f"origin/{ref}"]
    for candidate in candidates:
        try:
            return repo.commit(candidate)
        except (git.BadName, git.BadObject, ValueError, IndexError):
            continue
    shallow = Path(repo.git_dir, "shallow").exists()
    hint = (
        f"this is a shallow clone: fetch the ref first, e.g. git fetch --depth=1 origin {ref}"
        if shallow
        else f"fetch it first (git fetch origin {ref}) or check the spelling"
    )
    raise GitError(f"git ref {ref!r} not found in {repo.working_dir}", hint=hint)


def relative_to_repo(repo: Any, path: Path) -> str:
    """``path`` as a POSIX path relative to the repository root."""
    root = Path(repo.working_tree_dir or repo.working_dir).resolve()
    try:
        rel = path.resolve().relative_to(root)
    except ValueError as exc:
        raise GitError(
            f"{path} is outside the git repository {root}",
            hint="pass config paths inside the repository",
        ) from exc
    return rel.as_posix() if str(rel) != "." else ""


def materialize(commit: Any, rel_paths: Sequence[str], dest: Path) -> Materialized:
    """Write the blobs of ``rel_paths`` (files or directories) at ``commit`` below ``dest``.

    A directory contributes every ``*.yaml``/``*.yml`` below it, as the loader
    would read it from disk. Paths absent at the commit are reported, not fatal:
    a file added on a branch does not exist at the base.
    """
    written: list[Path] = []
    missing: list[str] = []
    for rel in rel_paths:
        item = commit.tree if rel in ("", ".") else _tree_item(commit.tree, rel)
        if item is None:
            missing.append(rel)
            continue
        target = dest / PurePosixPath(rel) if rel not in ("", ".") else dest
        if item.type == "blob":
            _write_blob(item, target)
        elif item.type == "tree":
            target.mkdir(parents=True, exist_ok=True)
            for entry in item.traverse():
                if entry.type == "blob" and entry.path.endswith(CONFIG_SUFFIXES):
                    inner = PurePosixPath(entry.path).relative_to(PurePosixPath(item.path or "."))
                    _write_blob(entry, target / inner)
        else:
            missing.append(rel)
            continue
        written.append(target)
    return Materialized(commit.hexsha, tuple(written), tuple(missing))


def _tree_item(tree: Any, rel: str) -> Any | None:
    try:
        return tree / rel
    except KeyError:
        return None


def _write_blob(blob: Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(blob.data_stream.read())
