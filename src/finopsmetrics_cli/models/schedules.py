"""Time values: durations (``24h`` == ``1d``), forecast horizons (``6m`` =
six months) and 5-field cron expressions with month and day names."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.fieldtype import FieldType

# ------------------------------------------------------------------- durations

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_CANONICAL_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"^(?:\d+\s*[smhdw]\s*)+$")
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")


def duration_seconds(text: str) -> int:
    """Seconds of a (canonical or not) duration string; ValueError if malformed."""
    compact = text.strip().lower()
    if not compact or not _DURATION.match(compact):
        raise ValueError(text)
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(compact))


def format_duration(seconds: int) -> str:
    """The largest exact unit: 172800 -> ``2d``, 5400 -> ``90m``."""
    for unit, size in _CANONICAL_UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: seconds is an integer")  # pragma: no cover


def _duration(value: Any) -> str:
    if isinstance(value, str):
        try:
            seconds = duration_seconds(value)
        except ValueError:
            seconds = -1
        if seconds > 0:
            return format_duration(seconds)
        if seconds == 0:
            raise custom_error(
                "invalid_duration",
                "duration must be longer than zero, got {value}",
                value=repr(value),
            )
    raise custom_error(
        "invalid_duration",
        "expected a duration such as 30m, 24h, 7d or 2w (s, m=minutes, h, d, w), got {value}",
        value=repr(value),
    )


Duration = Annotated[
    str,
    FieldType(
        _duration,
        {
            "type": "string",
            "pattern": r"^\s*(\d+\s*[smhdwSMHDW]\s*)+$",
            "description": "A duration: 30m, 24h, 7d, 2w (m = minutes).",
        },
        doc="duration (30m, 24h, 7d, 2w)",
    ),
]

_HORIZON = re.compile(r"^\s*(\d+)\s*(d|w|m|mo|y)\s*$", re.IGNORECASE)


def _horizon(value: Any) -> str:
    match = _HORIZON.match(value) if isinstance(value, str) else None
    if match and int(match[1]) > 0:
        count, unit = int(match[1]), match[2].lower()
        if unit in ("d", "w"):
            return f"{count * (7 if unit == 'w' else 1)}d"
        months = count * (12 if unit == "y" else 1)
        return f"{months // 12}y" if months % 12 == 0 else f"{months}m"
    raise custom_error(
        "invalid_horizon",
        "expected a horizon such as 90d, 6m (months) or 1y, got {value}",
        value=repr(value),
    )


Horizon = Annotated[
    str,
    FieldType(
        _horizon,
        {
            "type": "string",
            "pattern": r"^\s*\d+\s*([dDwWmMyY]|[mM][oO])\s*$",
            "description": "A forecast horizon: 90d, 2w, 6m (m = MONTHS here), 1y.",
        },
        doc="horizon (90d, 6m = months, 1y)",
    ),
]

# ------------------------------------------------------------------------ cron

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_CRON_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_CRON_ITEM = re.compile(r"^(\*|[A-Z0-9]+)(?:-([A-Z0-9]+))?(?:/(\d+))?$")


def _cron_value(token: str, low: int, high: int, names: dict[str, int]) -> int | None:
    number = names.get(token) if not token.isdigit() else int(token)
    return number if number is not None and low <= number <= high else None


def cron_problem(expression: str) -> str | None:
    """Why a cron expression is invalid, or None. Five fields; month/day names allowed."""
    fields = expression.split()
    if len(fields) == 1 and fields[0].lower() in _CRON_MACROS:
        return None
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    for text, (label, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.upper().split(","):
            match = _CRON_ITEM.match(item)
            if not match:
                return f"{label} field {text!r} is malformed"
            start, end, step = match.groups()
            if step is not None and int(step) < 1:
                return f"{label} field {text!r} has a zero step"
            if start == "*":
                if end is not None:
                    return f"{label} field {text!r} is malformed"
                continue
            first = _cron_value(start, low, high, names)
            last = first if end is None else _cron_value(end, low, high, names)
            if first is None or last is None:
                return f"{label} field {text!r} is out of range {low}-{high}"
            if first > last:
                return f"{label} field {text!r} has a range that runs backwards"
    return None


def _cron(value: Any) -> str:
    if isinstance(value, str):
        problem = cron_problem(value)
        if problem is None:
            fields = value.split()
            return fields[0].lower() if len(fields) == 1 else " ".join(f.upper() for f in fields)
        raise custom_error(
            "invalid_cron",
            "invalid cron expression {value}: {problem}",
            value=repr(value),
            problem=problem,
        )
    raise custom_error(
        "invalid_cron",
        'expected a cron expression such as "0 9 * * MON", got {value}',
        value=repr(value),
    )


Cron = Annotated[
    str,
    FieldType(
        _cron,
        {
            "type": "string",
            "pattern": r"^\s*(@[a-zA-Z]+|\S+(\s+\S+){4})\s*$",
            "description": "5-field cron: minute hour day-of-month month day-of-week.",
        },
        doc="cron (5 fields)",
    ),
]


@lru_cache(maxsize=256)
def _known_zone(name: str) -> bool | None:
    """True/False if the zone exists; None when this machine has no zone data."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    try:
        zoneinfo.ZoneInfo("Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        return None  # no tz database installed: accept rather than reject everything
    return False


def _timezone(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        name = value.strip()
        if name.upper() in ("UTC", "Z", "GMT"):
            return "UTC"
        if _known_zone(name) is not False:
            return name
    raise custom_error(
        "invalid_timezone",
        "expected an IANA time zone such as UTC or Europe/Paris, got {value}",
        value=repr(value),
    )


TimeZone = Annotated[
    str,
    FieldType(
        _timezone,
        {"type": "string", "minLength": 1},
        doc="IANA time zone (UTC, Europe/Paris)",
    ),
]
