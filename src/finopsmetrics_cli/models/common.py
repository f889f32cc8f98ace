"""Pieces shared by several kind families: channel types, severities, and the
reference declarations that more than one kind uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from finopsmetrics_cli.models.base import Ref
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import ChoiceOf

# Channel types usable by name without declaring a notification_channel.
CHANNEL_TYPES: frozenset[str] = frozenset(
    {"slack", "teams", "email", "pagerduty", "webhook", "sms", "jira", "servicenow"}
)

Severity = Annotated[str, ChoiceOf("low", "medium", "high", "critical")]
Priority = Annotated[str, ChoiceOf("low", "medium", "high", "critical")]


def channel_ref(path: str) -> Ref:
    """A hard reference to a notification channel or a built-in channel type."""
    return Ref(path, "notification_channel", builtins=CHANNEL_TYPES)


def persona_ref(path: str, *, builtins: frozenset[str] = frozenset()) -> Ref:
    """A soft reference to a persona/role (declared by notification_rule.persona):
    a warning, never an error, so that every seed snippet validates alone.
    Email addresses and ``#channels`` are people, not personas: never flagged."""
    return Ref(
        path, "notification_rule", builtins=builtins, required=False, severity="warning",
        people=True,
    )


def notification_ref(path: str) -> Ref:
    """Who a policy or automation rule notifies: a channel type, a declared
    notification_channel, or a persona routed by a notification_rule. Checked
    against all three, always; an unknown name is a warning (personas such as
    ``finance`` need not be declared), with "did you mean"."""
    return Ref(
        path,
        "notification_channel",
        builtins=CHANNEL_TYPES,
        severity="warning",
        people=True,
        also=("notification_rule",),
    )


def team_ref(path: str) -> Ref:
    """A team name: checked (as an error) only when the file declares teams."""
    return Ref(path, "team", required=False)


def description_field() -> Any:
    return Field(None, description="Free text shown in plans, docs and dashboards.")


def enabled_field() -> Any:
    return Field(True, description="false keeps the object declared but inactive.")


def reject_duplicates(items: Sequence[Any], key: str, what: str) -> None:
    """Raise ``duplicate_item`` at ``<index>.<key>`` of the second occurrence."""
    seen: set[Any] = set()
    for index, item in enumerate(items):
        value = getattr(item, key)
        marker = tuple(value) if isinstance(value, list) else value
        if marker in seen:
            raise custom_error(
                "duplicate_item",
                "{what} {value} appears twice",
                at=(index, key),
                what=what,
                value=repr(value),
            )
        seen.add(marker)
