"""The FOCUS 1.2 columns of the cost store and the dimension aliases users write.

This module is the one place both are declared: the store's DDL, every
connector's mapping, `costs show --by`, budget and detector `filters` and the
evaluation all read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

FOCUS_VERSION = "1.2"


@dataclass(frozen=True, slots=True)
class FocusColumn:
    """One column of the store: its FOCUS name and DuckDB type."""

    name: str
    sql_type: str
    required: bool = False  # a source without it cannot be ingested


# FOCUS 1.2 columns kept in the store (SPEC section 9), then our own x_ columns.
# What a source lacks is NULL, never invented.
FOCUS_COLUMNS: tuple[FocusColumn, ...] = (
    FocusColumn("BilledCost", "DECIMAL(38, 10)", required=True),
    FocusColumn("EffectiveCost", "DECIMAL(38, 10)"),
    FocusColumn("ListCost", "DECIMAL(38, 10)"),
    FocusColumn("ContractedCost", "DECIMAL(38, 10)"),
    FocusColumn("BillingCurrency", "VARCHAR", required=True),
    FocusColumn("BillingAccountId", "VARCHAR"),
    FocusColumn("BillingAccountName", "VARCHAR"),
    FocusColumn("BillingPeriodStart", "TIMESTAMP"),
    FocusColumn("BillingPeriodEnd", "TIMESTAMP"),
    FocusColumn("ChargePeriodStart", "TIMESTAMP", required=True),
    FocusColumn("ChargePeriodEnd", "TIMESTAMP"),
    FocusColumn("ChargeCategory", "VARCHAR"),
    FocusColumn("ChargeClass", "VARCHAR"),
    FocusColumn("ChargeDescription", "VARCHAR"),
    FocusColumn("ProviderName", "VARCHAR"),
    FocusColumn("PublisherName", "VARCHAR"),
    FocusColumn("InvoiceIssuerName", "VARCHAR"),
    FocusColumn("ServiceName", "VARCHAR"),
    FocusColumn("ServiceCategory", "VARCHAR"),
    FocusColumn("SubAccountId", "VARCHAR"),
    FocusColumn("SubAccountName", "VARCHAR"),
    FocusColumn("RegionId", "VARCHAR"),
    FocusColumn("RegionName", "VARCHAR"),
    FocusColumn("AvailabilityZone", "VARCHAR"),
    FocusColumn("ResourceId", "VARCHAR"),
    FocusColumn("ResourceName", "VARCHAR"),
    FocusColumn("ResourceType", "VARCHAR"),
    FocusColumn("SkuId", "VARCHAR"),
    FocusColumn("SkuPriceId", "VARCHAR"),
    FocusColumn("PricingCategory", "VARCHAR"),
    FocusColumn("PricingQuantity", "DECIMAL(38, 10)"),
    FocusColumn("PricingUnit", "VARCHAR"),
    FocusColumn("ConsumedQuantity", "DECIMAL(38, 10)"),
    FocusColumn("ConsumedUnit", "VARCHAR"),
    FocusColumn("CommitmentDiscountId", "VARCHAR"),
    FocusColumn("CommitmentDiscountType", "VARCHAR"),
    FocusColumn("CommitmentDiscountCategory", "VARCHAR"),
    FocusColumn("Tags", "MAP(VARCHAR, VARCHAR)"),
)

EXTENSION_COLUMNS: tuple[FocusColumn, ...] = (
    FocusColumn("x_Source", "VARCHAR", required=True),  # the cost_source name
    FocusColumn("x_SourceFile", "VARCHAR"),  # file/object/table the row came from
    FocusColumn("x_IngestedAt", "TIMESTAMP"),
)

STORE_COLUMNS: tuple[FocusColumn, ...] = FOCUS_COLUMNS + EXTENSION_COLUMNS
COLUMN_NAMES: frozenset[str] = frozenset(column.name for column in STORE_COLUMNS)

# Cost metrics users name (`--metric`, `settings.costs.metric`) -> column.
METRICS: dict[str, str] = {
    "effective": "EffectiveCost",
    "billed": "BilledCost",
    "list": "ListCost",
    "contracted": "ContractedCost",
}
DEFAULT_METRIC = "effective"


@dataclass(frozen=True, slots=True)
class Dimension:
    """A name users write in `filters` and `costs show --by`, and the columns it reads.

    A dimension with two columns (`account`) matches a value against either;
    grouping uses the first.
    """

    alias: str
    columns: tuple[str, ...]
    description: str


DIMENSIONS: dict[str, Dimension] = {
    d.alias: d
    for d in (
        Dimension("provider", ("ProviderName",), "the cloud or vendor (AWS, Microsoft, ...)"),
        Dimension("service", ("ServiceName",), "the service (Amazon EC2, ...)"),
        Dimension("service_category", ("ServiceCategory",), "Compute, Storage, ..."),
        Dimension(
            "account", ("SubAccountId", "SubAccountName"), "the sub-account id or its name"
        ),
        Dimension("billing_account", ("BillingAccountId",), "the billing account id"),
        Dimension("region", ("RegionId",), "the region id (us-east-1, ...)"),
        Dimension("resource", ("ResourceId",), "the resource id"),
        Dimension("resource_type", ("ResourceType",), "the resource type"),
        Dimension("charge_category", ("ChargeCategory",), "Usage, Purchase, Tax, ..."),
        Dimension("sku", ("SkuId",), "the SKU id"),
        Dimension("pricing_category", ("PricingCategory",), "On-Demand, Committed, ..."),
        Dimension("source", ("x_Source",), "the cost_source the row came from"),
    )
}

# Time dimensions of `costs show --by`.
TIME_GRAINS: tuple[str, ...] = ("day", "week", "month")


def dimension_columns(key: str) -> tuple[str, ...] | None:
    """The store columns a filter/group key reads, or None when the key is a tag key.

    An alias maps to its columns; a store column name (FOCUS or x_) is itself;
    any other key is a tag key (SPEC section 9).
    """
    dimension = DIMENSIONS.get(key)
    if dimension is not None:
        return dimension.columns
    if key in COLUMN_NAMES and key != "Tags":
        return (key,)
    return None
