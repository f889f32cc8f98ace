"""The declared contexts a condition may read (``resource.*``, ``requester.*``, ``team.*``).

A condition can only name attributes declared here, which is what makes it
safe (nothing outside the contexts is reachable) and checkable (every path has
a type). Projects add attributes with ``settings.attributes`` in their YAML.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from finopsmetrics_cli.conditions.errors import AttributeSchemaError

SCALAR_TYPES = ("string", "number", "percent", "bool", "duration")
TYPE_NAMES = (*SCALAR_TYPES, "list<string>", "list<number>", "map<string>", "map<number>")
"""Every type name ``settings.attributes`` accepts (``boolean`` is read as ``bool``)."""

_ALIASES = {"boolean": "bool", "str": "string", "float": "number", "int": "number",
            "integer": "number", "list<str>": "list<string>", "map<str>": "map<string>"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_CLEAN_KEYS = 65_536
"""Check keys one schema remembers before it starts over."""


def base_type(type_name: str) -> str:
    """The type a value is compared as: a percent is a number (5% == 0.05)."""
    if type_name == "percent":
        return "number"
    if type_name == "list<percent>":
        return "list<number>"
    return type_name


@dataclass(frozen=True, slots=True)
class Attribute:
    """A declared attribute ``context.name`` of ``type``; ``builtin`` unless a project added it."""

    context: str
    name: str
    type: str
    description: str = ""
    builtin: bool = True

    @property
    def path(self) -> str:
        return f"{self.context}.{self.name}"


def _attrs(context: str, rows: list[tuple[str, str, str]]) -> dict[str, Attribute]:
    return {name: Attribute(context, name, t, doc) for name, t, doc in rows}


_RESOURCE = [
    ("id", "string", "Provider identifier (instance id, ARN, bucket name)."),
    ("name", "string", "Display name."),
    ("type", "string", "Resource type, e.g. `ec2_instance`, `s3_bucket`, `rds_instance`."),
    ("provider", "string", "Cloud or platform: `aws`, `gcp`, `azure`, `kubernetes`, ..."),
    ("account", "string", "Account, subscription or project id."),
    ("region", "string", "Region, e.g. `eu-west-1`."),
    ("environment", "string", "Environment, e.g. `dev`, `prod`, `production`."),
    ("service", "string", "Service the resource belongs to (e.g. `ml-training`)."),
    ("instance_type", "string", "Instance size, e.g. `p4d.24xlarge`."),
    ("instance_family", "string", "Instance family, e.g. `p4`, `m5`."),
    ("state", "string", "Lifecycle state, e.g. `running`, `stopped`."),
    ("owner", "string", "Owner (person or team) after ownership rules ran."),
    ("team", "string", "Owning team."),
    ("cost_center", "string", "Cost center."),
    ("creator_email", "string", "E-mail of whoever created the resource."),
    ("cpu_avg_7d", "percent", "Average CPU utilisation over 7 days (0..1, write `5%`)."),
    ("cpu_avg_30d", "percent", "Average CPU utilisation over 30 days (0..1)."),
    ("memory_avg_30d", "percent", "Average memory utilisation over 30 days (0..1)."),
    ("idle_hours", "number", "Hours since the resource was last busy (a number: `> 48`)."),
    ("age", "duration", "Time since creation (compare with `24h`, `7d`)."),
    ("encryption_enabled", "bool", "Whether data at rest is encrypted."),
    ("contains_pii", "bool", "Whether the resource holds personal data."),
    ("cost_monthly", "number", "Cost over the last 30 days, in the billing currency."),
    ("cost_daily", "number", "Cost over the last day, in the billing currency."),
    ("tags", "map<string>", "Tags/labels: `resource.tags.team`, `resource.tags[\"cost-center\"]`."),
]
_REQUESTER = [
    ("id", "string", "User or principal id of whoever asks for the change."),
    ("email", "string", "E-mail of the requester."),
    ("name", "string", "Display name of the requester."),
    ("role", "string", "Role, e.g. `cto`, `infrastructure_leader`, `engineer`."),
    ("team", "string", "Team of the requester."),
    ("groups", "list<string>", "Groups the requester belongs to."),
]
_TEAM = [
    ("name", "string", "Team name."),
    ("cost_center", "string", "Team cost center."),
    ("budget_monthly", "number", "Monthly budget, in the billing currency."),
    ("spend_current_month", "number", "Spend so far this month."),
    ("spend_last_month", "number", "Spend last month."),
    ("forecast_month_end", "number", "Forecast spend at the end of this month."),
    ("owners", "list<string>", "Team owners."),
    ("members", "list<string>", "Team members."),
]
CONTEXT_DOCS = {
    "resource": "The cloud resource being checked or acted on.",
    "requester": "Who asked for the change (policies that gate provisioning).",
    "team": "The team that owns the resource or the budget.",
}


class AttributeSchema:
    """Immutable set of contexts and their typed attributes.

    It also remembers the check keys (see :mod:`.shapes`) of the conditions
    that type-checked clean against it: a condition with the same key is clean
    without checking it again.
    """

    __slots__ = ("_contexts", "_clean")

    def __init__(self, contexts: Mapping[str, Mapping[str, Attribute]]) -> None:
        self._contexts = MappingProxyType(
            {ctx: MappingProxyType(dict(attrs)) for ctx, attrs in contexts.items()}
        )
        self._clean: set[Hashable] = set()

    def checked_clean(self, key: Hashable) -> bool:
        """Whether a condition with this check key type-checked without errors here."""
        return key in self._clean

    def remember_clean(self, key: Hashable) -> None:
        if len(self._clean) >= MAX_CLEAN_KEYS:
            self._clean.clear()
        self._clean.add(key)

    @classmethod
    def default(cls) -> AttributeSchema:
        """The built-in contexts (shared, immutable)."""
        return _default_schema()

    @property
    def contexts(self) -> Mapping[str, Mapping[str, Attribute]]:
        return self._contexts

    def lookup(self, context: str, name: str) -> Attribute | None:
        attrs = self._contexts.get(context)
        return attrs.get(name) if attrs is not None else None

    def extend(self, mapping: Mapping[str, Mapping[str, str]] | None) -> AttributeSchema:
        """A new schema with a project's ``settings.attributes`` added.

        ``{"resource": {"gpu_count": "number"}}``; new contexts are allowed.
        Redeclaring a built-in attribute with another type is an error, since
        the engine fills built-ins with values of their declared type.
        """
        if not mapping:
            return self
        contexts = {ctx: dict(attrs) for ctx, attrs in self._contexts.items()}
        if not isinstance(mapping, Mapping):
            raise AttributeSchemaError(
                "settings.attributes must map a context to its attributes", (),
                hint='e.g. attributes: {resource: {gpu_count: number}}',
            )
        for ctx, attrs in mapping.items():
            _check_name(ctx, (str(ctx),))
            if not isinstance(attrs, Mapping):
                raise AttributeSchemaError(
                    f"settings.attributes.{ctx} must map attribute names to types", (ctx,),
                    hint="e.g. gpu_count: number",
                )
            target = contexts.setdefault(ctx, {})
            for name, type_name in attrs.items():
                _check_name(name, (ctx, str(name)))
                canonical = _canonical_type(type_name, (ctx, name))
                existing = target.get(name)
                if existing is not None and existing.builtin and existing.type != canonical:
                    raise AttributeSchemaError(
                        f"{ctx}.{name} is built in as {existing.type}; it cannot be "
                        f"redeclared as {canonical}", (ctx, name),
                        hint="remove it from settings.attributes or pick another name",
                    )
                if existing is None or not existing.builtin:
                    target[name] = Attribute(ctx, name, canonical, "", builtin=False)
        return AttributeSchema(contexts)


def _check_name(name: object, path: tuple[str, ...]) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise AttributeSchemaError(
            f"{name!r} is not a valid attribute or context name", path,
            hint="use letters, digits and _ (not starting with a digit)",
        )


def _canonical_type(type_name: object, path: tuple[str, ...]) -> str:
    text = str(type_name).strip().lower().replace(" ", "") if type_name is not None else ""
    text = _ALIASES.get(text, text)
    if text in TYPE_NAMES:
        return text
    import difflib

    close = difflib.get_close_matches(text, TYPE_NAMES, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise AttributeSchemaError(
        f"unknown attribute type {type_name!r} for {'.'.join(path)}", path,
        hint=hint + "types are " + ", ".join(TYPE_NAMES),
    )


@lru_cache(maxsize=1)
def _default_schema() -> AttributeSchema:
    return AttributeSchema({
        "resource": _attrs("resource", _RESOURCE),
        "requester": _attrs("requester", _REQUESTER),
        "team": _attrs("team", _TEAM),
    })
