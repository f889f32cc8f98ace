"""Without the ``aws`` extra, S3 state is an error that names the extra to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.errors import MissingExtraError
from finopsmetrics_cli.state.remote import s3_client

MESSAGE = "S3 state (--state s3://...) needs the Python package 'boto3', which is not installed"
HINT = "pip install 'finopsmetrics-cli[aws]'"


@pytest.fixture
def no_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import boto3`` fails as it does where the extra is not installed."""
    monkeypatch.setitem(sys.modules, "boto3", None)


@pytest.mark.usefixtures("no_boto3")
def test_the_client_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as info:
        s3_client()
    assert (info.value.message, info.value.hint) == (MESSAGE, HINT)
    assert (info.value.module, info.value.extra) == ("boto3", "aws")


@pytest.mark.usefixtures("no_boto3")
@pytest.mark.parametrize(
    "argv",
    [
        ["state", "list", "--state", "s3://bucket/finops/state.duckdb"],
        ["state", "rm", "budget.x", "--state", "s3://bucket/finops/state.duckdb"],
    ],
)
def test_state_commands_on_s3_fail_with_the_hint(argv: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 1
    assert result.output == f"error: {MESSAGE}\n  hint: {HINT}\n"
    assert "Traceback" not in result.output
