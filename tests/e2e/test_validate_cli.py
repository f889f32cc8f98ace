"""``finopsmetrics validate`` through typer's runner and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app

ROOT = Path(__file__).parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad"
EXE = Path(sys.executable).parent / "finopsmetrics"
runner = CliRunner()

# The parts of the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0)
# that a consumer such as GitHub code scanning requires, closed with
# additionalProperties: false over the properties we emit (each one a SARIF
# property of that object), so an invented property fails. The full schema is
# not available offline here.
SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string", "format": "uri"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "additionalProperties": False,
                                            "properties": {
                                                "id": {"type": "string"},
                                                "helpUri": {"type": "string", "format": "uri"},
                                                "shortDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "additionalProperties": False,
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_valid_file_text_summary(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("teams:\n  - name: platform\n")
    result = runner.invoke(app, ["validate", str(path), "--no-color"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: 1 objects in 1 file (0 errors, 0 warnings; ")


def test_errors_text_grouped_by_file_with_summary() -> None:
    result = runner.invoke(app, ["validate", str(BAD / "many_errors.yaml"), "--no-color"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == str(BAD / "many_errors.yaml")
    assert lines[1] == (
        f"{BAD / 'many_errors.yaml'}:4:13: error[E228]: budget 'a': amount: must be greater than"
        " zero, got -1"
    )
    assert lines[-1] == "invalid: 6 errors, 0 warnings in 1 file"


def test_quiet_prints_only_problems(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("teams: []\n")
    assert runner.invoke(app, ["validate", str(path), "-q"]).output == ""


def test_json_format_is_versioned() -> None:
    result = runner.invoke(app, ["validate", str(BAD / "unknown_field.yaml"), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["format_version"] == 1 and doc["valid"] is False and doc["error_count"] == 1
    assert doc["diagnostics"] == [
        {
            "code": "E120",
            "severity": "error",
            "message": "budget 'x': unknown field 'curency'",
            "hint": "did you mean 'currency'?",
            "file": str(BAD / "unknown_field.yaml"),
            "line": 4,
            "column": 5,
            "path": ["curency"],
        }
    ]


def test_github_annotations() -> None:
    result = runner.invoke(app, ["validate", str(BAD / "dangling_team.yaml"), "--format", "github"])
    assert result.exit_code == 1
    file = str(BAD / "dangling_team.yaml").replace(":", "%3A").replace(",", "%2C")
    assert result.output == (
        f"::error file={file},line=6,col=12,title=E301::budget 'x': owner names team 'platfrom',"
        " which is not declared (hint: did you mean 'platform'?)\n"
    )


def test_sarif_log_structure() -> None:
    paths = [str(BAD / n) for n in ("many_errors.yaml", "soft_reference_warning.yaml")]
    result = runner.invoke(app, ["validate", *paths, "--format", "sarif"])
    assert result.exit_code == 1
    log = json.loads(result.output)
    jsonschema.validate(log, SARIF_REQUIRED)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert [r["level"] for r in run["results"]].count("warning") == 1
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first["region"] == {"startLine": 4, "startColumn": 13}


def test_default_path_and_missing_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--no-color"])
    assert result.exit_code == 1
    assert "error[E001]: no such file or directory: 'finopsmetrics.yaml'" in result.output
    (tmp_path / "finopsmetrics.yaml").write_text("teams: []\n")
    assert runner.invoke(app, ["validate"]).exit_code == 0


@pytest.mark.parametrize(
    "name", ["alias_bomb", "deep_nesting_flow", "binary", "not_utf8", "tab_indent"]
)
def test_hostile_input_in_a_real_process_no_traceback(name: str) -> None:
    proc = subprocess.run(
        [str(EXE), "validate", str(BAD / f"{name}.yaml"), "--no-color"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{BAD / name}.yaml:" in proc.stdout


def test_real_process_valid_and_max_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("teams:\n  - name: platform\n")
    ok = subprocess.run(
        [str(EXE), "validate", str(path), "-q"], capture_output=True, text=True, timeout=60
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    big = subprocess.run(
        [str(EXE), "validate", str(path), "--max-bytes", "10", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert big.returncode == 1
    assert json.loads(big.stdout)["diagnostics"][0]["code"] == "E002"


@pytest.mark.parametrize(
    "path",
    [BAD / "unknown_field.yaml", BAD / "bad_threshold_range.yaml", BAD / "dangling_channel.yaml",
     BAD / "binary.yaml", ROOT / "examples" / "finopsmetrics.yaml"],
)
def test_json_matches_its_published_schema(path: Path) -> None:
    """``schemas/validate.schema.json`` documents the document, valid or not."""
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    doc = json.loads(result.output)
    schema = json.loads((ROOT / "schemas" / "validate.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["valid"] is (result.exit_code == 0)
    for d in doc["diagnostics"]:  # the message names the same place as the path list
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in d["path"])
        assert shown.lstrip(".") in d["message"] or not d["path"] or d["code"] == "E120"
