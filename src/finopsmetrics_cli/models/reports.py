"""Scheduled and triggered reports (seed 7.1)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, register_kind
from finopsmetrics_cli.models.common import (
    channel_ref,
    description_field,
    enabled_field,
    persona_ref,
)
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.schedules import TimeZone
from finopsmetrics_cli.models.types import (
    ChoiceOf,
    Cron,
    Duration,
    Identifier,
    IdentifierList,
    RefNameList,
    new_list,
)

ReportFormat = Annotated[
    str,
    ChoiceOf(
        "pdf",
        "excel",
        "csv",
        "json",
        "html",
        "markdown",
        "slack_message",
        "email",
        description="Output format.",
    ),
]


@register_kind(
    "report",
    section="reports",
    seed="7.1",
    references=(persona_ref("recipients.*"), channel_ref("channels.*")),
)
class Report(KindModel):
    """A report rendered from a template on a cron schedule and/or on an event."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    template: Identifier = Field(
        description="Report template: executive_summary, team_chargeback ..."
    )
    schedule: Cron | None = Field(
        None, description='5-field cron, e.g. "0 9 * * MON" (9am every Monday).'
    )
    timezone: TimeZone = Field("UTC", description="IANA time zone the schedule is read in.")
    trigger: Identifier | None = Field(
        None, description="Event that also produces the report, e.g. anomaly_detected."
    )
    recipients: RefNameList = Field(
        default_factory=new_list, description="Personas, teams or emails receiving the report."
    )
    channels: RefNameList = Field(
        default_factory=new_list,
        description="Channels the report is delivered through (default: email).",
    )
    format: ReportFormat = Field(
        "pdf", description="pdf, excel, csv, json, html, markdown, slack_message or email."
    )
    sections: IdentifierList = Field(default_factory=new_list, description="Sections, in order.")
    breakdown: IdentifierList = Field(
        default_factory=new_list, description="Dimensions to break costs down by: team, project ..."
    )
    time_range: Duration | None = Field(
        None, description="Period covered, e.g. 30d (default: since last run)."
    )

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.schedule is None and self.trigger is None:
            raise custom_error("missing_one_of", "a report needs a schedule or a trigger")
        if len(set(self.sections)) != len(self.sections):
            dup = next(s for i, s in enumerate(self.sections) if s in self.sections[:i])
            index = len(self.sections) - 1 - self.sections[::-1].index(dup)
            raise custom_error(
                "duplicate_item", "section {value} appears twice", at=("sections", index), value=dup
            )
        return self
