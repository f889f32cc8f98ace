"""``make demo`` installs the core package only (``pip install -e .``, no extras):
the demo must then run without any cloud SDK."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = '''\
import sys


class _NoCloudSdk:
    """As if no extra were installed: importing a cloud SDK fails."""

    BLOCKED = ("boto3", "botocore", "google.cloud", "azure")

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in self.BLOCKED):
            raise ImportError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, _NoCloudSdk())
'''


def test_make_demo_installs_the_core_package_alone() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installed = re.search(r"^\$\(VENV\)/\.installed:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert installed is not None
    assert "pip install --quiet -e .\n" in installed.group(1)
    assert re.search(r"^demo: \$\(VENV\)/\.installed$", makefile, re.MULTILINE)


@pytest.mark.slow
def test_the_demo_runs_without_any_cloud_sdk(tmp_path: Path) -> None:
    """Runs scripts/demo.sh (what ``make demo`` runs) with every cloud SDK import
    failing, through a ``sitecustomize`` on ``PYTHONPATH`` in each of its processes."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    check = subprocess.run(
        [sys.executable, "-c", "import boto3"],
        env={**os.environ, "PYTHONPATH": str(blocker)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "No module named 'boto3'" in check.stderr  # the blocker works
    exe = Path(sys.executable).with_name("finopsmetrics")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh"), str(exe), str(tmp_path / "demo")],
        env={**os.environ, "PYTHONPATH": str(blocker)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Demo complete" in proc.stdout
