"""costs show --by vtag:/business:, costs query over costs_enriched and evaluate's tag
coverage, end to end: live state applied, the FOCUS sample synced, the console script."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from tests.e2e.test_costs_cli import SAMPLES, run

CONFIG = """\
cost_sources:
  - name: focus-sample
    type: focus
    location: cost-data/focus/*.csv
virtual_tags:
  teams:
    rules:
      - condition: resource.provider == "azure"
        tags: {team: platform}
      - condition: resource.service == "Amazon Elastic Compute Cloud"
        tags: {team: compute}
    default: {team: shared}
business_mapping:
  products:
    kubernetes:
      selectors: {service: "*Kubernetes*"}
tag_rules:
  - name: environments
    pattern: ".*"
    tags: {environment: unknown}
    rules:
      - condition: resource.provider == "azure"
        tags: {environment: production}
ownership_rules:
  - source: tag
    tag_key: team
    map_to: owner
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("enrich-cli")
    shutil.copytree(SAMPLES / "focus", root / "cost-data" / "focus")
    (root / "finopsmetrics.yaml").write_text(CONFIG)
    assert run(root, "apply", "--auto-approve", "-q", "finopsmetrics.yaml").returncode == 0
    assert run(root, "costs", "sync").returncode == 0
    return root


def show(root: Path, *args: str) -> list[dict[str, object]]:
    done = run(root, "costs", "show", "--period", "2024-09", "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)["rows"]
    return rows


def test_show_by_virtual_tag_sums_to_the_same_total(root: Path) -> None:
    by_team = show(root, "--by", "vtag:team")
    by_provider = show(root, "--by", "provider")
    assert [(r["vtag:team"], r["amount"]) for r in by_team] == [
        ("compute", 13.0), ("platform", 1.9765141858), ("shared", 0.0),
    ]  # fmt: skip
    total = sum(Decimal(str(r["amount"])) for r in by_provider)
    assert sum(Decimal(str(r["amount"])) for r in by_team) == total


def test_show_by_business_entity_keeps_the_unallocated_rest(root: Path) -> None:
    rows = show(root, "--by", "business:product")
    assert [(r["business:product"], r["amount"]) for r in rows] == [
        ("(unallocated)", 13.3956341858), ("kubernetes", 1.58088),
    ]  # fmt: skip
    only = show(root, "--by", "service", "--filter", "business:product=kubernetes")
    assert [r["service"] for r in only] == [
        "Azure Kubernetes Service",
        "Amazon Elastic Container Service for Kubernetes",
    ]


def test_unknown_virtual_tag_key_is_an_error_with_the_known_ones(root: Path) -> None:
    done = run(root, "costs", "show", "--by", "vtag:tema")
    assert done.returncode == 1
    assert done.stderr == (
        "error: vtag:tema: no virtual tag key 'tema' in live state\n"
        "  hint: known: environment, owner, team\n"
    )


def test_query_sees_costs_enriched_built_from_live_state(root: Path) -> None:
    done = run(root, "costs", "query", "SELECT x_VirtualTags['team'] AS team, count(*) AS n "
               "FROM costs_enriched GROUP BY 1 ORDER BY 1", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == [
        {"team": "compute", "n": 554},
        {"team": "platform", "n": 51},
        {"team": "shared", "n": 395},
    ]


def test_evaluate_reports_tag_coverage(root: Path) -> None:
    done = run(root, "evaluate", "--kind", "tag_rule", "--kind", "ownership_rule",
               "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    coverage = json.loads(done.stdout)["coverage"]
    assert [(c["kind"], c["key"], c["missing_share"], c["missing_share_own_tags"])
            for c in coverage] == [
        ("tag_rule", "environment", 0.0, 0.1099),
        ("ownership_rule", "owner", 1.0, 1.0),
    ]  # fmt: skip


POLICIES = """\
settings:
  costs:
    inventory: inventory/resources.csv
policies:
  - name: unencrypted-compute
    condition: resource.encryption_enabled == false AND resource.provider == "aws"
    action: alert
    severity: high
"""


def test_policies_read_the_inventory_file_of_settings_or_the_option(root: Path) -> None:
    branch = root / "branch"
    (branch / "inventory").mkdir(parents=True, exist_ok=True)
    (branch / "inventory" / "resources.csv").write_text(
        "id,encryption_enabled\ni-006flle71l19b488a,false\ni-021f2ebl49063f9l1,true\n"
    )
    (branch / "finopsmetrics.yaml").write_text(POLICIES)
    done = run(root, "evaluate", "branch/finopsmetrics.yaml", "--kind", "policy",
               "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [(f["name"], f["type"], f["key"]) for f in doc["findings"]] == [
        ("unencrypted-compute", "policy_match", "i-006flle71l19b488a")
    ]
    other = root / "other.csv"
    other.write_text("id,encryption_enabled\ni-021f2ebl49063f9l1,false\n")
    done = run(root, "evaluate", "branch/finopsmetrics.yaml", "--kind", "policy",
               "--inventory", str(other), "--format", "json")  # fmt: skip
    assert [f["key"] for f in json.loads(done.stdout)["findings"]] == ["i-021f2ebl49063f9l1"]
    missing = run(root, "evaluate", "branch/finopsmetrics.yaml", "--kind", "policy",
                  "--inventory", "nope.csv")  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr == (
        "error: inventory nope.csv does not exist\n"
        "  hint: settings.costs.inventory names a CSV, JSON or Parquet file of resource "
        "attributes\n"
    )
