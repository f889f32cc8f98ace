"""One cost scan for every control that needs a daily series (budgets, detectors).

Controls ask for series (:class:`SeriesRequest`: filters, ``group_by``, the
first day needed); :func:`scan_costs` answers all of them with the three
queries of ``query``: the scan groups the rows once, filters are matched in
Python against the distinct values that come back (a few thousand at most),
and the matched (series, combination) pairs go back to the engine for the
daily sums. Work grows with the number of distinct values, not with rows x
controls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlglot import exp

from finopsmetrics_cli.costs.focus import dimension_columns
from finopsmetrics_cli.evaluate import query
from finopsmetrics_cli.evaluate.engine import EngineAdapter

FilterValue = str | list[str]
GroupKey = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """A daily series a control needs: its rows (filters), split by ``group_by``."""

    id: str
    filters: Mapping[str, FilterValue]
    since: date
    group_by: tuple[str, ...] = ()


@dataclass(slots=True)
class SeriesResult:
    """What the scan found for one request."""

    groups: dict[GroupKey, dict[date, float]] = field(default_factory=dict)
    currencies: set[str] = field(default_factory=set)
    #: filter keys no scanned row has a value for (a typo, or a tag nobody sets)
    missing: list[str] = field(default_factory=list)

    def total(self) -> dict[date, float]:
        """The series summed over groups."""
        out: dict[date, float] = {}
        for days in self.groups.values():
            for day, cost in days.items():
                out[day] = out.get(day, 0.0) + cost
        return out


def pattern(value: str) -> re.Pattern[str]:
    """A filter value as a regex: ``*`` matches anything, everything else is literal."""
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)


def _values(value: FilterValue) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class _Columns:
    """The scan's columns: each filter or group key read as one or more aliased expressions."""

    def __init__(self, adapter: EngineAdapter, available: set[str]) -> None:
        self.adapter = adapter
        self.available = available
        self.exprs: dict[str, exp.Expression] = {}  # sql text -> expression
        self.aliases: dict[str, str] = {}  # sql text -> alias
        self.by_key: dict[str, list[str]] = {}  # key -> aliases

    def add(self, key: str) -> list[str]:
        if key in self.by_key:
            return self.by_key[key]
        names = dimension_columns(key)
        exprs = (
            [exp.column(c, quoted=True) for c in names] if names is not None else [self._tag(key)]
        )
        aliases = []
        for e in exprs:
            text = e.sql()
            if text not in self.aliases:
                self.aliases[text] = f"c{len(self.aliases)}"
                self.exprs[text] = e
            aliases.append(self.aliases[text])
        self.by_key[key] = aliases
        return aliases

    def _tag(self, key: str) -> exp.Expression:
        """The row's own tag, else its virtual value (``x_VirtualTags.KEY`` of
        ``costs_enriched``: one column per key, so the scan computes only the keys read)."""
        own = self.adapter.tag_value(key)
        column = f"{query.VIRTUAL_TAGS}.{key}"
        if column not in self.available:
            return own
        return exp.Coalesce(this=own, expressions=[exp.column(column, quoted=True)])

    def columns(self) -> list[tuple[str, exp.Expression]]:
        return [(self.aliases[text], e) for text, e in self.exprs.items()]


def scan_costs(
    adapter: EngineAdapter,
    requests: Sequence[SeriesRequest],
    *,
    metric: str,
    at: date,
    relation: str = query.RELATION,
) -> dict[str, SeriesResult]:
    """Answer every request with one scan of ``relation`` up to the end of ``at``."""
    if not requests:
        return {}
    cols = _Columns(adapter, set(adapter.columns(relation)))
    for request in requests:
        for key in [*request.filters, *request.group_by]:
            cols.add(key)
    columns = cols.columns()
    first = min(r.since for r in requests)
    daily = adapter.materialize(
        "fm_eval_daily", query.daily_scan(columns, metric, first, at, relation)
    )
    aliases = [alias for alias, _ in columns]
    rows = adapter.fetch(query.combos(daily, aliases))
    if adapter.estimating:
        # a dry run returns no combinations: one placeholder pair prices the series query
        # that follows (its bytes depend on the columns and days read, not on the pairs)
        adapter.fetch(query.series(daily, adapter.upload_pairs("fm_eval_map", [0], [0], [first])))
        return {request.id: SeriesResult() for request in requests}
    index = {alias: i + 1 for i, alias in enumerate(aliases)}  # row[0] is the combo id
    matcher = _Matcher(rows, index, cols.by_key)
    # controls with the same filters and group_by share one series (budgets of one
    # team at different amounts, ...), read from the earliest day any of them needs
    shared: dict[tuple[object, ...], SeriesRequest] = {}
    alias_of: dict[str, str] = {}
    for request in requests:
        sig = (_filters_key(request.filters), request.group_by)
        first_seen = shared.get(sig)
        if first_seen is None or request.since < first_seen.since:
            shared[sig] = SeriesRequest(
                first_seen.id if first_seen else request.id, request.filters, request.since,
                request.group_by,
            )  # fmt: skip
        alias_of[request.id] = shared[sig].id
    results: dict[str, SeriesResult] = {}
    series_keys: list[tuple[str, GroupKey]] = []
    series_since: list[date] = []
    pair_series: list[int] = []
    pair_combos: list[int] = []
    currency_of = {combo: str(row[-1]) for combo, row in matcher.rows.items()}
    for request in shared.values():
        result = results[request.id] = SeriesResult()
        result.missing = [k for k in request.filters if not matcher.present(k)]
        matched = matcher.match(request.filters)
        result.currencies = {currency_of[c] for c in matched}
        if not request.group_by:  # one series: no per-combination work
            if matched:
                result.groups[()] = {}
                pair_series.extend([len(series_keys)] * len(matched))
                pair_combos.extend(matched)
                series_keys.append((request.id, ()))
                series_since.append(request.since)
            continue
        group_cols = [index[cols.by_key[k][0]] for k in request.group_by]
        slots: dict[GroupKey, int] = {}
        for combo in matched:
            row = matcher.rows[combo]
            group = tuple(None if row[i] is None else str(row[i]) for i in group_cols)
            slot = slots.get(group)
            if slot is None:
                slot = slots[group] = len(series_keys)
                series_keys.append((request.id, group))
                series_since.append(request.since)
                result.groups[group] = {}
            pair_series.append(slot)
            pair_combos.append(combo)
    if series_keys:
        mapping = adapter.upload_pairs("fm_eval_map", pair_series, pair_combos, series_since)
        for slot, day, cost in adapter.fetch(query.series(daily, mapping)):
            request_id, group = series_keys[slot]
            results[request_id].groups[group][day] = cost
    return {request.id: results[alias_of[request.id]] for request in requests}


def _filters_key(filters: Mapping[str, FilterValue]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(_values(v))) for k, v in filters.items()))


class _Matcher:
    """Filters matched against the distinct combinations, with per-value caches."""

    def __init__(
        self, rows: list[tuple[object, ...]], index: dict[str, int], by_key: dict[str, list[str]]
    ) -> None:
        self.rows = {int(str(r[0])): r for r in rows}
        self.index = index
        self.by_key = by_key
        self._by_value: dict[int, dict[object, set[int]]] = {}
        self._cache: dict[tuple[str, tuple[str, ...]], set[int]] = {}

    def _values_of(self, column: int) -> dict[object, set[int]]:
        found = self._by_value.get(column)
        if found is None:
            found = self._by_value[column] = {}
            for combo, row in self.rows.items():
                found.setdefault(row[column], set()).add(combo)
        return found

    def present(self, key: str) -> bool:
        return any(
            value is not None
            for alias in self.by_key[key]
            for value in self._values_of(self.index[alias])
        )

    def _match_key(self, key: str, value: FilterValue) -> set[int]:
        wanted = tuple(_values(value))
        cached = self._cache.get((key, wanted))
        if cached is not None:
            return cached
        out: set[int] = set()
        for alias in self.by_key[key]:
            by_value = self._values_of(self.index[alias])
            for want in wanted:
                if "*" not in want:
                    out |= by_value.get(want, set())
                    continue
                regex = pattern(want)
                for candidate, combos in by_value.items():
                    if candidate is not None and regex.fullmatch(str(candidate)):
                        out |= combos
        self._cache[(key, wanted)] = out
        return out

    def match(self, filters: Mapping[str, FilterValue]) -> list[int]:
        """Combinations matching every filter key (any of a key's values)."""
        if not filters:
            return list(self.rows)
        sets = sorted((self._match_key(k, v) for k, v in filters.items()), key=len)
        matched = set(sets[0])
        for other in sets[1:]:
            matched &= other
        return sorted(matched)
