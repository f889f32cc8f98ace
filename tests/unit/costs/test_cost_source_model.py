"""The cost_source kind and settings.costs: what validates, and the exact messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.config import load_config
from finopsmetrics_cli.errors import ValidationFailed


def errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    try:
        load_config([path])
    except ValidationFailed as exc:
        return [d.render().replace(str(path), "c.yaml") for d in exc.diagnostics]
    return []


def test_valid_sources(tmp_path: Path) -> None:
    assert errors(
        tmp_path,
        "cost_sources:\n"
        "  - {name: a, type: focus, location: bills/*.parquet, format: parquet}\n"
        "  - {name: b, type: aws_cur, location: 's3://billing/cur/'}\n"
        "  - {name: c, type: azure_export, location: 'azure://acct/exports/daily'}\n"
        "  - {name: d, type: gcp_bigquery, location: my-proj.billing.gcp_billing_export_v1_X}\n"
        "  - {name: e, type: aws_cost_explorer, tag_keys: [team, env]}\n"
        "settings:\n  costs: {store: costs.duckdb, metric: billed}\n",
    ) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{type: focus}", "a focus source needs a location"),
        ("{type: gcp_bigquery, location: just-a-table}",
         "a gcp_bigquery location is a table PROJECT.DATASET.TABLE, got 'just-a-table'"),
        ("{type: aws_cost_explorer, location: x}",
         "aws_cost_explorer reads the Cost Explorer API and takes no location"),
        ("{type: oci, location: 'gs://bucket/x'}",
         "unsupported location 'gs://bucket/x': files are read from a path, s3:// or azure://"),
        ("{type: focus, location: x, tag_keys: [team]}",
         "tag_keys is only used by aws_cost_explorer sources (focus rows carry their own tags)"),
        ("{type: focsu, location: x}", "type: "),
    ],
)  # fmt: skip
def test_invalid_sources(tmp_path: Path, body: str, message: str) -> None:
    found = errors(tmp_path, f"cost_sources:\n  src: {body}\n")
    assert len(found) == 1
    assert message in found[0], found[0]


def test_costs_settings(tmp_path: Path) -> None:
    assert errors(tmp_path, "settings:\n  costs:\n    stor: x\n") == [
        "c.yaml:3:5: error[E110]: unknown setting costs.stor\n  hint: did you mean 'store'?"
    ]
    assert errors(tmp_path, "settings:\n  costs:\n    metric: net\n") == [
        "c.yaml:3:13: error[E110]: settings.costs.metric must be one of effective, billed, "
        "list, contracted, got 'net'\n  hint: e.g. metric: effective"
    ]
    assert errors(tmp_path, "settings:\n  costs:\n    engine: spark\n") == [
        "c.yaml:3:13: error[E110]: settings.costs.engine spark needs settings.costs.dataset\n"
        "  hint: e.g. dataset: /data/finops/focus (or s3a://BUCKET/PREFIX)"
    ]
    assert errors(tmp_path, "settings:\n  costs: {engine: bigquery, metric: billed}\n") == [
        "c.yaml:2:19: error[E110]: settings.costs.engine bigquery needs settings.costs.table\n"
        "  hint: e.g. table: PROJECT.DATASET.TABLE (a FOCUS table or view)"
    ]
    assert errors(tmp_path, "settings:\n  costs: cheap\n") == [
        "c.yaml:2:10: error[E110]: settings.costs must be a mapping\n"
        "  hint: e.g. costs: {store: costs.duckdb}"
    ]
