"""`finopsmetrics costs ...` end to end: the console script in a temp dir, live state with
cost sources applied, the real samples, exact outputs and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

BIN = Path(sys.executable).with_name("finopsmetrics")
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cost-data"
CONFIG = """\
cost_sources:
  - name: focus-sample
    type: focus
    location: cost-data/focus/*.csv
  - name: aws-cur
    type: aws_cur
    location: cost-data/aws-cur/*.csv
"""


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINOPSMETRICS_")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose live state declares two sources, synced once."""
    root = tmp_path_factory.mktemp("costs-cli")
    shutil.copytree(SAMPLES, root / "cost-data")
    (root / "finopsmetrics.yaml").write_text(CONFIG)
    assert run(root, "apply", "--auto-approve", "-q", "finopsmetrics.yaml").returncode == 0
    sync = run(root, "costs", "sync")
    assert sync.returncode == 0, sync.stderr
    lines = sync.stdout.splitlines()
    assert [line.rsplit(", ", 1)[0] for line in lines] == [
        "aws-cur: 1,281 rows, 2023-11",
        "focus-sample: 1,000 rows, 2024-09..2024-10",
    ]
    assert sync.stderr == (
        f"note: {root}/cost-data/focus/focus-1.0_focus_sample.csv: column Id not in FOCUS "
        "1.0-1.2 (a newer FOCUS version, or custom columns not named x_...): read as FOCUS 1.2; "
        "those columns are not kept\n"
    )
    again = run(root, "costs", "sync")
    assert again.stdout.splitlines()[0].startswith("aws-cur: unchanged (1 file), ")
    return root


def test_show_by_provider_and_month_with_bars(synced: Path) -> None:
    shown = run(synced, "costs", "show", "--by", "provider,month", "--metric", "billed")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        "provider   month    currency  billed\n"
        "AWS        2023-11  USD       1.68    ████\n"
        "AWS        2024-09  USD       18.01   ████████████████████████████████████████\n"
        "Microsoft  2024-09  USD       1.98    ████\n"
        "Oracle     2024-09  USD       0.54    █\n"
        "Total: 22.20 USD\n"
    )


def test_show_top_filter_and_period(synced: Path) -> None:
    shown = run(
        synced, "costs", "show", "--by", "service", "--top", "2", "--filter", "provider=AWS",
        "--filter", "service=Amazon*", "--period", "2024-09", "--metric", "billed",
    )  # fmt: skip
    assert shown.stdout == (
        "service                             currency  billed\n"
        "Amazon Elastic Compute Cloud        USD       16.04\n"
        "Amazon Relational Database Service  USD       0.75\n"
        "Total 2024-09-01..2024-09-30: 16.79 USD\n"
    )


def test_show_json_and_csv(synced: Path) -> None:
    document = json.loads(
        run(synced, "costs", "show", "--by", "source", "--format", "json", "--metric", "billed")
        .stdout
    )
    assert document["format_version"] == 1
    schema = json.loads((SAMPLES.parents[1] / "schemas" / "costs-show.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert [(r["source"], round(r["amount"], 6)) for r in document["rows"]] == [
        ("focus-sample", 20.520227), ("aws-cur", 1.682309)
    ]
    assert document["totals"]["USD"] == pytest.approx(22.2025354263)
    csv_out = run(synced, "costs", "show", "--by", "charge_category", "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "charge_category,currency,effective"


def test_query_reads_and_refuses_writes(synced: Path) -> None:
    ok = run(synced, "costs", "query", 'SELECT "x_Source", count(*) AS n FROM costs '
             "GROUP BY 1 ORDER BY 1", "--format", "csv")  # fmt: skip
    assert ok.stdout == "x_Source,n\naws-cur,1281\nfocus-sample,1000\n"
    refused = run(synced, "costs", "query", "DELETE FROM cost_rows")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        'error: costs query is read-only: Invalid Input Error: Cannot execute statement of '
        'type "DELETE"'
    )
    assert "hint: the cost store changes only through `finopsmetrics costs sync`" in (
        refused.stderr
    )
    copy = run(synced, "costs", "query", "COPY costs TO 'out.csv'")
    assert copy.returncode == 1 and not (synced / "out.csv").exists()


def test_sources(synced: Path) -> None:
    listed = run(synced, "costs", "sources", "--format", "json")
    sources = json.loads(listed.stdout)["sources"]
    assert [(s["name"], s["type"], s["periods"], s["rows"], s["currency"]) for s in sources] == [
        ("aws-cur", "aws_cur", ["2023-11"], 1281, "USD"),
        ("focus-sample", "focus", ["2024-09", "2024-10"], 1000, "USD"),
    ]
    text = run(synced, "costs", "sources").stdout.splitlines()
    assert text[0].split() == ["source", "type", "location", "last", "sync", "periods", "rows",
                               "billed"]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "colour"], "error: unknown dimension 'colour' for --by\n"),
        (["--by", "vtag:team"], "error: vtag:team: no virtual tag key 'team' in live state\n"),
        (["--metric", "net"], "error: unknown metric 'net'\n"),
        (["--period", "2024-13"], "error: --period '2024-13' is not a year, month or day\n"),
        (["--filter", "provider"], "error: --filter 'provider' is not DIM=VALUE\n"),
        (["--from", "2024-03-05", "--to", "2024-03-01"],
         "error: --to 2024-03-01 is before --from 2024-03-05\n"),
    ],
)  # fmt: skip
def test_show_bad_options(synced: Path, args: list[str], message: str) -> None:
    bad = run(synced, "costs", "show", *args)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[0] + "\n" == message
    assert "Traceback" not in bad.stderr


def test_no_store_says_run_sync(tmp_path: Path) -> None:
    missing = run(tmp_path, "costs", "show")
    assert missing.returncode == 1
    assert missing.stderr == (
        "error: no cost data: the cost store .finopsmetrics/costs.duckdb does not exist\n"
        "  hint: run `finopsmetrics costs sync`\n"
    )


def test_sync_bad_file_exits_1_with_location(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("BilledCost,BillingCurrency,ChargePeriodStart\n"
                                      "1,USD,2024-01-01\nlots,USD,2024-01-02\n")  # fmt: skip
    (tmp_path / "c.yaml").write_text(
        "cost_sources:\n  - name: bad\n    type: focus\n    location: bad.csv\n"
    )
    failed = run(tmp_path, "costs", "sync", "c.yaml", "--costs", "store.duckdb")
    assert failed.returncode == 1
    assert failed.stderr == (
        "error: bad.csv:3: BilledCost is not a number: 'lots'\n"
        "  hint: cost and quantity columns hold plain numbers such as 12.5\n"
    )
    assert failed.stdout.startswith("bad: failed, nothing changed (")


def test_sync_without_sources(tmp_path: Path) -> None:
    none = run(tmp_path, "costs", "sync")
    assert none.returncode == 1
    assert none.stderr.startswith("error: no cost sources to sync in live state\n")
    unknown = run(tmp_path, "costs", "sync", "--source", "nope")
    assert unknown.stderr.startswith("error: no cost_source named 'nope'\n")


def test_top_with_a_time_dimension_keeps_rows_without_the_tag(synced: Path) -> None:
    shown = run(synced, "costs", "show", "--by", "tag:application,month", "--top", "3",
                "--metric", "billed")  # fmt: skip
    assert shown.stdout == (
        "tag:application   month    currency  billed\n"
        "BrightPathMatrix  2024-09  USD       15.96   ████████████████████████████████████████\n"
        "PowerStudioBoost  2024-09  USD       0.44    █\n"
        "(none)            2023-11  USD       1.68    ████\n"
        "(none)            2024-09  USD       0.27    █\n"
        "Total: 18.36 USD\n"
    )
