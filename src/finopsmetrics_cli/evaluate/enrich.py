"""The view ``costs_enriched``: cost rows with virtual tags, allocations and business
entities applied, compiled to one SQL view from the declared objects.

The store's own ``costs_enriched`` is plain ``costs``; a reader that knows the
objects (live state, or a configuration for a what-if) replaces it for its
session with a temporary view of the same name, so ``costs query``, ``costs
show``, budgets and detectors all see the same rows. Nothing is written to the
store, and nothing to a cloud.

Columns added to the FOCUS rows:

- ``x_VirtualTags.KEY`` (one column per key) and the map ``x_VirtualTags`` built
  from them (only when read): virtual tag values. Per ``virtual_tag`` object, the
  first match wins: its explicit per-resource mappings, then its rules in
  order (regex or condition), then its default. Objects apply in name order;
  then ``tag_rule`` tags (what a rule would set), then ``ownership_rule``
  values. Readers take a row's own tag first and the virtual one where it has
  none (SPEC: "A row's tag is its own tag ...").
- ``x_Business.TYPE`` and the map ``x_Business``: entity type -> the first
  ``business_mapping`` (in name order) whose globs or selectors match; NULL is
  the unallocated remainder.
- ``x_Allocation``, ``x_AllocationTarget``: rows of a ``cost_allocation``'s
  shared resource are split into one row per target, every cost column
  multiplied by the target's share. The split telescopes over cumulative
  shares (``round(c * hi) - round(c * lo)``, the last ``hi`` exactly 1), so
  the parts sum exactly to the row: totals are conserved to the cent and
  beyond. The target is the split row's ``service``/``team``/``project`` tag
  (in ``Tags`` too: the allocation decides over the shared resource's own tag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.evaluate.model import Control
from finopsmetrics_cli.evaluate.sqltext import (
    EMPTY_MAP,
    any_of,
    glob_sql,
    inline,
    literal,
    quote,
    row_column,
)

if TYPE_CHECKING:
    from finopsmetrics_cli.conditions import AttributeSchema
    from finopsmetrics_cli.evaluate.engine import EngineAdapter

ENRICHMENT_KINDS = (
    "virtual_tag",
    "tag_rule",
    "ownership_rule",
    "cost_allocation",
    "business_mapping",
)
VIEW = "costs_enriched"
VIRTUAL = "x_VirtualTags"
BUSINESS = "x_Business"
COST_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
OWN_TAGS = '"Tags"'
#: where ownership_rule sources are read on a cost row
CREATOR_TAGS = ("creator", "created_by", "aws:createdBy", "CreatedBy", "creator_email")
NAMESPACE_TAGS = ("kubernetes_namespace", "namespace", "k8s_namespace", "k8s-namespace")


@dataclass(slots=True)
class Enrichment:
    """The compiled view and what could not be compiled (one warning each)."""

    select: str | None  # None: no enrichment objects (the store's view stays)
    warnings: list[str] = field(default_factory=list)
    virtual_keys: set[str] = field(default_factory=set)
    entity_types: set[str] = field(default_factory=set)
    allocations: list[str] = field(default_factory=list)


class Builder:
    def __init__(self, schema: AttributeSchema | None) -> None:
        self.schema = schema
        self.warnings: list[str] = []
        self.keys: set[str] = set()
        self.column = row_column(OWN_TAGS)

    def condition(self, where: str, text: str) -> str | None:
        from finopsmetrics_cli.conditions import ConditionError, ConditionErrors, compile_condition

        try:
            condition = compile_condition(text, self.schema)
            unknown = sorted(a for a in condition.attributes if not self._answers(a))
            if not unknown:
                return inline(condition.to_sql(self.column))
            reason = f"cost rows do not have {', '.join(unknown)}"
        except (ConditionError, ConditionErrors) as exc:
            reason = str(exc).splitlines()[0]
        self.warnings.append(
            f"{where}: the condition cannot be evaluated ({reason}); it matches nothing"
        )
        return None

    def _answers(self, attribute: str) -> bool:
        parts = attribute.split(".")
        return self.column(attribute) is not None or (
            len(parts) == 3 and self.column(".".join(parts[:2])) is not None
        )

    def selector(self, control: Control) -> str | None:
        """The rows a tag rule is about (TRUE: every row); None if it cannot be evaluated."""
        spec = control.spec
        selectors: list[str] = []
        if spec.get("pattern"):
            selectors.append(_regex_on_resource(spec["pattern"]))
        if spec.get("resource_type"):
            selectors.append(f'("ResourceType" = {literal(spec["resource_type"])})')
        if spec.get("condition"):
            sql = self.condition(control.address, spec["condition"])
            if sql is None:
                return None
            selectors.append(sql)
        return " AND ".join(selectors) if selectors else "TRUE"


class KeyBuilder(Builder):
    """The same rules as per-key values: one SQL expression per virtual key and object,
    so that reading ``x_VirtualTags.KEY`` computes that key alone (a map per row costs
    ten times the scan)."""

    def virtual_values(self, control: Control) -> dict[str, str]:
        spec = control.spec
        mappings: Mapping[str, Mapping[str, Any]] = spec.get("mappings") or {}
        rules: list[tuple[str, Mapping[str, Any]]] = []
        for index, rule in enumerate(spec.get("rules") or ()):
            parts = []
            if rule.get("resource_pattern"):
                parts.append(_regex_on_resource(rule["resource_pattern"]))
            if rule.get("condition"):
                sql = self.condition(f"{control.address} rules[{index}]", rule["condition"])
                if sql is None:
                    continue
                parts.append(sql)
            rules.append((" AND ".join(parts), rule.get("tags") or {}))
        default: Mapping[str, Any] = spec.get("default") or {}
        keys = {k for t in mappings.values() for k in t} | {k for _, t in rules for k in t}
        keys |= set(default)
        self.keys.update(keys)
        out = {}
        for key in sorted(keys):
            whens = []
            if mappings:
                ids = ", ".join(literal(i) for i in mappings)
                having = ", ".join(
                    f"{literal(i)}: {literal(str(t[key]))}" for i, t in mappings.items() if key in t
                )
                value = f'MAP {{{having}}}["ResourceId"]' if having else "NULL::VARCHAR"
                whens.append(f'WHEN "ResourceId" IN ({ids}) THEN {value}')
            whens += [f"WHEN {when} THEN {_lit(tags.get(key))}" for when, tags in rules]
            fallback = _lit(default.get(key))
            out[key] = f"(CASE {' '.join(whens)} ELSE {fallback} END)" if whens else fallback
        return out

    def rule_values(self, control: Control) -> dict[str, str]:
        spec = control.spec
        if spec.get("enabled") is False:
            return {}
        selector = self.selector(control)
        if selector is None:
            return {}
        values = dict(spec.get("tags") or {})
        inferred: dict[str, str] = {}
        source = spec.get("infer_from")
        if source:  # `tags: {team: auto_detect}` + infer_from: the value comes from there
            inferred = {key: _infer_sql(str(source)) for key in values}
            values = {}
        for item in spec.get("inference_rules") or ():
            inferred[item["tag"]] = _infer_sql(str(item["infer_from"]))
        if spec.get("ml_prediction"):
            self.warnings.append(
                f"{control.address}: ml_prediction is not run over cost data; "
                "its tags are not inferred"
            )
        rules = []
        for index, rule in enumerate(spec.get("rules") or ()):
            sql = self.condition(f"{control.address} rules[{index}]", rule["condition"])
            if sql is not None:
                rules.append((sql, rule.get("tags") or {}))
        keys = set(values) | set(inferred) | {k for _, t in rules for k in t}
        self.keys.update(keys)
        out = {}
        for key in sorted(keys):
            parts = [_lit(values[key])] if key in values else []
            parts += [inferred[key]] if key in inferred else []
            if rules:
                whens = " ".join(f"WHEN {when} THEN {_lit(tags.get(key))}" for when, tags in rules)
                parts.append(f"(CASE {whens} END)")
            value = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
            out[key] = value if selector == "TRUE" else f"(CASE WHEN {selector} THEN {value} END)"
        return out

    def owner_values(self, control: Control) -> dict[str, str]:
        spec = control.spec
        if spec.get("enabled") is False:
            return {}
        source, target = spec["source"], str(spec.get("map_to") or "owner")
        value = ownership_value(source, spec)
        if value is None:
            self.warnings.append(
                f"{control.address}: source {source} is not in the cost data; nothing is inferred"
            )
            return {}
        self.keys.add(target)
        return {target: value}


def _lit(value: Any) -> str:
    return "NULL::VARCHAR" if value is None else literal(str(value))


def virtual_column(key: str) -> str:
    """The column of ``costs_enriched`` holding virtual tag ``key`` (NULL where none)."""
    return quote(f"{VIRTUAL}.{key}")


def business_column(entity_type: str) -> str:
    return quote(f"{BUSINESS}.{entity_type}")


def _entries(values: Mapping[str, str]) -> str:
    """A map from keys to SQL values, leaving out the NULL ones."""
    items = ", ".join(f"{{'key': {literal(k)}, 'value': {v}}}" for k, v in values.items())
    return f"map_from_entries(list_filter([{items}], lambda e: e.value IS NOT NULL))"


def _regex_on_resource(pattern: str) -> str:
    from finopsmetrics_cli.conditions.regex import safe_regex

    regex = literal(safe_regex(pattern).re2)
    return (
        f"(regexp_matches(coalesce(\"ResourceId\", ''), {regex}) OR "
        f"regexp_matches(coalesce(\"ResourceName\", ''), {regex}))"
    )


def own_tag(key: str) -> str:
    return f"{OWN_TAGS}[{literal(key)}]"


def _infer_sql(source: str) -> str:
    """Where ``infer_from`` reads on a cost row: a dimension, the resource name, or a tag."""
    from finopsmetrics_cli.costs.focus import dimension_columns

    if source in ("name", "resource_name", "bucket_name", "instance_name"):
        return 'coalesce("ResourceName", "ResourceId")'
    columns = dimension_columns(source)
    if columns is not None:
        return f"CAST({quote(columns[0])} AS VARCHAR)"
    return own_tag(source)


def ownership_value(source: str, spec: Mapping[str, Any]) -> str | None:
    if source in ("tag", "label"):
        return own_tag(str(spec["tag_key"]))
    if source == "account":
        return 'coalesce("SubAccountName", "SubAccountId")'
    if source == "project":
        return f'coalesce({own_tag("project")}, "SubAccountName")'
    if source == "creator":
        return "coalesce(" + ", ".join(own_tag(k) for k in CREATOR_TAGS) + ")"
    if source == "resource_group":
        return (
            f'coalesce({own_tag("resource_group")}, nullif(regexp_extract("ResourceId", '
            "'(?i)/resourcegroups/([^/]+)', 1), ''))"
        )
    if source == "kubernetes_namespace":
        namespace = "coalesce(" + ", ".join(own_tag(k) for k in NAMESPACE_TAGS) + ")"
        pattern = str(spec.get("namespace_pattern") or "*")
        if not spec.get("extract_team"):
            return f"(CASE WHEN {glob_sql(namespace, pattern)} THEN {namespace} END)"
        import re

        # the first ``*`` is the team; later ones match without capturing (BigQuery's
        # REGEXP_EXTRACT refuses more than one group)
        parts = [re.escape(p) for p in pattern.split("*")]
        regex = "^" + "".join(
            p + ("" if i == len(parts) - 1 else "(.*)" if i == 0 else "(?:.*)")
            for i, p in enumerate(parts)
        ) + "$"
        group = 1 if "*" in pattern else 0
        return f"nullif(regexp_extract({namespace}, {literal(regex)}, {group}), '')"
    return None


def _business_columns(mappings: Sequence[Control], virtual: set[str]) -> tuple[list[str], set[str]]:
    """One ``x_Business.TYPE`` column per entity type: the first mapping (name order)."""
    from finopsmetrics_cli.evaluate.scan import _values

    by_type: dict[str, list[str]] = {}
    for control in mappings:
        spec = control.spec
        globs: list[str] = []
        for pattern in [*(spec.get("clusters") or ()), *(spec.get("databases") or ()),
                        *(spec.get("services") or ())]:  # fmt: skip
            globs += [glob_sql('"ResourceId"', pattern), glob_sql('"ResourceName"', pattern)]
        for pattern in spec.get("services") or ():
            globs.append(glob_sql('"ServiceName"', pattern))
        selectors = [
            any_of(
                [glob_sql(t, v) for t in _dimension_targets(key, virtual) for v in _values(value)]
            )
            for key, value in (spec.get("selectors") or {}).items()
        ]
        parts = ([any_of(globs)] if globs else []) + selectors
        if parts:
            when = f"WHEN {' AND '.join(parts)} THEN {literal(control.name)}"
            by_type.setdefault(str(spec.get("entity_type") or "product"), []).append(when)
    columns = [f"(CASE {' '.join(w)} END) AS {business_column(t)}" for t, w in by_type.items()]
    return columns, set(by_type)


def _maps(keys: Sequence[str], types: Sequence[str]) -> str:
    """The ``x_VirtualTags`` and ``x_Business`` maps, from the per-key columns (computed
    only when a query reads them)."""

    def entries(columns: dict[str, str]) -> str:
        if not columns:
            return "NULL::MAP(VARCHAR, VARCHAR)"
        items = ", ".join(f"{{'key': {literal(k)}, 'value': {c}}}" for k, c in columns.items())
        return f"map_from_entries(list_filter([{items}], lambda e: e.value IS NOT NULL))"

    virtual = entries({k: virtual_column(k) for k in keys})
    business = entries({t: business_column(t) for t in types})
    return f"{virtual} AS {quote(VIRTUAL)}, {business} AS {quote(BUSINESS)}"


def _dimension_targets(key: str, virtual: set[str]) -> list[str]:
    from finopsmetrics_cli.costs.focus import dimension_columns

    columns = dimension_columns(key)
    if columns is None:
        if key not in virtual:
            return [own_tag(key)]
        return [f"coalesce({own_tag(key)}, {virtual_column(key)})"]
    return [f"CAST({quote(c)} AS VARCHAR)" for c in columns]


def _split_rows(
    allocations: Sequence[Control],
) -> list[tuple[str, str, str, str, Decimal, Decimal]]:
    """(resource id, allocation, target kind, target, lo, hi): cumulative shares, exact."""
    from finopsmetrics_cli.models.allocation import USAGE_FIELDS

    rows = []
    for control in allocations:
        spec = control.spec
        items = list(spec.get("allocations") or ())
        method, split_by = spec.get("attribution_method", "proportional"), spec.get("split_by")
        if method == "even":
            weights = [Decimal(1)] * len(items)
        elif method in ("proportional", "activity_based") and split_by:
            weights = [Decimal(str(i.get(USAGE_FIELDS[split_by]) or 0)) for i in items]
        else:
            weights = [Decimal(str(i.get("share") or 0)) for i in items]
        total = sum(weights) or Decimal(1)
        running = Decimal(0)
        for index, item in enumerate(items):
            kind = next(k for k in ("service", "team", "project") if item.get(k))
            lo = running / total
            running += weights[index]
            hi = Decimal(1) if index == len(items) - 1 else running / total
            rows.append((str(spec["resource_id"]), control.name, kind, str(item[kind]), lo, hi))
    return rows


def build(controls: Sequence[Control], schema: AttributeSchema | None = None) -> Enrichment:
    """The SELECT of ``costs_enriched`` over ``main.costs`` for these objects."""
    by_kind: dict[str, list[Control]] = {k: [] for k in ENRICHMENT_KINDS}
    for control in sorted(controls, key=lambda c: c.name):
        if control.kind in by_kind:
            by_kind[control.kind].append(control)
    if not any(by_kind.values()):
        return Enrichment(None)
    b = KeyBuilder(schema)
    by_key: dict[str, list[str]] = {}
    for values in [
        *(b.virtual_values(c) for c in by_kind["virtual_tag"]),
        *(b.rule_values(c) for c in by_kind["tag_rule"]),
        *(b.owner_values(c) for c in by_kind["ownership_rule"]),
    ]:
        for key, sql in values.items():
            by_key.setdefault(key, []).append(sql)
    kinds = {k for c in by_kind["cost_allocation"] for a in c.spec.get("allocations") or ()
             for k in ("service", "team", "project") if a.get(k)}  # fmt: skip
    for kind in kinds:
        by_key.setdefault(kind, [])
    columns = [
        (f"coalesce({', '.join(v)})" if len(v) > 1 else (v[0] if v else "NULL::VARCHAR"))
        + f" AS {virtual_column(k)}"
        for k, v in sorted(by_key.items())
    ]
    business, types = _business_columns(by_kind["business_mapping"], set(by_key))
    base = f"SELECT {', '.join(['*', *columns])} FROM main.costs"
    tagged = (
        f'SELECT {", ".join(["*", *business])}, NULL::VARCHAR AS "x_Allocation", '
        f'NULL::VARCHAR AS "x_AllocationTarget" FROM ({base})'
    )
    splits = _split_rows(by_kind["cost_allocation"])
    enrichment = Enrichment(
        None, b.warnings, set(by_key), types, [c.name for c in by_kind["cost_allocation"]]
    )
    maps = _maps(sorted(by_key), sorted(types))
    if not splits:
        enrichment.select = f"SELECT *, {maps} FROM ({tagged})"
        return enrichment
    shared = ", ".join(sorted({literal(r[0]) for r in splits}))
    rows = ", ".join(
        f"({literal(rid)}, {literal(name)}, {literal(kind)}, {literal(target)}, "
        f"{lo:.18f}::DECIMAL(38, 18), {hi:.18f}::DECIMAL(38, 18))"
        for rid, name, kind, target, lo, hi in splits
    )
    targets = "".join(
        f"CASE WHEN s.kind = {literal(k)} THEN s.target ELSE b.{virtual_column(k)} END "
        f"AS {virtual_column(k)}, "
        for k in sorted(kinds)
    )
    parts = ", ".join(
        f"CAST(round(b.{quote(c)} * s.hi, 10) - round(b.{quote(c)} * s.lo, 10) AS DECIMAL(38, 10))"
        f" AS {quote(c)}"
        for c in COST_COLUMNS
    )
    split = (
        f'SELECT b.* REPLACE ({parts}, s.allocation AS "x_Allocation", '
        f's.target AS "x_AllocationTarget", {targets}'
        f'map_concat(coalesce(b."Tags", {EMPTY_MAP}), MAP {{s.kind: s.target}}) AS "Tags") '
        f"FROM ({tagged}) b JOIN (VALUES {rows}) s(resource_id, allocation, kind, target, lo, hi)"
        f' ON b."ResourceId" = s.resource_id'
    )
    keep = f'SELECT * FROM ({tagged}) WHERE "ResourceId" IS NULL OR "ResourceId" NOT IN ({shared})'
    enrichment.select = f"SELECT *, {maps} FROM ({keep} UNION ALL BY NAME {split})"
    return enrichment


def install(
    adapter: EngineAdapter, controls: Sequence[Control], schema: AttributeSchema | None = None
) -> Enrichment:
    """Replace ``costs_enriched`` for this session (a temporary view: the store file is
    never written, so a read-only connection is enough)."""
    enrichment = build(controls, schema)
    if enrichment.select is not None:
        adapter.create_temp_view(VIEW, enrichment.select)
    return enrichment
