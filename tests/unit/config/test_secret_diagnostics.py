"""No diagnostic about a secret field ever contains what was written in it: the
messages reach CI logs, SARIF uploads, and Terraform's and Pulumi's output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import ValidationFailed

SECRETS = ("hunter2-very-secret", "87654321", "zzz-plugin-secret-zzz", "s3cr3t-in-a-list")

CHANNEL_CASES: list[tuple[dict[str, Any], tuple[str | int, ...], str]] = [
    ({"webhook_url": "hunter2-very-secret"}, ("webhook_url",), "got a literal string"),
    ({"token": 87654321}, ("token",), "got a number"),
    ({"webhook_url": ["s3cr3t-in-a-list"]}, ("webhook_url",), "got a list"),
    (
        {"webhook_url": "${env:X}", "headers": {"X-Token": "hunter2-very-secret"}},
        ("headers", "X-Token"),
        "got a literal string",
    ),
]


@pytest.mark.parametrize(("fields", "path", "got"), CHANNEL_CASES)
def test_engine_messages_describe_secret_inputs_without_the_value(
    tmp_path: Path, fields: dict[str, Any], path: tuple[str | int, ...], got: str
) -> None:
    engine = Engine(tmp_path / "state.duckdb")
    with pytest.raises(ValidationFailed) as caught:
        engine.validate_object("notification_channel", "ops", {"type": "webhook", **fields})
    [diag] = caught.value.diagnostics
    field = ".".join(str(p) for p in path)
    assert (diag.code, diag.path) == ("E221", path)
    assert diag.message == (
        f"notification_channel 'ops': {field}: a secret field holds a reference, "
        f"${{env:NAME}} or ${{file:PATH}}, {got}"
    )


def test_a_type_error_on_a_secret_map_does_not_echo_it(tmp_path: Path) -> None:
    """Pydantic's own errors carry the input; on a secret field only its sort is said."""
    engine = Engine(tmp_path / "state.duckdb")
    spec = {"type": "integration", "secrets": "zzz-plugin-secret-zzz"}
    with pytest.raises(ValidationFailed) as caught:
        engine.validate_object("plugin", "p", spec)
    [diag] = caught.value.diagnostics
    assert (diag.code, diag.message) == (
        "E122",
        "plugin 'p': secrets: Input should be a valid dictionary (got a literal string)",
    )
    spec = {"type": "integration", "config": {"retries": "many"}, "enabled": "maybe"}
    with pytest.raises(ValidationFailed) as caught:  # other fields still say what they got
        engine.validate_object("plugin", "p", spec)
    assert "(got 'maybe')" in caught.value.diagnostics[0].message


CONFIG = """\
notification_channels:
  - name: ops
    type: webhook
    webhook_url: hunter2-very-secret
    headers: {X-Token: 87654321}
  - name: chat
    type: slack
    webhook_url: [s3cr3t-in-a-list]
plugins:
  - name: p
    type: integration
    secrets: zzz-plugin-secret-zzz
"""


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_validate_output_never_contains_a_secret_value(tmp_path: Path, fmt: str) -> None:
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(CONFIG)
    result = CliRunner().invoke(app, ["validate", str(config), "--format", fmt])
    assert result.exit_code == 1, result.output
    assert result.output.count("E221") + result.output.count("E122") >= 4
    for secret in SECRETS:
        assert secret not in result.output
