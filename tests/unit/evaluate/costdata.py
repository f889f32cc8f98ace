"""A factory for FOCUS cost rows in a real cost store (tests only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from finopsmetrics_cli.costs.store import CostStore


@dataclass
class Row:
    day: date
    cost: float
    service: str = "Amazon EC2"
    account: str = "111111111111"
    account_name: str = "prod"
    region: str = "us-east-1"
    provider: str = "AWS"
    resource: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    currency: str = "USD"
    source: str = "aws-cur"


def write_rows(path: Path, rows: Iterable[Row]) -> Path:
    """Append ``rows`` to the cost store at ``path`` (created when missing)."""
    rows = list(rows)
    store = CostStore(path)
    with store.connect(read_only=False) as conn:
        if not rows:
            return path
        starts = [datetime.combine(r.day, datetime.min.time()) for r in rows]
        costs = [Decimal(str(round(r.cost, 10))) for r in rows]
        conn.execute(
            "INSERT INTO cost_rows (BilledCost, EffectiveCost, ListCost, BillingCurrency, "
            "ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, ChargeCategory, "
            "ProviderName, ServiceName, SubAccountId, SubAccountName, RegionId, ResourceId, "
            "Tags, x_Source) SELECT unnest(?::DECIMAL(38,10)[]), unnest(?::DECIMAL(38,10)[]), "
            "unnest(?::DECIMAL(38,10)[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMP[]), "
            "unnest(?::TIMESTAMP[]), unnest(?::TIMESTAMP[]), 'Usage', unnest(?::VARCHAR[]), "
            "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
            "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::MAP(VARCHAR, VARCHAR)[]), "
            "unnest(?::VARCHAR[])",
            [
                costs, costs, costs, [r.currency for r in rows], starts,
                [s + timedelta(days=1) for s in starts],
                [datetime(r.day.year, r.day.month, 1) for r in rows],
                [r.provider for r in rows], [r.service for r in rows],
                [r.account for r in rows], [r.account_name for r in rows],
                [r.region for r in rows], [r.resource for r in rows],
                [{"key": list(r.tags), "value": list(r.tags.values())} for r in rows],
                [r.source for r in rows],
            ],
        )  # fmt: skip
    return path


def daily(start: date, end: date, cost: float, **fields: object) -> list[Row]:
    """One row per day from start to end inclusive, each costing ``cost``."""
    return [
        Row(day=start + timedelta(days=i), cost=cost, **fields)  # type: ignore[arg-type]
        for i in range((end - start).days + 1)
    ]
