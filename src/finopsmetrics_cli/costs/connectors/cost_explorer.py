"""AWS Cost Explorer (``GetCostAndUsage``) as monthly FOCUS Parquet files.

Cost Explorer groups by at most two dimensions per call. The rows we want are
day x linked account x service x every listed tag key, so the calls nest:

1. group by SERVICE and LINKED_ACCOUNT (no tag keys: these are the rows);
2. with tag keys, per linked account: filter on it, group by SERVICE and the
   first tag key;
3. per further tag key, per (account, values of the keys so far): filter on
   them, group by SERVICE and the next key.

The deepest level's groups are the rows: Cost Explorer splits each day's cost
exactly, so totals equal level 1 and nothing is apportioned or guessed. Calls
grow with the distinct values of all but the last tag key (each paginated call
is billed by AWS), which is why the docs advise few, low-cardinality keys.

Responses are written as JSON lines and mapped to FOCUS by one DuckDB query;
Python only drives the calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from finopsmetrics_cli.costs.aws import aws_client, common_aws_error, error_code
from finopsmetrics_cli.costs.connectors.exported import ExportedFile, write_monthly_parquet
from finopsmetrics_cli.errors import CostDataError

METRICS = ("UnblendedCost", "AmortizedCost", "NetAmortizedCost")
LOOKBACK_MONTHS = 12  # daily data is kept for 14 months; whole months only
WHAT = "AWS Cost Explorer"

# One JSON line per response page: the dimensions fixed by the call's filter, the
# group-by names, and Cost Explorer's own ResultsByTime / DimensionValueAttributes.
RAW_COLUMNS = """{
  level: 'INTEGER',
  fixed: 'STRUCT(name VARCHAR, value VARCHAR)[]',
  group_by: 'VARCHAR[]',
  ResultsByTime: 'STRUCT(TimePeriod STRUCT(Start VARCHAR, "End" VARCHAR),
      Groups STRUCT(Keys VARCHAR[], Metrics MAP(VARCHAR, STRUCT(Amount VARCHAR, Unit VARCHAR)))[],
      Estimated BOOLEAN)[]',
  DimensionValueAttributes: 'STRUCT("Value" VARCHAR, Attributes MAP(VARCHAR, VARCHAR))[]'
}"""

# The rows: every group of the deepest level, its dimensions = fixed ++ grouped.
ROWS_SQL = """
WITH pages AS (
  SELECT * FROM read_json($raw, format = 'newline_delimited', columns = {columns})
),
days AS (
  SELECT fixed, group_by, unnest(ResultsByTime) AS day FROM pages WHERE level = $level
),
groups AS (
  SELECT fixed, group_by, day.TimePeriod AS period, unnest(day.Groups) AS g FROM days
),
account_names AS (
  SELECT attribute."Value" AS id, any_value(attribute.Attributes['description']) AS name
  FROM (SELECT unnest(DimensionValueAttributes) AS attribute FROM pages)
  GROUP BY ALL
),
dimensioned AS (
  SELECT
    period, g.Metrics AS metrics,
    list_concat(
      fixed,
      list_transform(list_zip(group_by, g.Keys), lambda d: {{'name': d[1], 'value': d[2]}})
    ) AS dims
  FROM groups
),
shaped AS (
  SELECT
    CAST(period.Start AS TIMESTAMP) AS day_start,
    CAST(period."End" AS TIMESTAMP) AS day_end,
    metrics,
    list_filter(dims, lambda d: d.name = 'SERVICE')[1].value AS service,
    list_filter(dims, lambda d: d.name = 'LINKED_ACCOUNT')[1].value AS account,
    map_from_entries(list_transform(
      list_filter(dims, lambda d: starts_with(d.name, 'TAG:')
                         AND length(d.value) > length(d.name) - 3),
      lambda d: {{'key': d.name[5:], 'value': d.value[length(d.name) - 2:]}}
    )) AS tags
  FROM dimensioned
)
SELECT
  CAST(metrics['UnblendedCost'].Amount AS DECIMAL(38, 10)) AS BilledCost,
  CAST(coalesce(metrics['NetAmortizedCost'].Amount, metrics['AmortizedCost'].Amount)
       AS DECIMAL(38, 10)) AS EffectiveCost,
  metrics['UnblendedCost'].Unit AS BillingCurrency,
  date_trunc('month', day_start) AS BillingPeriodStart,
  date_trunc('month', day_start) + INTERVAL 1 MONTH AS BillingPeriodEnd,
  day_start AS ChargePeriodStart,
  day_end AS ChargePeriodEnd,
  'AWS' AS ProviderName,
  service AS ServiceName,
  account AS SubAccountId,
  (SELECT name FROM account_names WHERE id = account) AS SubAccountName,
  tags AS Tags
FROM shaped
"""


@dataclass(frozen=True, slots=True)
class Fixed:
    """A dimension a call filters on: ``LINKED_ACCOUNT`` or ``TAG:key`` with its value.

    Tag values keep Cost Explorer's ``key$value`` spelling; ``key$`` is untagged.
    """

    name: str
    value: str

    def expression(self) -> dict[str, Any]:
        if self.name == "LINKED_ACCOUNT":
            return {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [self.value]}}
        key = self.name.removeprefix("TAG:")
        value = self.value[len(key) + 1 :]
        if not value:
            return {"Tags": {"Key": key, "MatchOptions": ["ABSENT"]}}
        return {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}}


def export_cost_explorer(
    *,
    source: str,
    tag_keys: Sequence[str],
    since: date | None,
    until: date | None,
    dest_dir: Path,
) -> list[ExportedFile]:
    """Daily costs from ``since`` to ``until`` (whole months), one FOCUS Parquet file per month."""
    import duckdb  # noqa: TID251 - the conversion runs in DuckDB

    start, end = month_range(since, until, today=datetime.now(UTC).date())
    client = aws_client(
        "ce",
        "reading AWS Cost Explorer",
        region_name="us-east-1",
        # "standard" retries LimitExceededException, Cost Explorer's throttle, with backoff
        retries={"mode": "standard", "max_attempts": 8},
    )
    dest_dir.mkdir(parents=True, exist_ok=True)
    raw = dest_dir / f"{source}.cost-explorer.jsonl"
    levels = [f"TAG:{key}" for key in tag_keys]
    with raw.open("w", encoding="utf-8") as out, duckdb.connect() as db:
        try:
            calls: list[tuple[Fixed, ...]] = [()]  # level 0: no filter
            group_by = ["SERVICE", "LINKED_ACCOUNT"]
            for level in range(len(levels) + 1):
                for fixed in calls:
                    _fetch_pages(client, out, level, fixed, group_by, start, end)
                out.flush()
                if level == len(levels):
                    break
                calls = _next_calls(db, raw, level)
                group_by = ["SERVICE", levels[level]]
            return write_monthly_parquet(
                db,
                ROWS_SQL.format(columns=RAW_COLUMNS),
                {"raw": str(raw), "level": len(levels)},
                dest_dir=dest_dir,
                stem=f"{source}.cost-explorer",
                uri_prefix=f"aws-cost-explorer://{source}",
            )
        except duckdb.Error as exc:
            raise CostDataError(
                f"cannot map the {WHAT} response to FOCUS: {exc}",
                location=str(raw),
                hint="the responses are kept in that file; report it with them",
            ) from exc


def month_range(since: date | None, until: date | None, *, today: date) -> tuple[date, date]:
    """``[first day of since's month, day after the end of until's month)``, clipped to today.

    Whole months only: the store replaces a (source, month) at a time, so a
    partial month would stand in for the whole one.
    """
    last = min(_add_months(until.replace(day=1), 1) - timedelta(days=1), today) if until else today
    if since is None:
        first = _add_months(today.replace(day=1), -LOOKBACK_MONTHS)
    else:
        first = since.replace(day=1)
    if first > last:
        raise CostDataError(
            f"nothing to read from {WHAT}: the start {first.isoformat()} is after the end "
            f"{last.isoformat()}",
            hint="--since must not be in the future",
        )
    return first, last + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _fetch_pages(
    client: Any,
    out: IO[str],
    level: int,
    fixed: tuple[Fixed, ...],
    group_by: list[str],
    start: date,
    end: date,
) -> None:
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(METRICS),
        "GroupBy": [_group(name) for name in group_by],
    }
    expressions = [f.expression() for f in fixed]
    if len(expressions) == 1:
        request["Filter"] = expressions[0]
    elif expressions:
        request["Filter"] = {"And": expressions}
    for page in _pages(client, request):
        line = {
            "level": level,
            "fixed": [{"name": f.name, "value": f.value} for f in fixed],
            "group_by": group_by,
            "ResultsByTime": page.get("ResultsByTime", []),
            "DimensionValueAttributes": page.get("DimensionValueAttributes", []),
        }
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


def _pages(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of one request (``NextPageToken``)."""
    token: str | None = None
    while True:
        try:
            page: dict[str, Any] = client.get_cost_and_usage(
                **request, **({"NextPageToken": token} if token else {})
            )
        except Exception as exc:
            raise cost_explorer_error(exc) from exc
        yield page
        token = page.get("NextPageToken")
        if not token:
            return


def _group(name: str) -> dict[str, str]:
    if name.startswith("TAG:"):
        return {"Type": "TAG", "Key": name.removeprefix("TAG:")}
    return {"Type": "DIMENSION", "Key": name}


def _next_calls(db: Any, raw: Path, level: int) -> list[tuple[Fixed, ...]]:
    """The filters of the next level: each (account, tag values so far) seen at this one."""
    rows = db.execute(
        f"""
        WITH pages AS (
          SELECT * FROM read_json($raw, format = 'newline_delimited', columns = {RAW_COLUMNS})
        ),
        groups AS (
          SELECT fixed, group_by, unnest(day.Groups) AS g
          FROM (SELECT fixed, group_by, unnest(ResultsByTime) AS day FROM pages
                WHERE level = $level)
        )
        SELECT DISTINCT list_concat(
          fixed,
          list_transform(
            list_filter(list_zip(group_by, g.Keys), lambda d: d[1] <> 'SERVICE'),
            lambda d: {{'name': d[1], 'value': d[2]}}
          )
        ) AS fixed
        FROM groups ORDER BY fixed
        """,
        {"raw": str(raw), "level": level},
    ).fetchall()
    return [tuple(Fixed(d["name"], d["value"]) for d in fixed) for (fixed,) in rows]


def cost_explorer_error(exc: Exception) -> CostDataError:
    """A Cost Explorer failure as a message that says what to fix."""
    common = common_aws_error(exc, WHAT)
    if common is not None:
        return common
    code, message = error_code(exc)
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return CostDataError(
            f"access denied reading {WHAT} ({code})",
            hint="the credentials need ce:GetCostAndUsage (in the management account to see "
            "every linked account)",
        )
    if code == "DataUnavailableException":
        return CostDataError(
            f"{WHAT} has no data for this account yet",
            hint="enable Cost Explorer in the Billing console; data appears within 24 hours",
        )
    if code == "LimitExceededException":
        return CostDataError(
            f"{WHAT} kept refusing requests as too many ({message})",
            hint="run the sync again later, or list fewer tag keys on the source",
        )
    if code == "BillExpirationException":
        return CostDataError(
            f"{WHAT} no longer has daily data that old: {message}",
            hint="daily data is kept for 14 months; use a later --since",
        )
    if code:
        return CostDataError(f"{WHAT} refused the request: {code}: {message}")
    return CostDataError(f"cannot read {WHAT}: {exc}")
