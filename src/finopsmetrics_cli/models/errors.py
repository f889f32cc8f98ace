"""Stable codes for the validation errors the models raise themselves.

Pydantic's own error types (``missing``, ``extra_forbidden``, ``int_type`` ...)
are mapped by the loader to its schema codes (``config/codes.py``: E201 unknown
field, E202 missing, E203 wrong type, E204 invalid value); every custom error
type raised in ``models/`` is listed here with its own code, E211 and up
(``secret_literal`` shares the loader's E205), so that a code never changes
when a message is reworded. ``docs/reference/file-format.md`` renders
:data:`ERROR_CODES` as a table (generated, see ``tools/generate.py``).

Locating an error: pydantic cannot place an error raised by a list- or
model-level validator below the field it validates. Such errors carry the rest
of the path in their context as ``ctx["at"]`` (a tuple, e.g. ``(1, "position")``
for ``widgets`` -> ``widgets.1.position``); :func:`error_path` joins the two, and
the loader uses it to find the YAML node. ``ctx["hint"]`` carries the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pydantic_core import PydanticCustomError


class ErrorCode(NamedTuple):
    code: str
    title: str
    hint: str | None = None


ERROR_CODES: dict[str, ErrorCode] = {
    "invalid_percent": ErrorCode(
        "E211", "not a number or a percent such as 80%", "write a fraction (0.8) or a percent (80%)"
    ),
    "threshold_range": ErrorCode(
        "E212",
        "threshold outside 0 < t <= 10 (1.0 = 100%)",
        "1.0 (or 100%) is the full amount; 0.8 alerts at 80%",
    ),
    "ratio_range": ErrorCode(
        "E213",
        "ratio outside 0..1 (0% .. 100%)",
        "write a fraction between 0 and 1, or a percent up to 100%",
    ),
    "invalid_duration": ErrorCode(
        "E214",
        "not a duration such as 30m, 24h, 7d",
        "a number and a unit: 30m (minutes), 24h, 7d, 2w",
    ),
    "invalid_horizon": ErrorCode(
        "E215",
        "not a horizon such as 90d, 6m (months), 1y",
        "a number and a unit: 90d, 6m (months), 1y",
    ),
    "invalid_currency": ErrorCode("E216", "not an ISO 4217 currency code"),
    "invalid_cron": ErrorCode(
        "E217",
        "not a 5-field cron expression",
        'five fields, e.g. "0 9 * * MON" (9am every Monday)',
    ),
    "invalid_regex": ErrorCode("E218", "regular expression does not compile or is too long"),
    "invalid_email": ErrorCode("E219", "not an email address"),
    "invalid_choice": ErrorCode("E220", "value not among the allowed choices"),
    "secret_not_reference": ErrorCode(
        "E221",
        "secret field does not hold ${env:..}/${file:..}",
        "put the value in an environment variable and write ${env:NAME} (or ${file:/path})",
    ),
    "secret_literal": ErrorCode(
        "E205",
        "a literal secret (webhook URL, token, key) in the file",
        "put the value in an environment variable and write ${env:NAME} (or ${file:/path})",
    ),
    "invalid_layout": ErrorCode(
        "E222",
        "dashboard layout is not COLSxROWS_grid",
        "write the grid as COLUMNSxROWS_grid, e.g. 3x3_grid",
    ),
    "widget_outside_grid": ErrorCode(
        "E223",
        "dashboard widget does not fit the grid",
        "move or shrink the widget, or enlarge the layout",
    ),
    "widget_overlap": ErrorCode(
        "E224",
        "dashboard widgets overlap",
        "give each widget its own cells (position [x, y], size [w, h])",
    ),
    "shares_sum": ErrorCode(
        "E225", "allocation shares do not sum to 100%", "make the shares add up to 100%"
    ),
    "allocated_cost_mismatch": ErrorCode(
        "E226",
        "allocated_cost differs from share x total",
        "allocated_cost is computed: fix it or leave it out",
    ),
    "empty_stages": ErrorCode(
        "E227", "approval workflow has no stages", "add at least one stage with approvers"
    ),
    "not_positive": ErrorCode("E228", "value must be greater than zero"),
    "invalid_name": ErrorCode("E229", "object name is empty or has control characters"),
    "missing_one_of": ErrorCode("E230", "none of the alternative fields is set"),
    "duplicate_item": ErrorCode("E231", "the same entry appears twice"),
    "invalid_version": ErrorCode("E232", "not a version or version range"),
    "invalid_body": ErrorCode("E233", "section entry has the wrong shape"),
    "invalid_identifier": ErrorCode("E235", "not an identifier (letters, digits, _ - .)"),
    "invalid_change": ErrorCode("E236", "scenario change is not +N%, -N% or a named change"),
    "invalid_time": ErrorCode("E237", "not a time of day HH:MM or a date YYYY-MM-DD"),
    "invalid_timezone": ErrorCode(
        "E238",
        "not an IANA time zone",
        "use an IANA name such as UTC, Europe/Paris or America/New_York",
    ),
    "not_deliverable": ErrorCode(
        "E239",
        "channel type that cannot deliver yet (jira, servicenow, sms)",
        "route these alerts to a webhook channel and forward them from there",
    ),
}


def custom_error(
    error_type: str,
    message: str,
    at: Sequence[str | int] = (),
    *,
    hint: str | None = None,
    **ctx: Any,
) -> PydanticCustomError:
    """A pydantic error of a registered type; ``at`` is the path below the
    validated field; ``ctx["hint"]`` is the fix (the type's default hint unless given)."""
    if error_type not in ERROR_CODES:  # a programming error, caught by the unit tests
        raise KeyError(f"unregistered error type {error_type!r}")
    context: dict[str, Any] = dict(ctx)
    if at:
        context["at"] = tuple(at)
    hint = hint or ERROR_CODES[error_type].hint
    if hint:
        context["hint"] = hint
    return PydanticCustomError(error_type, message, context or None)


def code_for(error_type: str) -> str | None:
    """The stable code of a custom error type, or None for pydantic's own types."""
    entry = ERROR_CODES.get(error_type)
    return entry.code if entry else None


def error_path(error: Mapping[str, Any]) -> tuple[str | int, ...]:
    """Full path of one ``ValidationError.errors()`` entry, including ``ctx["at"]``."""
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    return loc + tuple(ctx.get("at", ()))
