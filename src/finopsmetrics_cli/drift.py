"""Drift: what changed outside of code, by whom and when. Read-only.

An object drifted when its live spec differs from the spec its manager last
applied (someone edited it in a console, through the API, ...), when another
tool took over an object the configuration declares, or when a declared object
was deleted by someone other than this configuration's applies. ``plan`` shows
the same findings in its "changed outside of code" section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finopsmetrics_cli.config.model import DesiredObject
from finopsmetrics_cli.plan.diff import FieldChange, diff_specs, path_matches
from finopsmetrics_cli.plan.model import OutsideChange
from finopsmetrics_cli.state.api import HistoryEntry, LiveObject

DRIFT_FORMAT_VERSION = 1

LastChange = Callable[[str], HistoryEntry | None]


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every outside change found; ``has_drift`` drives ``drift --exit-code``."""

    items: tuple[OutsideChange, ...]
    lineage: str = ""
    serial: int = 0
    checked: int = 0

    @property
    def has_drift(self) -> bool:
        return bool(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "lineage": self.lineage,
            "serial": self.serial,
            "checked": self.checked,
            "drifted": len(self.items),
            "items": [i.to_dict() for i in self.items],
        }


def detect_outside_changes(
    desired: Mapping[str, DesiredObject] | None,
    live: Mapping[str, LiveObject],
    last_change: LastChange | None,
    *,
    managers: Iterable[str] | None = None,
) -> list[OutsideChange]:
    """Outside changes among ``live`` objects (of ``managers``, or every manager).

    With ``desired`` known, ``ignore_changes`` is honoured and declared objects
    taken over by another tool or deleted outside of code are reported too.
    """
    wanted = set(managers) if managers is not None else None
    desired = desired or {}
    found: list[OutsideChange] = []
    for address in sorted(live):
        obj = live[address]
        if obj.manager is None:
            continue
        if address in desired and obj.manager != "config":
            item = _taken_over(obj, last_change)
            if item is not None:
                found.append(item)
            continue
        if wanted is not None and obj.manager not in wanted:
            continue
        if obj.applied_spec is obj.spec or obj.applied_spec == obj.spec:
            continue
        fields = _visible(diff_specs(obj.applied_spec, obj.spec), desired.get(address))
        if fields:
            found.append(_with_who(OutsideChange(
                address, obj.kind, obj.name, "update", tuple(fields), obj.manager
            ), last_change))
    if last_change is not None:
        for address in sorted(set(desired) - set(live)):
            entry = last_change(address)
            if entry is not None and entry.action == "delete" and entry.manager != "config":
                obj_d = desired[address]
                item = OutsideChange(address, obj_d.kind, obj_d.name, "delete", (), entry.manager)
                found.append(_with_who(item, last_change, entry))
    return found


def _visible(fields: list[FieldChange], desired: DesiredObject | None) -> list[FieldChange]:
    if desired is None or not desired.lifecycle.ignore_changes:
        return fields
    return [f for f in fields if not path_matches(f.path, desired.lifecycle.ignore_changes)]


def _taken_over(obj: LiveObject, last_change: LastChange | None) -> OutsideChange | None:
    if last_change is None:
        return OutsideChange(obj.address, obj.kind, obj.name, "manager", (), obj.manager)
    entry = last_change(obj.address)
    fields: tuple[FieldChange, ...] = ()
    if entry is not None and entry.before is not None:
        fields = tuple(diff_specs(entry.before, obj.spec))
    item = OutsideChange(obj.address, obj.kind, obj.name, "manager", fields, obj.manager)
    return _with_who(item, last_change, entry)


def _with_who(
    item: OutsideChange, last_change: LastChange | None, entry: HistoryEntry | None = None
) -> OutsideChange:
    if entry is None and last_change is not None:
        entry = last_change(item.address)
    if entry is None:
        return item
    return OutsideChange(
        item.address, item.kind, item.name, item.change, item.fields, item.manager,
        entry.actor, entry.source, f"{entry.at:%Y-%m-%d %H:%M:%S}Z",
    )


def drift_report(
    desired: Mapping[str, DesiredObject] | None,
    live: Iterable[LiveObject],
    last_change: LastChange | None,
    *,
    lineage: str = "",
    serial: int = 0,
) -> DriftReport:
    """The drift of every managed object (and of declared objects, when a config is given)."""
    by_address = {o.address: o for o in live}
    items = detect_outside_changes(desired, by_address, last_change)
    checked = sum(1 for o in by_address.values() if o.manager is not None)
    return DriftReport(tuple(items), lineage, serial, checked)
