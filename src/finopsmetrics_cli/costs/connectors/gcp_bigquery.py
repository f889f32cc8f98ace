"""The Cloud Billing export in BigQuery as monthly FOCUS Parquet files.

The mapping is one BigQuery query (:data:`MAPPING_SQL`) that runs inside
BigQuery, so only daily FOCUS rows travel, not the hourly line items. It is
incremental on ``export_time``: each invoice month that received a row after
the last high-water mark is mapped again whole (the store replaces a month at a
time), and the new mark is returned. Results arrive as Arrow; DuckDB adds the
tag map and writes the Parquet files.

Credits become rows of their own (``ChargeCategory = 'Credit'``, negative
cost), as FOCUS models them, so every row's cost is what the export says.
The detailed export adds resource names; columns newer exports have
(``cost_at_list``) are used when the table has them.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finopsmetrics_cli.costs.connectors.exported import ExportedFile, write_monthly_parquet
from finopsmetrics_cli.errors import CostDataError, FinopsError, MissingExtraError

EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"  # honoured by google-cloud-bigquery itself too
GOOGLE_CHAIN = (
    "GOOGLE_APPLICATION_CREDENTIALS, the gcloud application default credentials "
    "(gcloud auth application-default login) and the metadata server of "
    "Compute Engine, GKE and Cloud Run"
)
_PART = re.compile(r"^[A-Za-z0-9_.:-]+$")

# BigQuery SQL. {table} is the quoted export table (read once); {resource_id}, {resource_name},
# {cost_at_list} are columns or NULLs, depending on the export's schema.
MAPPING_SQL = """
WITH months AS (
  -- rows exported before invoice.month existed (mid-2018) count in their usage month
  SELECT *, COALESCE(invoice.month, FORMAT_TIMESTAMP('%Y%m', usage_start_time)) AS invoice_month
  FROM {table}
),
changed_months AS (
  SELECT DISTINCT invoice_month AS month
  FROM months
  WHERE @since_export_time IS NULL OR export_time > @since_export_time
),
line_items AS (
  SELECT
    billing_account_id AS BillingAccountId,
    invoice_month,
    TIMESTAMP_TRUNC(usage_start_time, DAY) AS ChargePeriodStart,
    currency AS BillingCurrency,
    CASE cost_type
      WHEN 'regular' THEN 'Usage'
      WHEN 'tax' THEN 'Tax'
      ELSE 'Adjustment'
    END AS ChargeCategory,
    sku.description AS ChargeDescription,
    service.description AS ServiceName,
    sku.id AS SkuId,
    project.id AS SubAccountId,
    project.name AS SubAccountName,
    location.region AS RegionId,
    location.zone AS AvailabilityZone,
    {resource_id} AS ResourceId,
    {resource_name} AS ResourceName,
    usage.pricing_unit AS PricingUnit,
    usage.unit AS ConsumedUnit,
    TO_JSON_STRING(labels) AS x_labels,
    TO_JSON_STRING(project.labels) AS x_project_labels,
    CAST(cost AS NUMERIC) AS cost,
    CAST({cost_at_list} AS NUMERIC) AS list_cost,
    CAST(usage.amount_in_pricing_units AS NUMERIC) AS pricing_quantity,
    CAST(usage.amount AS NUMERIC) AS consumed_quantity,
    credits,
    export_time
  FROM months
  WHERE invoice_month IN (SELECT month FROM changed_months)
),
charges AS (
  SELECT
    BillingAccountId, invoice_month, ChargePeriodStart, BillingCurrency, ChargeCategory,
    ChargeDescription, ServiceName, SkuId, SubAccountId, SubAccountName, RegionId,
    AvailabilityZone, ResourceId, ResourceName, PricingUnit, ConsumedUnit, x_labels,
    x_project_labels, cost, list_cost, pricing_quantity, consumed_quantity, export_time
  FROM line_items
  UNION ALL
  SELECT
    BillingAccountId, invoice_month, ChargePeriodStart, BillingCurrency, 'Credit',
    COALESCE(credit.full_name, credit.name), ServiceName, SkuId, SubAccountId, SubAccountName,
    RegionId, AvailabilityZone, ResourceId, ResourceName, PricingUnit, ConsumedUnit, x_labels,
    x_project_labels, CAST(credit.amount AS NUMERIC), NULL, NULL, NULL, export_time
  FROM line_items, UNNEST(credits) AS credit
)
SELECT
  BillingAccountId, invoice_month, ChargePeriodStart, BillingCurrency, ChargeCategory,
  ChargeDescription, ServiceName, SkuId, SubAccountId, SubAccountName, RegionId,
  AvailabilityZone, ResourceId, ResourceName, PricingUnit, ConsumedUnit, x_labels,
  x_project_labels,
  SUM(cost) AS BilledCost,
  SUM(list_cost) AS ListCost,
  SUM(pricing_quantity) AS PricingQuantity,
  SUM(consumed_quantity) AS ConsumedQuantity,
  MAX(export_time) AS x_export_time
FROM charges
GROUP BY
  BillingAccountId, invoice_month, ChargePeriodStart, BillingCurrency, ChargeCategory,
  ChargeDescription, ServiceName, SkuId, SubAccountId, SubAccountName, RegionId,
  AvailabilityZone, ResourceId, ResourceName, PricingUnit, ConsumedUnit, x_labels,
  x_project_labels
"""

# DuckDB, over the mapped rows (as Arrow, `mapped_rows`): what BigQuery cannot shape.
FINISH_SQL = """
SELECT
  * EXCLUDE (invoice_month, x_labels, x_project_labels, x_export_time),
  BilledCost AS EffectiveCost,
  strptime(invoice_month, '%Y%m') AS BillingPeriodStart,
  strptime(invoice_month, '%Y%m') + INTERVAL 1 MONTH AS BillingPeriodEnd,
  CAST(ChargePeriodStart AS TIMESTAMP) + INTERVAL 1 DAY AS ChargePeriodEnd,
  'Google Cloud' AS ProviderName,
  map_concat(fm_labels(x_project_labels), fm_labels(x_labels)) AS Tags
FROM mapped_rows
"""
LABELS_MACRO = """
CREATE OR REPLACE TEMP MACRO fm_labels(j) AS map_from_entries(coalesce(
  CAST(from_json(j, '[{"key": "VARCHAR", "value": "VARCHAR"}]')
       AS STRUCT(key VARCHAR, value VARCHAR)[]), []))
"""


@dataclass(frozen=True, slots=True)
class BillingTable:
    """``project.dataset.table`` (a domain-scoped project such as ``example.com:p`` works)."""

    project: str
    dataset: str
    table: str

    @classmethod
    def parse(cls, location: str) -> BillingTable:
        parts = location.rsplit(".", 2)
        if len(parts) != 3 or not all(parts) or not all(_PART.match(p) for p in parts):
            raise CostDataError(
                f"invalid BigQuery table {location!r}",
                hint="use PROJECT.DATASET.TABLE, for example "
                "acme-billing.billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7G8H9",
            )
        return cls(*parts)

    @property
    def sql(self) -> str:
        return f"`{self.project}.{self.dataset}.{self.table}`"

    def __str__(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


def mapping_sql(table: BillingTable | str, columns: set[str]) -> str:
    """The BigQuery mapping for an export with these top-level and nested column paths."""
    name = table.sql if isinstance(table, BillingTable) else table
    return MAPPING_SQL.format(
        table=name,
        resource_id="resource.global_name" if "resource.global_name" in columns else "NULL",
        resource_name="resource.name" if "resource.name" in columns else "NULL",
        cost_at_list="cost_at_list" if "cost_at_list" in columns else "NULL",
    )


def export_bigquery(
    *, source: str, table: str, since_export_time: datetime | None, dest_dir: Path
) -> tuple[list[ExportedFile], datetime | None]:
    """The months changed since ``since_export_time``, and the new high-water mark.

    Marks are naive datetimes in UTC (an aware one is converted), so that
    storing one in a ``TIMESTAMP`` column cannot shift it by the local offset.
    """
    if since_export_time is not None:
        since_export_time = _naive_utc(since_export_time)
    where = BillingTable.parse(table)
    client, bigquery = _client(where)
    try:
        columns = _column_paths(client.get_table(str(where)).schema)
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("since_export_time", "TIMESTAMP", since_export_time)
            ]
        )
        rows = client.query_and_wait(mapping_sql(where, columns), job_config=config)
        mapped_rows = rows.to_arrow(create_bqstorage_client=False)
    except Exception as exc:
        raise bigquery_error(exc, where) from exc
    finished = finish_months(mapped_rows, source=source, where=where, dest_dir=dest_dir)
    return finished if finished is not None else ([], since_export_time)


def finish_months(
    mapped_rows: Any, *, source: str, where: BillingTable, dest_dir: Path
) -> tuple[list[ExportedFile], datetime] | None:
    """The mapped rows (Arrow) as monthly FOCUS files, and their newest ``export_time``."""
    import duckdb  # noqa: TID251 - the finishing step runs in DuckDB
    import pyarrow.compute  # type: ignore[import-untyped]

    if mapped_rows.num_rows == 0:
        return None
    newest: datetime = pyarrow.compute.max(mapped_rows["x_export_time"]).as_py()
    mark = _naive_utc(newest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as db:
        db.execute("SET TimeZone = 'UTC'")  # BigQuery timestamps are UTC; keep them so
        db.register("mapped_rows", mapped_rows)
        db.execute(LABELS_MACRO)
        try:
            files = write_monthly_parquet(
                db,
                FINISH_SQL,
                {},
                dest_dir=dest_dir,
                stem=f"{source}.bigquery",
                uri_prefix=f"bigquery://{where}",
            )
        except duckdb.Error as exc:
            raise CostDataError(f"cannot map the rows of {where} to FOCUS: {exc}") from exc
    return files, mark


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _column_paths(schema: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for field in schema:
        path = f"{prefix}{field.name}"
        paths.add(path)
        if field.fields:
            paths |= _column_paths(field.fields, f"{path}.")
    return paths


def _client(where: BillingTable) -> tuple[Any, Any]:
    """A BigQuery client billing jobs to ``$GOOGLE_CLOUD_PROJECT`` or the table's project."""
    try:
        with warnings.catch_warnings():  # google-api-core's notice about future Python support
            warnings.simplefilter("ignore", FutureWarning)
            from google.cloud import bigquery
    except ImportError as exc:
        raise MissingExtraError(
            "google-cloud-bigquery", "gcp", "reading the GCP billing export"
        ) from exc
    try:
        import pyarrow  # noqa: F401 - results arrive as Arrow
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "gcp", "reading the GCP billing export") from exc
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or where.project
    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": emulator},
        ), bigquery
    try:
        return bigquery.Client(project=project), bigquery
    except Exception as exc:
        raise bigquery_error(exc, where) from exc


EXPORT_TABLE_HINT = (
    "check the table in the location; the export table is named "
    "gcp_billing_export_v1_<BILLING ACCOUNT> or gcp_billing_export_resource_v1_<...>"
)


def bigquery_error(
    exc: Exception,
    where: object,
    *,
    error: type[FinopsError] = CostDataError,
    table_hint: str = EXPORT_TABLE_HINT,
) -> FinopsError:
    """A google-auth or BigQuery failure as a message that says what to fix, as ``error``
    (a sync's ``CostDataError``; evaluation inside BigQuery passes ``EvaluationError`` and
    its own hint for a missing table)."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    if isinstance(exc, FinopsError):
        return exc
    if isinstance(exc, auth.DefaultCredentialsError):
        return error(
            f"no Google Cloud credentials found to read {where}; tried {GOOGLE_CHAIN}",
            hint="run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service account key file",
        )
    if isinstance(exc, api.NotFound):
        return error(
            f"BigQuery table {str(where)!r} does not exist (or is not visible to these "
            "credentials)",
            hint=table_hint,
        )
    if isinstance(exc, api.Forbidden):
        return error(
            f"access denied reading {where}: {exc.message}",
            hint="the identity needs BigQuery Data Viewer on the dataset and BigQuery Job "
            "User on the project that runs the query",
        )
    if isinstance(exc, api.GoogleAPICallError):
        return error(f"BigQuery refused the query on {where}: {exc.message}")
    return error(f"cannot read {where}: {exc}")
