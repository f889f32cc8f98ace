"""``finopsmetrics terraform install`` tells a new user what is missing, truthfully:
the provider package (installed from this checkout) and a ``terraform`` binary."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli import terraform_cmd
from finopsmetrics_cli.cli.app import app

ROOT = Path(__file__).resolve().parents[2]


def test_without_the_provider_the_hint_names_this_checkouts_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "terraform_provider_finopsmetrics", None)
    result = CliRunner().invoke(app, ["terraform", "install"], env={"HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output == (
        "error: the Terraform provider package (terraform-provider-finopsmetrics) is not "
        "installed in this Python\n"
        f"  hint: run `{sys.executable} -m pip install -e {ROOT / 'terraform-provider'}`, "
        "then run this command again\n"
    )
    assert (ROOT / "terraform-provider" / "pyproject.toml").is_file()  # the hint is installable
    assert not (tmp_path / ".finopsmetrics").exists()


def test_outside_a_checkout_the_hint_says_where_the_provider_comes_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "terraform_provider_finopsmetrics", None)
    monkeypatch.setattr(terraform_cmd, "provider_source_dir", lambda: None)
    result = CliRunner().invoke(app, ["terraform", "install"])
    assert result.exit_code == 1
    assert (
        f"  hint: run `{sys.executable} -m pip install -e ./terraform-provider` in a checkout "
        "of the finopsmetrics repository, then run this command again\n"
    ) in result.output


def test_a_missing_terraform_binary_is_mentioned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform here
    result = CliRunner().invoke(app, ["terraform", "install"], env={"HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert (
        "note: no `terraform` found on PATH; install Terraform 1.x (tested with 1.11.4 and "
        "1.15.5) to use the provider\n"
    ) in result.output
    (tmp_path / "terraform").write_text("#!/bin/sh\n")
    (tmp_path / "terraform").chmod(0o755)
    again = CliRunner().invoke(app, ["terraform", "install"], env={"HOME": str(tmp_path)})
    assert "note:" not in again.output
