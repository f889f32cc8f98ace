"""The shared CLI output helpers (cli/output.py) other commands import."""

from __future__ import annotations

import json

import pytest
import typer

from finopsmetrics_cli.cli.output import (
    handle_errors,
    make_console,
    render_diagnostics,
    render_github,
    render_sarif,
    summary_line,
)
from finopsmetrics_cli.errors import Diagnostic, FinopsError, Location, ValidationFailed

ERR = Diagnostic(
    "E120", "unknown field 'a,b'", Location("dir/f:1.yaml", 3, 7), "did you mean 'ab'?"
)
WARN = Diagnostic("W301", "soft\nref", None, None, "warning", ("x", 0))


def test_github_escapes_properties_and_messages() -> None:
    assert render_github([ERR, WARN]).splitlines() == [
        "::error file=dir/f%3A1.yaml,line=3,col=7,title=E120::unknown"
        " field 'a,b' (hint: did you mean 'ab'?)",
        "::warning title=W301::soft%0Aref",
    ]


def test_sarif_rules_results_and_levels() -> None:
    log = render_sarif([ERR, WARN, ERR])
    run = log["runs"][0]
    assert log["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["E120", "W301"]
    assert [(r["ruleIndex"], r["level"]) for r in run["results"]] == [
        (0, "error"),
        (1, "warning"),
        (0, "error"),
    ]
    assert "locations" not in run["results"][1]
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 7}


def test_summary_line_plurals() -> None:
    assert summary_line([ERR], 1) == "1 error, 0 warnings in 1 file"
    assert summary_line([ERR, ERR, WARN], 2) == "2 errors, 1 warning in 2 files"


def test_json_envelope(capsys: pytest.CaptureFixture[str]) -> None:
    render_diagnostics([WARN], "json", extra={"objects": 3})
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "format_version": 1,
        "valid": True,
        "error_count": 0,
        "warning_count": 1,
        "objects": 3,
        "diagnostics": [
            {
                "code": "W301",
                "severity": "warning",
                "message": "soft\nref",
                "hint": None,
                "file": None,
                "line": None,
                "column": None,
                "path": ["x", 0],
            }
        ],
    }


def test_text_groups_by_file_and_escapes_markup(capsys: pytest.CaptureFixture[str]) -> None:
    other = Diagnostic("E999", "[bold]not markup[/bold]", Location("a.yaml", 1, 1))
    render_diagnostics([ERR, other], "text", console=make_console(no_color=True))
    assert capsys.readouterr().out.splitlines() == [
        "dir/f:1.yaml",
        "dir/f:1.yaml:3:7: error[E120]: unknown field 'a,b'",
        "  hint: did you mean 'ab'?",
        "a.yaml",
        "a.yaml:1:1: error[E999]: [bold]not markup[/bold]",
    ]


def test_handle_errors_turns_errors_into_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as info, handle_errors(make_console(no_color=True)):
        raise FinopsError("state is locked", hint="wait")
    assert info.value.exit_code == 1
    assert capsys.readouterr().out == "error: state is locked\n  hint: wait\n"
    with pytest.raises(typer.Exit), handle_errors(make_console(no_color=True)):
        raise ValidationFailed([ERR])
    assert "dir/f:1.yaml:3:7: error[E120]" in capsys.readouterr().out
