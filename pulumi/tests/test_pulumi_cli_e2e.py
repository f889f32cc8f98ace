"""``pulumi up`` (with its preview) / ``preview`` / ``refresh`` / ``destroy`` of the
seed program with a local file backend, and a second stack that must not take the
first one's objects. Needs the Pulumi CLI, which cannot be installed
offline (the npm package downloads it at run time; PyPI's ``pulumi`` is the SDK
only), so the test runs wherever ``pulumi`` is on PATH and is skipped otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from finopsmetrics_cli.engine import Engine

from pulumi_mocks import PROGRAMS

pytestmark = [
    pytest.mark.pulumi,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="the pulumi CLI is not on PATH (install it from pulumi.com to run this test)",
    ),
]

PROJECT = """\
name: finops-e2e
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: {venv}
"""


def _pulumi(
    cwd: Path, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["pulumi", *args, "--non-interactive"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 or not check, result.stdout + result.stderr
    return result


def test_up_preview_refresh_destroy(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    venv = Path(sys.prefix)
    (project / "Pulumi.yaml").write_text(PROJECT.format(venv=venv))
    shutil.copy(PROGRAMS / "seed_8_2.py", project / "__main__.py")
    backend = tmp_path / "backend"
    backend.mkdir()
    store = tmp_path / "state.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if k != "FINOPSMETRICS_STATE"},
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "e2e",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    for stack in ("dev", "prod"):
        _pulumi(project, env, "stack", "init", stack)
        _pulumi(project, env, "config", "set", "finopsmetrics:store", str(store), "-s", stack)

    _pulumi(project, env, "up", "--yes", "-s", "dev")  # with its preview, as users run it
    live = Engine(store).read("budget.ML Training Q1 2025")
    assert live is not None and live.manager == "pulumi:finops-e2e/dev"
    assert live.spec["amount"] == 50000
    assert Engine(store).read("policy.GPU Instance Approval") is not None
    outputs = _pulumi(project, env, "stack", "output", "budget_id", "-s", "dev").stdout.strip()
    assert outputs == "budget.ML Training Q1 2025"

    _pulumi(project, env, "preview", "--expect-no-changes", "-s", "dev")

    # Another stack of the same program never takes this stack's objects.
    prod = _pulumi(project, env, "up", "--yes", "-s", "prod", check=False)
    assert prod.returncode != 0
    assert "is managed by pulumi:finops-e2e/dev" in prod.stdout + prod.stderr

    Engine(store, source="cli").edit_live("budget.ML Training Q1 2025", {**live.spec, "amount": 1})
    _pulumi(project, env, "up", "--yes", "--refresh", "-s", "dev")
    healed = Engine(store).read("budget.ML Training Q1 2025")
    assert healed is not None and healed.spec["amount"] == 50000 and not healed.drifted

    _pulumi(project, env, "destroy", "--yes", "-s", "dev")
    assert Engine(store).list_objects() == []
