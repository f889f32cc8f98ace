"""The getting-started page works as written for a new user: its shell blocks,
in order, in a fresh virtual environment, in one shell session."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "getting-started.md"
VENV = "python3.11 -m venv .venv\n"
INSTALL = "pip install -e .\n"


def shell_blocks(text: str) -> list[str]:
    """The ```sh blocks of a page (```text and ```yaml blocks are output and files)."""
    return re.findall(r"^```sh\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)


def adapted_script(text: str, dev_site_packages: str) -> str:
    script = "".join(shell_blocks(text))
    assert script.count(VENV) == 1 and script.count(INSTALL) == 1, script
    pth = f"echo {dev_site_packages} > .venv/lib/python3.11/site-packages/_dev_venv.pth\n"
    return script.replace(VENV, VENV + pth).replace(INSTALL, "pip install -e . --no-deps\n")


def _checkout(target: Path) -> None:
    """What ``pip install -e .`` reads from a checkout: the project file, the
    README it names, and the package sources (the working tree's, as tested)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "src", target / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )


@pytest.mark.slow
def test_the_getting_started_commands_run_as_written(tmp_path: Path) -> None:
    """Runs every ```sh block of docs/getting-started.md with bash ``-e`` in a copy
    of the checkout, with ``HOME`` in a temporary directory and a ``PATH`` that
    holds Python 3.11 but no finopsmetrics (so a page that forgot to activate
    the environment fails with "command not found").

    Two adaptations keep it fast and offline apart from the package index, and
    leave the commands otherwise verbatim: right after ``python3.11 -m venv
    .venv`` a ``.pth`` file lets the fresh environment see the test
    environment's installed packages (what ``--system-site-packages`` would do
    from a Python that had them), and ``pip install -e .`` gets ``--no-deps``
    (the dependencies are those packages). The project itself, its console
    script and the activation are the fresh environment's own. ``apply`` runs
    on a terminal (a pty) and is answered ``yes``, as a user would."""
    checkout = tmp_path / "checkout"
    _checkout(checkout)
    home = tmp_path / "home"
    home.mkdir()
    script = adapted_script(DOC.read_text(encoding="utf-8"), sysconfig.get_paths()["purelib"])
    base_bin = Path(sys._base_executable).parent  # type: ignore[attr-defined]
    assert (base_bin / "python3.11").exists()
    env = {
        "HOME": str(home),
        "PATH": f"{base_bin}:/usr/local/bin:/usr/bin:/bin",
        "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LANG": "C.UTF-8",
    }
    main, terminal = pty.openpty()
    try:
        os.write(main, b"yes\n")  # read by apply's question, the only read of stdin
        proc = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=checkout,
            env=env,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        os.close(terminal)
        os.close(main)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    config = home / "finops-config"
    assert sorted(p.name for p in config.iterdir()) == [
        ".finopsmetrics",
        ".gitignore",
        "finopsmetrics.schema.json",
        "finopsmetrics.yaml",
    ]
    assert "finopsmetrics 0.1.0" in proc.stdout
    assert "valid: 4 objects in 1 file (0 errors, 0 warnings" in proc.stdout
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in proc.stdout
    assert "No drift: 4 managed objects match what was applied." in proc.stdout
    assert (checkout / ".venv" / "bin" / "finopsmetrics").exists()


def test_the_adaptations_keep_the_commands_and_fail_on_a_changed_page() -> None:
    script = adapted_script(DOC.read_text(encoding="utf-8"), "/site")
    assert "source .venv/bin/activate\n" in script
    assert "pip install -e . --no-deps\n" in script
    with pytest.raises(AssertionError):
        adapted_script("```sh\npip install finopsmetrics\n```\n", "/site")
