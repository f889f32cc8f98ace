"""Resource ownership (seed 6.3): how owners are inferred, and lifecycle rules
for resources that lack one."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, register_kind
from finopsmetrics_cli.models.common import description_field, enabled_field
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    Duration,
    Identifier,
    IdentifierList,
    new_list,
)

OwnershipSource = Annotated[
    str,
    ChoiceOf(
        "tag",
        "creator",
        "kubernetes_namespace",
        "account",
        "resource_group",
        "project",
        "label",
        description="Where ownership is read from.",
    ),
]


@register_kind("ownership_rule", section="ownership_rules", seed="6.3")
class OwnershipRule(KindModel):
    """Infers a resource's owner from a tag, its creator or its K8s namespace.
    Entries need no name: one is derived from the content (ownership_rule-<hash>)."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    source: OwnershipSource = Field(
        description="tag, creator, kubernetes_namespace, account, resource_group, project or label."
    )
    tag_key: str | None = Field(
        None, description="Tag (or label) key holding the owner (source: tag/label)."
    )
    namespace_pattern: str | None = Field(
        None, description="Glob on namespace names, e.g. team-* (source: kubernetes_namespace)."
    )
    extract_team: StrictBool = Field(
        False, description="Take the team name from the part matched by `*`."
    )
    map_to: Identifier = Field("owner", description="Attribute that receives the value (owner).")
    inherit_to: IdentifierList = Field(
        default_factory=new_list,
        description="Related resources that inherit it, e.g. child_resources.",
    )

    @model_validator(mode="after")
    def _source_details(self) -> Self:
        if self.source in ("tag", "label") and not self.tag_key:
            raise custom_error(
                "missing_one_of", "source {source} needs tag_key", source=self.source
            )
        if self.source == "kubernetes_namespace" and not self.namespace_pattern:
            raise custom_error(
                "missing_one_of", "source kubernetes_namespace needs namespace_pattern"
            )
        return self


@register_kind(
    "lifecycle_rule",
    section="resource_policies",
    seed="6.3",
    aliases=("lifecycle_rules",),
    name_key="rule",
)
class LifecycleRule(KindModel):
    """What happens to resources in a scope after an age threshold (ownership
    enforcement, orphan clean-up). The name is written as `rule:`."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    scope: Identifier = Field(description="Resources covered: all_resources, unowned_resources ...")
    age_threshold: Duration = Field(description="Age after which the action runs, e.g. 24h, 7d.")
    action: Identifier = Field(description="tag_with_creator_team, notify_creator_and_manager ...")
