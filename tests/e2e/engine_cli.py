"""Helpers for the plan/apply/drift/import end-to-end tests (CliRunner and subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

BIN = Path(sys.executable).with_name("finopsmetrics")

CONFIG = """\
version: 1
# Where alerts go. The webhook is a reference, never a value.
notification_channels:
  - name: finops-slack   # the FinOps team channel
    type: slack
    webhook_url: ${env:SLACK_WEBHOOK}

teams:
  - name: ml-platform
    owners: [ana@example.com]

budgets:
  # Training spend, reviewed monthly
  - name: ml-training
    amount: 50000
    period: monthly
    currency: USD
    owner: ml-platform
    alerts:
      - threshold: 80%
        channels: [finops-slack]
      - threshold: 100%
        channels: [finops-slack, email]
  - name: data-lake
    amount: 12000
    period: monthly
    currency: USD
"""


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Workspace:
    """A temp dir with a config file and a state file; runs the CLI against them."""

    def __init__(self, root: Path, config: str = CONFIG) -> None:
        self.root = root
        self.config = root / "finopsmetrics.yaml"
        self.config.write_text(config)
        self.state = root / "state.duckdb"

    def run(self, *args: str, input: str | None = None) -> Result:
        """In-process through typer's CliRunner (fast); ``--state`` is added."""
        from finopsmetrics_cli.cli.app import app

        runner = CliRunner()
        result = runner.invoke(app, [*args, "--state", str(self.state)], input=input,
                               catch_exceptions=False, env={"FINOPSMETRICS_ACTOR": "tester"})
        return Result(result.exit_code, result.stdout, result.stderr)

    def sub(self, *args: str, timeout: float = 120) -> Result:
        """As a user runs it: a real process."""
        env = {**os.environ, "FINOPSMETRICS_ACTOR": "tester", "NO_COLOR": "1"}
        proc = subprocess.run(
            [str(BIN), *args, "--state", str(self.state)], cwd=self.root, env=env,
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def engine(self, actor: str = "tester", source: str = "api"):  # type: ignore[no-untyped-def]
        from finopsmetrics_cli.engine import Engine

        return Engine(self.state, actor=actor, source=source)

    def edit(self, old: str, new: str) -> None:
        text = self.config.read_text()
        assert old in text, old
        self.config.write_text(text.replace(old, new, 1))
