"""``finopsmetrics init``: a starter that validates, a .gitignore, no overwrite."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.config import load_config

EXE = Path(sys.executable).parent / "finopsmetrics"
runner = CliRunner()


def test_init_writes_a_starter_that_validates(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "proj"), "--no-color"])
    assert result.exit_code == 0, result.output
    config_path = tmp_path / "proj" / "finopsmetrics.yaml"
    text = config_path.read_text()
    assert text.startswith("# yaml-language-server: $schema=./finopsmetrics.schema.json\n")
    schema = tmp_path / "proj" / "finopsmetrics.schema.json"
    assert schema.read_text() == runner.invoke(app, ["schema"]).output
    config = load_config(config_path)
    assert sorted(config.objects) == [
        "budget.platform-monthly",
        "notification_channel.finops-alerts",
        "policy.require-cost-center-tag",
        "team.platform",
    ]
    assert (tmp_path / "proj" / ".gitignore").read_text().splitlines()[-1] == ".finopsmetrics/"
    assert result.output.splitlines()[:2] == [f"wrote {config_path}", f"wrote {schema}"]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "finopsmetrics.yaml").write_text("teams: []\n")
    result = runner.invoke(app, ["init", str(tmp_path), "--no-color"])
    assert result.exit_code == 1
    assert (tmp_path / "finopsmetrics.yaml").read_text() == "teams: []\n"
    assert (
        f"error: {tmp_path / 'finopsmetrics.yaml'} already exists; not overwriting it"
        in result.output
    )


def test_init_keeps_an_existing_gitignore_and_schema_option(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    proc = subprocess.run(
        [str(EXE), "init", str(tmp_path), "--schema", "../schemas/finopsmetrics.schema.json", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, "")
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "node_modules/"
    assert ".finopsmetrics/" in (tmp_path / ".gitignore").read_text().splitlines()
    first = (tmp_path / "finopsmetrics.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/finopsmetrics.schema.json"
    assert not (tmp_path / "finopsmetrics.schema.json").exists()
    again = subprocess.run(
        [str(EXE), "init", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1 and "Traceback" not in again.stderr


def test_gitignore_not_duplicated(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(".finopsmetrics/\n")
    assert runner.invoke(app, ["init", str(tmp_path), "-q"]).exit_code == 0
    assert (tmp_path / ".gitignore").read_text() == ".finopsmetrics/\n"


def test_schema_write_refreshes_the_file_the_starter_names(tmp_path: Path) -> None:
    """The schema line's relative path resolves: init wrote the file, and
    ``schema --write`` (run where the configuration is) rewrites the same file."""
    assert runner.invoke(app, ["init", str(tmp_path), "-q"]).exit_code == 0
    line = (tmp_path / "finopsmetrics.yaml").read_text().splitlines()[0]
    named = tmp_path / line.split("$schema=", 1)[1]
    assert named.resolve() == (tmp_path / "finopsmetrics.schema.json").resolve()
    named.write_text("{}\n")
    proc = subprocess.run(
        [str(EXE), "schema", "--write"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout) == (0, "wrote finopsmetrics.schema.json\n")
    assert named.read_text() == runner.invoke(app, ["schema"]).output
    kind = runner.invoke(app, ["schema", "--kind", "budget", "-o", str(tmp_path / "b.json"), "-q"])
    assert (kind.exit_code, kind.output) == (0, "")
    assert (tmp_path / "b.json").read_text() == runner.invoke(
        app, ["schema", "-k", "budget"]
    ).output


def test_schema_write_to_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "-o", str(tmp_path / "no" / "s.json")])
    assert result.exit_code == 1
    assert result.output == (
        f"error: cannot write {tmp_path / 'no' / 's.json'}: No such file or directory\n"
        "  hint: check that the directory exists and is writable\n"
    )


def test_readme_and_docs_tell_the_schema_story_init_writes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    lines = {
        (page.relative_to(root).as_posix(), found)
        for page in pages
        for found in re.findall(r"# yaml-language-server: \$schema=[^\s`]+", page.read_text())
    }
    assert runner.invoke(app, ["init", str(tmp_path), "-q"]).exit_code == 0
    written = (tmp_path / "finopsmetrics.yaml").read_text().splitlines()[0]
    assert {line for _, line in lines} == {written}
    assert {page for page, _ in lines} >= {
        "README.md",
        "docs/reference/file-format.md",
        "docs/commands/schema.md",
        "docs/getting-started.md",
    }
