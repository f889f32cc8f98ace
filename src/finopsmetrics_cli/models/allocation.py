"""Cost attribution (seed 4.3, 4.4): splitting shared costs, and mapping
technical resources to business products and features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from finopsmetrics_cli.models.base import KindModel, StrictModel, content_hash, register_kind
from finopsmetrics_cli.models.common import description_field, team_ref
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    CurrencyCode,
    FilterMap,
    NonNegativeNumber,
    Ratio,
    RefName,
    new_list,
)

Method = Annotated[
    str,
    ChoiceOf(
        "proportional",
        "even",
        "fixed",
        "direct",
        "activity_based",
        "hierarchical",
        description="How the cost is split.",
    ),
]

# split_by -> the allocation field holding each target's usage.
USAGE_FIELDS: dict[str, str] = {
    "query_count": "queries",
    "queries": "queries",
    "request_count": "requests",
    "requests": "requests",
    "cpu_hours": "cpu_hours",
    "memory_gb_hours": "memory_gb_hours",
    "storage_gb": "storage_gb",
    "users": "users",
    "weight": "weight",
}
SHARE_TOLERANCE = 1e-6
COST_TOLERANCE = 0.01  # one cent


class Allocation(StrictModel):
    """One target of a split: a service, team or project, with its usage or share."""

    service: RefName | None = Field(None, description="Target service.")
    team: RefName | None = Field(None, description="Target team.")
    project: RefName | None = Field(None, description="Target project.")
    share: Ratio | None = Field(None, description="Explicit share, 0..1 or percent (method fixed).")
    queries: NonNegativeNumber | None = Field(None, description="Usage for split_by query_count.")
    requests: NonNegativeNumber | None = Field(
        None, description="Usage for split_by request_count."
    )
    cpu_hours: NonNegativeNumber | None = Field(None, description="Usage for split_by cpu_hours.")
    memory_gb_hours: NonNegativeNumber | None = Field(
        None, description="Usage for split_by memory_gb_hours."
    )
    storage_gb: NonNegativeNumber | None = Field(None, description="Usage for split_by storage_gb.")
    users: NonNegativeNumber | None = Field(None, description="Usage for split_by users.")
    weight: NonNegativeNumber | None = Field(None, description="Usage for split_by weight.")
    allocated_cost: NonNegativeNumber | None = Field(
        None, description="Computed (optional): checked to equal share x total_cost."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if sum(t is not None for t in (self.service, self.team, self.project)) != 1:
            raise custom_error(
                "missing_one_of", "an allocation names exactly one of service, team or project"
            )
        return self

    def target(self) -> str:
        return str(self.service or self.team or self.project)


def _money(value: float) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _shares(allocations: list[Allocation], method: str, split_by: str | None) -> list[float]:
    """Each allocation's share, or raise at the allocation that lacks what the method needs."""
    if method == "even":
        return [1 / len(allocations)] * len(allocations)
    if method in ("proportional", "activity_based") and split_by is not None:
        field = USAGE_FIELDS[split_by]
        usage: list[float] = []
        for index, item in enumerate(allocations):
            value = getattr(item, field)
            if value is None:
                raise custom_error(
                    "missing_one_of",
                    "allocation {index} needs {field} (split_by {split_by})",
                    at=(index,),
                    index=index,
                    field=field,
                    split_by=split_by,
                )
            usage.append(float(value))
        total = sum(usage)
        if total <= 0:
            raise custom_error(
                "not_positive",
                "total {field} of the allocations must be greater than zero",
                field=field,
            )
        return [u / total for u in usage]
    shares: list[float] = []
    for index, item in enumerate(allocations):
        if item.share is None:
            raise custom_error(
                "missing_one_of",
                "allocation {index} needs a share (method {method} without split_by)",
                at=(index,),
                index=index,
                method=method,
            )
        shares.append(float(item.share))
    return shares


def _allocation_name(body: Any) -> str:
    """The natural key of a cost allocation: the shared resource it splits."""
    resource = body.get("resource_id") if isinstance(body, Mapping) else None
    if isinstance(resource, str) and resource.strip():
        return resource.strip()
    return f"cost_allocation-{content_hash(body)}"


@register_kind(
    "cost_allocation",
    section="cost_allocations",
    seed="4.3",
    aliases=("shared_service_attribution",),
    single_object_sections=("shared_service_attribution",),
    immutable=("resource_id",),
    derive_name=_allocation_name,
)
class CostAllocation(KindModel):
    """Splits the cost of a shared resource between services, teams or projects.
    Shares (explicit, or usage / total usage) must sum to 100%."""

    description: str | None = description_field()
    resource_id: str = Field(
        min_length=1, description="The shared resource, e.g. rds-shared-db-prod."
    )
    total_cost: NonNegativeNumber | None = Field(
        None, description="Cost to split per period; needed to check `allocated_cost`."
    )
    currency: CurrencyCode = Field("USD", description="ISO 4217 code of total_cost.")
    attribution_method: Method = Field(
        "proportional",
        validation_alias=AliasChoices("attribution_method", "method"),
        description=(
            "proportional (by split_by usage), even, fixed (explicit shares), direct, "
            "activity_based, hierarchical."
        ),
    )
    split_by: Annotated[str, ChoiceOf(*USAGE_FIELDS)] | None = Field(
        None,
        description="Usage measure of proportional splits: query_count, request_count ...",
    )
    allocations: list[Allocation] = Field(
        min_length=1, description="The targets and their usage or share."
    )

    @field_validator("allocations")
    @classmethod
    def _sum_to_one(cls, allocations: list[Allocation], info: ValidationInfo) -> list[Allocation]:
        if "attribution_method" not in info.data or "split_by" not in info.data:
            return allocations  # reported on those fields already
        method, split_by = info.data["attribution_method"], info.data["split_by"]
        shares = _shares(allocations, method, split_by)
        total = sum(shares)
        if abs(total - 1) > SHARE_TOLERANCE:
            raise custom_error(
                "shares_sum",
                "allocation shares sum to {total}, not 100%",
                at=(len(allocations) - 1, "share"),
                total=f"{total * 100:g}%",
            )
        seen: dict[str, int] = {}
        for index, item in enumerate(allocations):
            if item.target() in seen:
                raise custom_error(
                    "duplicate_item",
                    "{target} is allocated twice",
                    at=(index,),
                    target=item.target(),
                )
            seen[item.target()] = index
        cost = info.data.get("total_cost")
        for index, (item, share) in enumerate(zip(allocations, shares, strict=True)):
            if item.allocated_cost is None:
                continue
            if cost is None:
                raise custom_error(
                    "allocated_cost_mismatch",
                    "allocated_cost needs total_cost to be checked against",
                    at=(index, "allocated_cost"),
                )
            expected = round(share * float(cost), 2)
            if abs(float(item.allocated_cost) - expected) > COST_TOLERANCE:
                raise custom_error(
                    "allocated_cost_mismatch",
                    "allocated_cost {given} should be {expected} ({share} of {total})",
                    at=(index, "allocated_cost"),
                    given=_money(item.allocated_cost),
                    expected=_money(expected),
                    share=f"{share * 100:g}%",
                    total=_money(cost),
                )
        return allocations


EntityType = Annotated[str, ChoiceOf("product", "feature")]


@register_kind(
    "business_mapping",
    section="business_mappings",
    seed="4.4",
    aliases=("business_mapping.products", "business_mapping.features"),
    section_defaults={
        "business_mapping.products": {"entity_type": "product"},
        "business_mapping.features": {"entity_type": "feature"},
    },
    references=(team_ref("owner"),),
    immutable=("entity_type",),
)
class BusinessMapping(KindModel):
    """Maps technical resources (clusters, databases, services by glob) to a
    business product or feature, for cost, revenue and margin by entity."""

    entity_type: EntityType = Field(
        description="product or feature; defaulted from business_mapping.products / .features."
    )
    description: str | None = description_field()
    clusters: list[str] = Field(
        default_factory=new_list, description="Cluster name globs, e.g. prod-mobile-*."
    )
    databases: list[str] = Field(default_factory=new_list, description="Database name globs.")
    services: list[str] = Field(
        default_factory=new_list, description="Service/resource name globs."
    )
    selectors: FilterMap = Field(
        default_factory=dict, description="Extra selectors: dimension -> value(s)."
    )
    cost_allocation: Method | None = Field(
        None, description="How shared costs of the entity are split."
    )
    cost_center: str | None = Field(None, description="Cost center, e.g. r&d.")
    owner: RefName | None = Field(None, description="Owning team (a declared team).")
    revenue_attribution: StrictBool = Field(False, description="Attribute revenue to this entity.")
    revenue_per_request: NonNegativeNumber | None = Field(
        None, description="Revenue per request, for unit economics (needs revenue_attribution)."
    )

    @model_validator(mode="after")
    def _selects(self) -> Self:
        if not (self.clusters or self.databases or self.services or self.selectors):
            raise custom_error(
                "missing_one_of",
                "a business mapping needs clusters, databases, services or selectors",
            )
        if self.revenue_per_request is not None and not self.revenue_attribution:
            raise custom_error(
                "missing_one_of",
                "revenue_per_request needs revenue_attribution: true",
                at=("revenue_per_request",),
            )
        return self
