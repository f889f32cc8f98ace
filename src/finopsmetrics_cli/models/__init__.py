"""The kinds of the file format. Importing this package registers every kind
(one module per family); see ``base.py`` for the registry."""

from __future__ import annotations

# Import order is registration order, which follows SPEC section 2's table.
# isort: off
from finopsmetrics_cli.models import (  # noqa: F401  (importing registers the kinds)
    budgets,
    governance,
    tagging,
    optimization,
    dashboards,
    notifications,
    reports,
    ownership,
    allocation,
    org,
    costs,
)

# isort: on
from finopsmetrics_cli.models.base import (
    KindInfo,
    KindModel,
    Lifecycle,
    Ref,
    StrictModel,
    all_sections,
    get_kind,
    kind_for_section,
    kinds,
    make_address,
    register_kind,
    split_address,
)

__all__ = [
    "KindInfo",
    "KindModel",
    "Lifecycle",
    "Ref",
    "StrictModel",
    "all_sections",
    "get_kind",
    "kind_for_section",
    "kinds",
    "make_address",
    "register_kind",
    "split_address",
]
