"""Reading config blobs at a commit from real git repositories in temp dirs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from finopsmetrics_cli.gitops.gitrepo import (
    GitError,
    materialize,
    open_repo,
    relative_to_repo,
    resolve_commit,
)


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture()
def repo_dir(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "finopsmetrics.yaml").write_text("budgets: []\n")
    (root / "conf" / "teams").mkdir(parents=True)
    (root / "conf" / "a.yaml").write_text("a: 1\n")
    (root / "conf" / "teams" / "b.yml").write_text("b: 2\n")
    (root / "conf" / "README.md").write_text("not config\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_files_and_directories_are_written_from_the_commit(repo_dir: Path, tmp_path: Path) -> None:
    repo = open_repo(repo_dir / "conf")
    commit = resolve_commit(repo, "main")
    (repo_dir / "finopsmetrics.yaml").write_text("changed in the working tree\n")
    out = tmp_path / "out"
    written = materialize(commit, ["finopsmetrics.yaml", "conf", "new.yaml"], out)
    assert written.commit == commit.hexsha
    assert written.paths == (out / "finopsmetrics.yaml", out / "conf")
    assert written.missing == ("new.yaml",)
    assert (out / "finopsmetrics.yaml").read_text() == "budgets: []\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "conf/a.yaml",
        "conf/teams/b.yml",
        "finopsmetrics.yaml",
    ]


def test_paths_are_made_relative_to_the_repository_root(repo_dir: Path) -> None:
    repo = open_repo(repo_dir)
    assert relative_to_repo(repo, repo_dir / "conf" / "a.yaml") == "conf/a.yaml"
    assert relative_to_repo(repo, repo_dir) == ""
    with pytest.raises(GitError, match=r"is outside the git repository"):
        relative_to_repo(repo, repo_dir.parent)


def test_a_missing_ref_is_a_clear_error(repo_dir: Path) -> None:
    repo = open_repo(repo_dir)
    with pytest.raises(GitError) as caught:
        resolve_commit(repo, "release-9")
    assert caught.value.message == f"git ref 'release-9' not found in {repo_dir}"
    assert caught.value.hint == "fetch it first (git fetch origin release-9) or check the spelling"


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"is not inside a git repository$"):
        open_repo(tmp_path)


def test_shallow_clone_finds_a_fetched_base_and_explains_a_missing_one(
    repo_dir: Path, tmp_path: Path
) -> None:
    git(repo_dir, "checkout", "-q", "-b", "feature")
    (repo_dir / "finopsmetrics.yaml").write_text("budgets: [1]\n")
    git(repo_dir, "commit", "-q", "-am", "feature change")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth=1",
        "--branch",
        "feature",
        f"file://{repo_dir}",
        str(clone),
    )
    repo = open_repo(clone)
    with pytest.raises(GitError) as caught:
        resolve_commit(repo, "main")
    assert caught.value.hint == (
        "this is a shallow clone: fetch the ref first, e.g. git fetch --depth=1 origin main"
    )
    git(clone, "fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main")
    base = resolve_commit(repo, "main")  # falls back to origin/main
    assert base.hexsha == git(repo_dir, "rev-parse", "main")
    written = materialize(base, ["finopsmetrics.yaml"], tmp_path / "base")
    assert (tmp_path / "base" / "finopsmetrics.yaml").read_text() == "budgets: []\n"
    assert written.missing == ()
