"""Where billing data comes from: the ``cost_source`` kind (``cost_sources:``).

A source is declared like every control so that Terraform and Pulumi can
manage it too; ``costs sync`` reads the sources of live state. Credentials are
never fields here: each cloud's SDK finds them in its standard chain.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import Field, StrictBool, model_validator

from finopsmetrics_cli.models.base import KindModel, register_kind
from finopsmetrics_cli.models.common import description_field, enabled_field
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import ChoiceOf, new_list

#: Types read from files (a path or glob, s3:// or azure://) vs. from an API.
FILE_SOURCE_TYPES = ("focus", "aws_cur", "azure_export", "oci")
API_SOURCE_TYPES = ("aws_cost_explorer", "gcp_bigquery")

SourceType = Annotated[
    str,
    ChoiceOf(
        "focus",
        "aws_cur",
        "aws_cost_explorer",
        "azure_export",
        "gcp_bigquery",
        "oci",
        description="What the billing data is and how it is read.",
    ),
]
SourceFormat = Annotated[
    str, ChoiceOf("auto", "csv", "parquet", description="File format (auto: from the content).")
]
_BIGQUERY_TABLE = re.compile(r"^[A-Za-z0-9_.:-]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_$*-]+$")
_SCHEMES = ("s3://", "azure://")


@register_kind("cost_source", section="cost_sources")
class CostSource(KindModel):
    """Billing data that `costs sync` brings into the cost store: FOCUS files, AWS CUR,
    Cost Explorer, Azure exports, the GCP billing export in BigQuery, or OCI cost
    reports. Credentials come from each cloud's standard chain, never from here."""

    description: str | None = description_field()
    enabled: StrictBool = enabled_field()
    type: SourceType = Field(
        description="focus, aws_cur, aws_cost_explorer, azure_export, gcp_bigquery or oci."
    )
    location: str | None = Field(
        None,
        description="Files: a path, directory or glob, s3://BUCKET/PREFIX or "
        "azure://ACCOUNT/CONTAINER/PREFIX; gcp_bigquery: PROJECT.DATASET.TABLE; "
        "not used by aws_cost_explorer.",
    )
    format: SourceFormat = Field("auto", description="auto, csv (plain or gzip) or parquet.")
    tag_keys: list[str] = Field(
        default_factory=new_list,
        description="aws_cost_explorer: the cost allocation tag keys to group by.",
    )

    @model_validator(mode="after")
    def _location_fits_type(self) -> Self:
        location = (self.location or "").strip()
        if self.type == "aws_cost_explorer":
            if location:
                raise custom_error(
                    "invalid_choice",
                    "aws_cost_explorer reads the Cost Explorer API and takes no location",
                    at=("location",),
                    hint="remove `location`; the account comes from the AWS credentials",
                )
            return self
        if not location:
            raise custom_error(
                "missing_one_of",
                "a {type} source needs a location",
                type=self.type,
                hint="gcp_bigquery: PROJECT.DATASET.TABLE"
                if self.type == "gcp_bigquery"
                else "a path or glob, s3://BUCKET/PREFIX or azure://ACCOUNT/CONTAINER/PREFIX",
            )
        if self.type == "gcp_bigquery":
            if not _BIGQUERY_TABLE.match(location):
                raise custom_error(
                    "invalid_choice",
                    "a gcp_bigquery location is a table PROJECT.DATASET.TABLE, got {value}",
                    at=("location",),
                    value=repr(location),
                    hint="e.g. my-project.billing.gcp_billing_export_v1_0123AB_4567CD_89EF01",
                )
        elif "://" in location and not location.startswith(_SCHEMES):
            raise custom_error(
                "invalid_choice",
                "unsupported location {value}: files are read from a path, s3:// or azure://",
                at=("location",),
                value=repr(location),
                hint="a path or glob, s3://BUCKET/PREFIX or azure://ACCOUNT/CONTAINER/PREFIX",
            )
        if self.tag_keys and self.type != "aws_cost_explorer":
            raise custom_error(
                "invalid_choice",
                "tag_keys is only used by aws_cost_explorer sources ({type} rows carry "
                "their own tags)",
                at=("tag_keys",),
                type=self.type,
                hint="remove tag_keys",
            )
        return self
