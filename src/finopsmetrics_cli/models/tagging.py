"""Tagging (seed 4.1, 4.2, 8.1, 8.3): rules that set tags on resources, and
virtual tags kept outside the cloud."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, StrictModel, register_kind
from finopsmetrics_cli.models.common import description_field, enabled_field
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import (
    Condition,
    Identifier,
    Ratio,
    RefName,
    RefNameList,
    Regex,
    TagMap,
    new_list,
)


class InferenceRule(StrictModel):
    """Infer one tag from a related attribute."""

    tag: RefName = Field(description="The tag key to set.")
    infer_from: Identifier = Field(
        description="Where the value comes from, e.g. vpc_tag, security_group_name."
    )


class MlPrediction(StrictModel):
    """Predict tags with a model when the prediction is confident enough."""

    model: Identifier = Field(description="Prediction model name, e.g. tag_predictor_v1.")
    confidence_threshold: Ratio = Field(0.8, description="Minimum confidence, 0..1 (0.8 or 80%).")
    tags: RefNameList = Field(min_length=1, description="Tag keys the model predicts.")


class ConditionalTags(StrictModel):
    """Tags applied when a condition holds: `rules = [{condition, tags}]`."""

    condition: Condition = Field(description="When to apply the tags (condition language).")
    tags: TagMap = Field(min_length=1, description="Tag key -> value.")


@register_kind(
    "tag_rule",
    section="tag_rules",
    seed="4.1, 8.1, 8.3",
    aliases=("tags.auto_tagging_rules", "tagging_rules"),
    condition_fields=("condition", "rules.*.condition"),
)
class TagRule(KindModel):
    """Sets tags on matching resources: by name pattern, resource type, condition,
    inference from related resources, or ML prediction."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    pattern: Regex | None = Field(None, description="Regex on the resource name/id, e.g. ^prod-.*")
    resource_type: Identifier | None = Field(
        None, description="Resource type, e.g. ec2_instance, s3_bucket."
    )
    condition: Condition | None = Field(None, description="Condition selecting the resources.")
    tags: TagMap = Field(default_factory=dict, description="Tags to set: key -> value.")
    infer_from: Identifier | None = Field(
        None, description="Infer `tags` values from this attribute (e.g. bucket_name)."
    )
    inference_rules: list[InferenceRule] = Field(
        default_factory=new_list, description="Per-tag inference: `{tag, infer_from}`."
    )
    ml_prediction: MlPrediction | None = Field(None, description="Predict tags with a model.")
    rules: list[ConditionalTags] = Field(
        default_factory=new_list, description="Conditional tag sets: `[{condition, tags}]`."
    )

    @model_validator(mode="after")
    def _selects_and_tags(self) -> Self:
        if not (self.pattern or self.resource_type or self.condition or self.rules):
            raise custom_error(
                "missing_one_of",
                "a tag rule needs a selector: pattern, resource_type, condition or rules",
            )
        if not (self.tags or self.inference_rules or self.ml_prediction or self.rules):
            raise custom_error(
                "missing_one_of",
                "a tag rule needs something to set: tags, inference_rules, ml_prediction or rules",
            )
        return self


class VirtualTagRule(StrictModel):
    """Virtual tags for resources matching a regex or a condition."""

    resource_pattern: Regex | None = Field(None, description="Regex on the resource id/name.")
    condition: Condition | None = Field(None, description="Condition selecting the resources.")
    tags: TagMap = Field(min_length=1, description="Virtual tags: key -> value.")

    @model_validator(mode="after")
    def _has_selector(self) -> Self:
        if self.resource_pattern is None and self.condition is None:
            raise custom_error(
                "missing_one_of", "a virtual tag rule needs resource_pattern or condition"
            )
        return self


_VIRTUAL_TAG_FIELDS = frozenset(
    {"name", "lifecycle", "description", "mappings", "rules", "default"}
)


@register_kind(
    "virtual_tag",
    section="virtual_tags",
    seed="4.2",
    condition_fields=("rules.*.condition",),
)
class VirtualTag(KindModel):
    """Tags that live in finopsmetrics, not on the resources: explicit per-resource
    mappings and regex/condition rules, with a default."""

    description: str | None = description_field()
    mappings: dict[str, TagMap] = Field(
        default_factory=dict,
        description='Resource id -> tags (e.g. "i-0123456789": {cost_center: marketing}).',
    )
    rules: list[VirtualTagRule] = Field(
        default_factory=new_list,
        description="First matching rule wins: `{resource_pattern | condition, tags}`.",
    )
    default: TagMap = Field(
        default_factory=dict, description="Tags for resources nothing else matches."
    )

    @classmethod
    def body_shorthand_schema(cls) -> dict[str, Any] | None:
        tag_map = cls.model_json_schema()["properties"]["default"]
        tag_map = {k: v for k, v in tag_map.items() if k not in ("title", "description", "default")}
        return {
            "anyOf": [
                {
                    "type": "array",
                    "items": {"$ref": "#/$defs/VirtualTagRule"},
                    "description": "rules",
                },
                {
                    "type": "object",
                    "additionalProperties": tag_map,
                    "description": "mappings: resource id -> tags",
                },
            ]
        }

    @classmethod
    def coerce_body(cls, name: str, body: Any) -> dict[str, Any]:
        """4.2 shorthand: a list body is ``rules``; a mapping whose keys are not
        fields (resource ids) is ``mappings``."""
        if isinstance(body, list):
            return {"name": name, "rules": body}
        if isinstance(body, Mapping) and not set(body) <= _VIRTUAL_TAG_FIELDS:
            return {"name": name, "mappings": dict(body)}
        return super().coerce_body(name, body)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.mappings or self.rules or self.default):
            raise custom_error("missing_one_of", "a virtual tag needs mappings, rules or a default")
        return self
