"""The cost rows and controls every engine evaluates in the equality tests.

Small on purpose (three resources x 60 days, two currencies' worth of
kinds): enough for a forecast, an anomaly, a shared-cost split with a
remainder cent, tag coverage and policy matches.
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.unit.evaluate.costdata import Row

from finopsmetrics_cli.evaluate.model import Control

TODAY = date(2026, 1, 1)
FIRST = date(2025, 10, 1)
SINCE = date(2025, 11, 1)  # anomalies are reported from here (the spike is on 2025-11-20)


def rows() -> list[Row]:
    out: list[Row] = []
    for i in range(60):
        day = FIRST + timedelta(days=i)
        out.append(Row(day, 10 + i % 7, service="Amazon EC2", resource="i-web-1",
                       tags={"team": "web", "environment": "prod"}))  # fmt: skip
        out.append(Row(day, 5 + (200 if i == 50 else 0), service="Amazon S3",
                       resource="bucket-a", account="222222222222",
                       account_name="data"))  # fmt: skip
        out.append(Row(day, 7.77, service="Amazon RDS", resource="db-shared",
                       tags={"team": "db", "owner_email": "dba@example.com"}))  # fmt: skip
    return out


CONTROLS = [
    Control("budget", "web", {"amount": 500, "filters": {"team": "web"},
                              "alerts": [{"threshold": 50, "type": "actual"},
                                         {"threshold": 90, "type": "forecasted"}]}),  # fmt: skip
    Control("budget", "storage", {"amount": 300, "filters": {"team": "storage"}}),
    Control("budget", "split-a", {"amount": 100, "filters": {"team": "a"}}),
    Control("budget", "all", {"amount": 1000, "period": "quarterly"}),
    Control("anomaly_detector", "s3", {"filters": {"service": "Amazon S3"}, "type": "zscore",
                                       "window": 14}),  # fmt: skip
    Control("anomaly_detector", "by-team", {"group_by": ["team"], "type": "mad", "window": 14}),
    Control("virtual_tag", "team", {
        "rules": [{"condition": 'resource.service == "Amazon S3"', "tags": {"team": "storage"}}],
        "default": {"team": "unknown"}}),  # fmt: skip
    Control("cost_allocation", "shared-db", {"resource_id": "db-shared",
                                             "attribution_method": "even",
                                             "allocations": [{"team": "a"}, {"team": "b"},
                                                             {"team": "c"}]}),  # fmt: skip
    Control("business_mapping", "shop", {"entity_type": "product", "services": ["Amazon EC2"]}),
    Control("tag_rule", "need-environment", {"tags": {"environment": "required"}}),
    Control("policy", "expensive", {"condition": "resource.cost_monthly > 100",
                                    "severity": "high"}),  # fmt: skip
    Control("policy", "idle", {"condition": "resource.cpu_avg_7d < 5%", "severity": "low"}),
    Control("policy", "untagged-storage", {
        "condition": 'resource.service == "Amazon S3" and resource.region == "us-east-1"',
        "severity": "medium"}),  # fmt: skip
]

#: resource attributes from an inventory file (policies read them beside the derived ones)
INVENTORY_CSV = "id,cpu_avg_7d,encryption_enabled\ni-web-1,0.02,true\nbucket-a,0.5,false\n"

#: per allocation target, the enriched cost (allocations conserve the total to the cent)
ALLOCATED = (
    'SELECT coalesce("x_AllocationTarget", \'-\'), CAST(round(sum("EffectiveCost"), 2) AS DOUBLE), '
    "count(*) FROM costs_enriched GROUP BY 1 ORDER BY 1"
)
