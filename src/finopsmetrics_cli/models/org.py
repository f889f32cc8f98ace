"""Organisation (seed 1.1, 2, 6.3): teams, and the plugins the platform loads."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StrictBool, field_validator

from finopsmetrics_cli.models.base import KindModel, register_kind
from finopsmetrics_cli.models.common import description_field, enabled_field, team_ref
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.secrets import SecretRef, scan_for_secrets
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    Email,
    EmailList,
    FieldType,
    PositiveNumber,
    RefName,
    new_list,
)


@register_kind("team", section="teams", seed="2, 6.3", references=(team_ref("parent"),))
class Team(KindModel):
    """A team: who owns and belongs to it, its cost center and budget. Teams
    are what `owner`/`team` fields name (checked once any team is declared)."""

    description: str | None = description_field()
    owners: EmailList = Field(default_factory=new_list, description="Team owners' emails.")
    members: EmailList = Field(default_factory=new_list, description="Members' emails.")
    cost_center: str | None = Field(None, description="Cost center, e.g. r&d.")
    parent: RefName | None = Field(None, description="Parent team (a declared team).")
    budget_monthly: PositiveNumber | None = Field(
        None, description="Monthly budget (team.budget_monthly in conditions)."
    )
    slack_channel: str | None = Field(None, description="Team chat channel, e.g. #ml-team.")
    email: Email | None = Field(None, description="Team mailing list.")


_VERSION = re.compile(
    r"^\s*(?:(?:[~^]|~>|==|>=|<=|!=|>|<|=)?\s*v?\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.\-]+)?\s*(?:,\s*|$))+$"
)


def _version(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and (value.strip() in ("*", "latest") or _VERSION.match(value)):
        return " ".join(value.split())
    raise custom_error(
        "invalid_version",
        "expected a version or range such as 1.2.0, ~> 1.0 or >=1.0,<2, got {value}",
        value=repr(value),
    )


VersionSpec = Annotated[
    str,
    FieldType(
        _version,
        {"type": "string", "description": "1.2.0, ~> 1.0, >=1.0,<2, * or latest."},
        shorthand={"type": "number"},
        doc="version or range",
    ),
]
PluginType = Annotated[
    str,
    ChoiceOf(
        "telemetry",
        "cost_attribution",
        "recommendation",
        "dashboard",
        "export",
        "integration",
        description="Plugin type.",
    ),
]
Hook = Annotated[
    str,
    ChoiceOf(
        "pre_collect_metrics",
        "post_collect_metrics",
        "cost_entry_received",
        "budget_threshold_exceeded",
        "recommendation_generated",
        "dashboard_render",
        description="Event hook.",
    ),
]


@register_kind(
    "plugin",
    section="plugins",
    seed="1.1, 1.2",
    immutable=("type", "source"),
    secret_fields=("secrets.*",),
)
class Plugin(KindModel):
    """A plugin the platform loads (telemetry, attribution, export ...), its
    version, hooks and configuration. The object name is the plugin name."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    type: PluginType = Field(
        description="telemetry, cost_attribution, recommendation, dashboard, export or integration."
    )
    source: str | None = Field(
        None, description="Package or URL it is installed from (default: the name)."
    )
    version: VersionSpec = Field("*", description="Version or range: 1.2.0, ~> 1.0, >=1.0,<2.")
    hooks: list[Hook] = Field(
        default_factory=new_list, description="Event hooks the plugin subscribes to."
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Passed to initialize(config); no secrets here, use `secrets`.",
    )
    secrets: dict[str, SecretRef] = Field(
        default_factory=dict, description="Secret settings: name -> ${env:NAME} / ${file:PATH}."
    )

    @field_validator("config")
    @classmethod
    def _no_secret_values(cls, config: dict[str, Any]) -> dict[str, Any]:
        found = scan_for_secrets(config)
        if found:
            path, what = found
            raise custom_error(
                "secret_literal",
                "config holds {what} as a literal; move it to `secrets` as ${env:NAME}",
                at=path,
                what=what,
            )
        return config
