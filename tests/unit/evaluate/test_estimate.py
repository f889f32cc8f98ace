"""How an estimate is billed and printed (the dry runs themselves: integration tests)."""

from __future__ import annotations

from datetime import date

from finopsmetrics_cli.evaluate.estimate import Estimate, QueryEstimate, to_text

MIB = 1024 * 1024


def test_billing_rounds_up_to_the_mib_with_a_10_mb_floor() -> None:
    assert QueryEstimate(1, None, 0).bytes_billed == 0  # nothing read, nothing billed
    assert QueryEstimate(1, None, 1).bytes_billed == 10 * MIB
    assert QueryEstimate(1, None, 10 * MIB + 1).bytes_billed == 11 * MIB
    assert QueryEstimate(1, None, 64 * MIB).bytes_billed == 64 * MIB


def test_text_of_a_large_run_in_dollars() -> None:
    rows = 50_000_000
    found = Estimate("bigquery", "p.d.t", date(2024, 9, 30), [
        QueryEstimate(1, "data range", 8 * rows),
        QueryEstimate(2, None, 1024**4),  # a query that does not say what it is for
    ])  # fmt: skip
    assert found.bytes == 8 * rows + 1024**4
    assert found.cost_usd == (382 * MIB + 1024**4) / 1024**4 * 6.25
    assert to_text(found) == (
        "Estimate for evaluate inside BigQuery on p.d.t as of 2024-09-30 (dry runs: no query "
        "ran)\n"
        "   1  data range     381.5 MiB\n"
        "   2  query            1.0 TiB\n"
        "Total: 1.0 TiB processed in 2 queries; 1.0 TiB billed (each query at least 10 MB)\n"
        "Cost: $6.25 at the on-demand list price, $6.25 per TiB (US multi-region)\n"
        "Capacity (editions) pricing bills slots, not bytes; the monthly free TiB is not "
        "deducted.\n"
    )


def test_engines_that_bill_no_query_have_no_bytes() -> None:
    found = Estimate("duckdb")
    assert (found.bytes, found.bytes_billed, found.cost_usd) == (None, None, None)
