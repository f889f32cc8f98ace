"""The published JSON Schema: up to date, valid, and in agreement with the models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.unit.models.routing import SEED_FIXTURES, load_yaml, objects
from typer.testing import CliRunner

from finopsmetrics_cli.cli.app import app
from finopsmetrics_cli.schema import file_schema, kind_schema, widen_shorthands
from finopsmetrics_cli.tools import generate

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "finopsmetrics.yaml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(generate.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_generated_files_are_up_to_date() -> None:
    assert generate.stale_files() == [], "run `make schema`"
    assert generate.main(["--check"]) == 0


def test_check_reports_stale_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "schemas" / "finopsmetrics.schema.json"
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "SCHEMA_FILE", stale)
    monkeypatch.setattr(generate, "FILE_FORMAT_DOC", tmp_path / "docs" / "file-format.md")
    assert generate.main(["--check"]) == 1
    assert "stale: schemas/finopsmetrics.schema.json (run `make schema`)" in capsys.readouterr().err
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    assert json.loads(stale.read_text()) == file_schema()


@pytest.mark.parametrize(
    "path", [EXAMPLE, *sorted(SEED_FIXTURES.glob("*.yaml"))], ids=lambda p: p.name
)
def test_schema_accepts_example_and_seed(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(as_json(load_yaml(path)))
    ]
    assert errors == []


def as_json(doc: Any) -> Any:
    """What an editor validates: YAML timestamps are strings in JSON."""
    return json.loads(json.dumps(doc, default=str))


def _merge(into: dict[str, Any], doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key not in into:
            into[key] = value
        elif isinstance(value, list) and isinstance(into[key], dict):
            # one file cannot hold both shapes of a section: write the list as a mapping
            into[key].update({item.pop("name"): item for item in value})
        elif isinstance(value, list):
            into[key].extend(value)
        elif key in ("tags", "business_mapping", "automation_policy"):
            _merge(into[key], value)
        else:
            into[key].update(value)


def test_schema_accepts_merged_seed(validator: jsonschema.Draft202012Validator) -> None:
    merged: dict[str, Any] = {}
    for path in sorted(SEED_FIXTURES.glob("*.yaml")):
        _merge(merged, load_yaml(path))
    assert "tags" in merged and "tagging_rules" in merged and "dashboards" in merged
    assert list(validator.iter_errors(as_json(merged))) == []


BAD_DOCUMENTS = [
    {"budgetz": []},
    {"version": 2},
    {"budgets": [{"name": "x", "amount": 1, "ammount": 2}]},
    {"budgets": [{"name": "x"}]},
    {"budgets": {"x": {"amount": "lots"}}},
    {"budgets": {"x": {"amount": 1, "period": "fortnightly"}}},
    {"budgets": {"x": {"amount": 1, "alerts": [{"threshold": "eighty"}]}}},
    {"budgets": "x"},
    {"policies": [{"name": "p", "condition": "a", "action": 3}]},
    {"dashboards": {"d": {"widgets": [{"type": "a", "position": [0]}]}}},
    {"dashboards": {"d": {"layout": "big"}}},
    {"tags": {"rules": []}},
    {"notification_channels": {"c": {"type": "slack", "webhook_url": "https://hooks.slack.com/x"}}},
    {"reports": {"r": {"template": "t", "schedule": "daily at 9"}}},
    {"approval_workflows": {"w": {"stages": [{"stage": "s", "approvers": []}]}}},
    {
        "resource_policies": [
            {"rule": "r", "scope": "s", "age_threshold": "1d", "action": "a", "name": "x"}
        ]
    },
    {"budgets": {"x": {"amount": 1, "lifecycle": {"prevent_destroy": "yes"}}}},
]


@pytest.mark.parametrize("doc", BAD_DOCUMENTS, ids=lambda d: json.dumps(d)[:60])
def test_schema_and_models_both_reject(
    validator: jsonschema.Draft202012Validator, doc: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(doc)), "schema accepted a bad document"
    with pytest.raises((ValueError, AssertionError, AttributeError, TypeError)):
        for info, _name, data in objects(doc):
            info.model.model_validate(data)
        if doc.get("version", 1) != 1:
            raise ValueError("unsupported version")


def test_shorthands_accepted(validator: jsonschema.Draft202012Validator) -> None:
    doc = {
        "budgets": {
            "b": {
                "amount": 1,
                "period": "Monthly",
                "currency": "eur",
                "alerts": [{"threshold": "80 %"}],
            }
        },
        "policies": {"p": {"condition": "a", "action": "alert", "notification": "slack"}},
        "approval_workflows": {
            "w": {
                "stages": [{"stage": "s", "approvers": ["a"]}],
                "escalation": [{"sla_breach_24h": "notify_manager"}],
            }
        },
        "commitment_policies": {"c": {"term": 1}},
        "virtual_tags": {
            "m": {"i-1": {"a": "b"}},
            "r": [{"resource_pattern": "x", "tags": {"a": True}}],
        },
        "shared_service_attribution": {
            "resource_id": "r",
            "attribution_method": "even",
            "allocations": [{"team": "a"}],
        },
        "plugins": [{"name": "p", "type": "export", "version": 2}],
    }
    assert [e.message for e in validator.iter_errors(doc)] == []


def test_widen_shorthands() -> None:
    node = {"type": "number", "description": "d", "x-shorthand": {"type": "string"}}
    assert widen_shorthands({"a": [node]}) == {
        "a": [{"description": "d", "anyOf": [{"type": "number"}, {"type": "string"}]}]
    }


def test_kind_schema_validates_one_object() -> None:
    schema = kind_schema("budget")
    assert schema["title"] == "budget"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert not list(
        jsonschema.Draft202012Validator(schema).iter_errors(
            {"name": "b", "amount": 1, "alerts": [{"threshold": "80%"}]}
        )
    )
    assert list(jsonschema.Draft202012Validator(schema).iter_errors({"name": "b"}))


def test_model_schemas_show_canonical_shapes() -> None:
    """Terraform/Pulumi derive from these: no shorthand unions in the model schema."""
    from finopsmetrics_cli.models import get_kind

    props = get_kind("budget").model.model_json_schema()["$defs"]["BudgetAlert"]["properties"]
    assert props["threshold"]["type"] == "number"
    assert props["threshold"]["x-shorthand"]["type"] == "string"
    assert (
        get_kind("policy").model.model_json_schema()["properties"]["notification"]["type"]
        == "array"
    )


def test_schema_command() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(generate.SCHEMA_FILE.read_text(encoding="utf-8"))
    result = runner.invoke(app, ["schema", "--kind", "dashboard"])
    assert result.exit_code == 0 and json.loads(result.stdout)["title"] == "dashboard"


def test_schema_command_unknown_kind() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "finopsmetrics_cli.cli.main", "schema", "--kind", "budgt"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "error: unknown kind 'budgt'; did you mean 'budget'?" in proc.stderr
    assert "hint: kinds: budget, policy," in proc.stderr


@pytest.mark.parametrize(
    "doc",
    [
        {"settings": {"max_destroi": 1}},
        {"settings": {"max_destroy": -1}},
        {"settings": {"attributes": {"resource": {"gpu_count": 3}}}},
        {"version": "1"},
    ],
)
def test_schema_rejects_bad_settings_and_version(
    validator: jsonschema.Draft202012Validator, doc: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(doc))


def test_schema_settings_follow_the_loader() -> None:
    from finopsmetrics_cli.config.settings import SETTINGS_DOC

    assert set(file_schema()["properties"]["settings"]["properties"]) == set(SETTINGS_DOC)
