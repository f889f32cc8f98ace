"""A Cloud Billing export to BigQuery, as DuckDB tables and as tables.get shows it.

Realistic hourly line items (credits, labels on resources and projects, usage
invoiced in the next month, tax) for the gcp_bigquery tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

STANDARD = "acme-billing.billing.gcp_billing_export_v1_0A1B2C_3D4E5F_6A7B8C"
DETAILED = "acme-billing.billing.gcp_billing_export_resource_v1_0A1B2C_3D4E5F_6A7B8C"

KV = "STRUCT(key VARCHAR, value VARCHAR)[]"
# The Cloud Billing export's columns (standard), as DuckDB types.
EXPORT_COLUMNS = f"""
  billing_account_id VARCHAR,
  service STRUCT(id VARCHAR, description VARCHAR),
  sku STRUCT(id VARCHAR, description VARCHAR),
  usage_start_time TIMESTAMPTZ,
  usage_end_time TIMESTAMPTZ,
  project STRUCT(id VARCHAR, number VARCHAR, name VARCHAR, labels {KV},
                 ancestry_numbers VARCHAR),
  labels {KV},
  system_labels {KV},
  location STRUCT(location VARCHAR, country VARCHAR, region VARCHAR, zone VARCHAR),
  export_time TIMESTAMPTZ,
  cost DOUBLE,
  currency VARCHAR,
  currency_conversion_rate DOUBLE,
  usage STRUCT(amount DOUBLE, unit VARCHAR, amount_in_pricing_units DOUBLE,
               pricing_unit VARCHAR),
  credits STRUCT(name VARCHAR, amount DOUBLE, full_name VARCHAR, id VARCHAR, type VARCHAR)[],
  invoice STRUCT(month VARCHAR),
  cost_type VARCHAR
"""
DETAILED_COLUMNS = (
    EXPORT_COLUMNS
    + """,
  resource STRUCT(name VARCHAR, global_name VARCHAR),
  cost_at_list DOUBLE
"""
)


def record(name: str, *fields: dict[str, Any], mode: str = "NULLABLE") -> dict[str, Any]:
    return {"name": name, "type": "RECORD", "mode": mode, "fields": list(fields)}


def field(name: str, kind: str = "STRING") -> dict[str, Any]:
    return {"name": name, "type": kind, "mode": "NULLABLE"}


KV_FIELDS = (field("key"), field("value"))
# The same schema as tables.get returns it.
EXPORT_SCHEMA = [
    field("billing_account_id"),
    record("service", field("id"), field("description")),
    record("sku", field("id"), field("description")),
    field("usage_start_time", "TIMESTAMP"),
    field("usage_end_time", "TIMESTAMP"),
    record(
        "project",
        field("id"),
        field("number"),
        field("name"),
        record("labels", *KV_FIELDS, mode="REPEATED"),
        field("ancestry_numbers"),
    ),
    record("labels", *KV_FIELDS, mode="REPEATED"),
    record("system_labels", *KV_FIELDS, mode="REPEATED"),
    record("location", field("location"), field("country"), field("region"), field("zone")),
    field("export_time", "TIMESTAMP"),
    field("cost", "FLOAT"),
    field("currency"),
    field("currency_conversion_rate", "FLOAT"),
    record(
        "usage",
        field("amount", "FLOAT"),
        field("unit"),
        field("amount_in_pricing_units", "FLOAT"),
        field("pricing_unit"),
    ),
    record(
        "credits",
        field("name"),
        field("amount", "FLOAT"),
        field("full_name"),
        field("id"),
        field("type"),
        mode="REPEATED",
    ),
    record("invoice", field("month")),
    field("cost_type"),
]
DETAILED_SCHEMA = [
    *EXPORT_SCHEMA,
    record("resource", field("name"), field("global_name")),
    field("cost_at_list", "FLOAT"),
]

COMPUTE = ("6F81-5844-456A", "Compute Engine")
STORAGE = ("95FF-2EF5-5EA1", "Cloud Storage")
CORE = ("2E27-4F75-95CD", "N1 Predefined Instance Core running in Americas")
STANDARD_STORAGE = ("E5F0-6A5D-7BAD", "Standard Storage US Multi-region")


def line(
    start: str,
    service: tuple[str, str],
    sku: tuple[str, str],
    project: str,
    cost: float,
    *,
    invoice: str,
    exported: str,
    labels: dict[str, str] | None = None,
    project_labels: dict[str, str] | None = None,
    credits: list[tuple[str, float]] | None = None,
    cost_type: str = "regular",
    usage: tuple[float, str, float, str] | None = None,
    resource: tuple[str, str] | None = None,
    list_cost: float | None = None,
) -> dict[str, Any]:
    """One hourly line item of the export, as BigQuery would hold it."""
    begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    amount, unit, pricing_amount, pricing_unit = usage or (0.0, "seconds", 0.0, "hour")
    row = {
        "billing_account_id": "0A1B2C-3D4E5F-6A7B8C",
        "service": {"id": service[0], "description": service[1]},
        "sku": {"id": sku[0], "description": sku[1]},
        "usage_start_time": begin,
        "usage_end_time": begin.replace(minute=59, second=59),
        "project": {
            "id": project,
            "number": "123456789012",
            "name": project.title(),
            "labels": [{"key": k, "value": v} for k, v in (project_labels or {}).items()],
            "ancestry_numbers": "/123/",
        },
        "labels": [{"key": k, "value": v} for k, v in (labels or {}).items()],
        "system_labels": [],
        "location": {
            "location": "us-central1",
            "country": "US",
            "region": "us-central1",
            "zone": "us-central1-a",
        },
        "export_time": datetime.fromisoformat(exported).replace(tzinfo=UTC),
        "cost": cost,
        "currency": "USD",
        "currency_conversion_rate": 1.0,
        "usage": {
            "amount": amount,
            "unit": unit,
            "amount_in_pricing_units": pricing_amount,
            "pricing_unit": pricing_unit,
        },
        "credits": [
            {
                "name": n,
                "amount": a,
                "full_name": f"{n} (full)",
                "id": f"id-{n}",
                "type": "SUSTAINED_USAGE_DISCOUNT",
            }
            for n, a in credits or []
        ],
        "invoice": {"month": invoice},
        "cost_type": cost_type,
    }
    if resource is not None or list_cost is not None:
        row["resource"] = {"name": resource[0], "global_name": resource[1]} if resource else None
        row["cost_at_list"] = list_cost
    return row


MARCH = dict(invoice="202403", exported="2024-03-02T06:00:00")
LINES = [
    # two hours of the same VM on one day: one daily row, and one credit row
    line(
        "2024-03-01T10:00:00",
        COMPUTE,
        CORE,
        "web-prod",
        1.25,
        **MARCH,
        labels={"team": "web", "env": "production"},
        project_labels={"env": "prod", "cc": "42"},
        credits=[("Sustained use discount", -0.25)],
        usage=(3600, "seconds", 1, "hour"),
    ),
    line(
        "2024-03-01T11:00:00",
        COMPUTE,
        CORE,
        "web-prod",
        1.25,
        **MARCH,
        labels={"team": "web", "env": "production"},
        project_labels={"env": "prod", "cc": "42"},
        credits=[("Sustained use discount", -0.25)],
        usage=(3600, "seconds", 1, "hour"),
    ),
    line(
        "2024-03-01T23:00:00",
        STORAGE,
        STANDARD_STORAGE,
        "data-lake",
        0.1,
        **MARCH,
        usage=(2.5e12, "byte-seconds", 0.000926, "gibibyte month"),
    ),
    # usage of February's last hour invoiced in March
    line("2024-02-29T23:00:00", STORAGE, STANDARD_STORAGE, "data-lake", 0.02, **MARCH),
    line(
        "2024-03-02T00:00:00",
        ("B7A6-BD3E-A1F3", "Invoice"),
        ("F3B9-1A2B-3C4D", "Tax"),
        "web-prod",
        0.35,
        **MARCH,
        cost_type="tax",
    ),
    line(
        "2024-04-01T05:00:00",
        COMPUTE,
        CORE,
        "web-prod",
        0.5,
        invoice="202404",
        exported="2024-04-02T06:00:00",
        labels={"team": "web"},
        usage=(1800, "seconds", 0.5, "hour"),
    ),
]


def create_table(db: Any, name: str, columns: str, rows: list[dict[str, Any]]) -> None:
    db.execute(f"CREATE TABLE {name} ({columns})")
    insert_rows(db, name, rows)


def insert_rows(db: Any, name: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        keys = list(row)
        db.execute(
            f"INSERT INTO {name} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})",
            [row[k] for k in keys],
        )
