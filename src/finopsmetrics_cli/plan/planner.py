"""Desired (config) vs live -> a :class:`Plan`. Pure: reads only what it is given.

The rules are Terraform's: an address in the config and not live is created;
live and managed by ``config`` but no longer declared is destroyed; a changed
immutable field (declared per kind) forces a replace; a live object nobody
manages is imported (``<= import``); one another tool manages is a conflict
unless ``--adopt``. Unlike Terraform, ``lifecycle.prevent_destroy`` is also
remembered: the state records the value of the last apply, and a plan that
would destroy or replace an object recorded as protected fails, even once its
block is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from finopsmetrics_cli.config.model import Config, DesiredObject
from finopsmetrics_cli.errors import ConflictError, PlanError
from finopsmetrics_cli.plan.diff import (
    FieldChange,
    apply_ignore_changes,
    diff_specs,
    path_matches,
)
from finopsmetrics_cli.plan.graph import (
    references_of,
    topo_order,
    with_dependencies,
    with_dependents,
)
from finopsmetrics_cli.plan.model import (
    ChangeAction,
    OutsideChange,
    Plan,
    PlannedChange,
    PlanOptions,
)
from finopsmetrics_cli.state.api import HistoryEntry, LiveObject

CONFIG = "config"

LastChange = Callable[[str], HistoryEntry | None]


def requires_replace(kind: str, old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    """The immutable fields of ``kind`` (declared in the registry) that differ."""
    if old == new:
        return []
    return _forcing(kind, diff_specs(old, new))


def _forcing(kind: str, fields: Iterable[FieldChange]) -> list[str]:
    """Which of the kind's immutable fields ``fields`` touch."""
    from finopsmetrics_cli.models.base import get_kind

    try:
        immutable = get_kind(kind).immutable
    except KeyError:
        return []
    paths = [f.path for f in fields]
    return [field for field in immutable if any(path_matches(p, [field]) for p in paths)]


def build_plan(
    config: Config,
    live: Sequence[LiveObject],
    options: PlanOptions,
    *,
    lineage: str = "",
    serial: int = 0,
    last_change: LastChange | None = None,
    state: str = "",
) -> Plan:
    """Compare ``config`` with ``live`` and return the ordered plan (or raise PlanError)."""
    from finopsmetrics_cli.drift import detect_outside_changes

    live_by_address = {o.address: o for o in live}
    desired = config.objects
    _check_addresses(options, desired, live_by_address)
    if not options.adopt:
        _check_conflicts(desired, live_by_address)
    outside = detect_outside_changes(desired, live_by_address, last_change, managers=(CONFIG,))
    if options.refresh_only:
        changes = _refresh_changes(outside, live_by_address)
    else:
        changes = _desired_changes(desired, live_by_address, options)
        changes.update(_deletes(desired, live_by_address, options))
    if options.targets:
        changes = _select_targets(changes, desired, live_by_address, options.targets)
    _check_prevent_destroy(changes, desired, live_by_address)
    _check_mass_destroy(changes, live_by_address, config, options)
    ordered = _order(changes, desired, live_by_address)
    return Plan(
        changes=tuple(ordered),
        outside_changes=tuple(outside),
        lineage=lineage,
        serial=serial,
        digest_source=lambda: config.digest,
        options=options,
        state=state,
    )


def _check_addresses(
    options: PlanOptions, desired: Mapping[str, DesiredObject], live: Mapping[str, LiveObject]
) -> None:
    for flag, addresses in (("--target", options.targets), ("--replace", options.replace)):
        for address in addresses:
            if address not in desired and address not in live:
                raise PlanError(
                    f"{flag} {address}: no such object in the configuration or in state",
                    hint="addresses are KIND.NAME, e.g. budget.ml-training",
                )
    for address in options.replace:
        if address not in desired or address not in live:
            raise PlanError(
                f"--replace {address}: the object must be both declared and live to be replaced"
            )


def _check_conflicts(desired: Mapping[str, DesiredObject], live: Mapping[str, LiveObject]) -> None:
    owned = sorted(
        (a, live[a].manager)
        for a in desired
        if a in live and live[a].manager not in (None, CONFIG)
    )
    if owned:
        listed = ", ".join(f"{a} (managed by {m})" for a, m in owned)
        raise ConflictError(
            f"{len(owned)} object(s) in the configuration are managed by another tool: {listed}",
            hint="remove them from the configuration, or pass --adopt to take them over",
        )


def _desired_changes(
    desired: Mapping[str, DesiredObject], live: Mapping[str, LiveObject], options: PlanOptions
) -> dict[str, PlannedChange]:
    changes: dict[str, PlannedChange] = {}
    if options.destroy:
        return changes
    forced = set(options.replace)
    for address, obj in desired.items():
        current = live.get(address)
        if current is None:
            changes[address] = PlannedChange(
                address, obj.kind, obj.name, "create", None, obj.spec,
                prevent_destroy=obj.lifecycle.prevent_destroy,
            )
            continue
        ignored = obj.lifecycle.ignore_changes
        after = apply_ignore_changes(obj.spec, current.spec, ignored) if ignored else obj.spec
        change = _change_for(obj, current, after, address in forced)
        if change is not None:
            changes[address] = change
    return changes


def _change_for(
    obj: DesiredObject, current: LiveObject, after: dict[str, object], forced: bool
) -> PlannedChange | None:
    before = current.spec
    same = before == after
    protect = obj.lifecycle.prevent_destroy
    if same and not forced and current.manager == CONFIG and protect == current.prevent_destroy:
        return None  # the common case at scale: nothing to diff, nothing to look up
    protection: tuple[FieldChange, ...] = ()
    if protect != current.prevent_destroy:  # recorded by apply, so shown like a field
        protection = (
            FieldChange("lifecycle.prevent_destroy", "change", current.prevent_destroy, protect),
        )
    action: ChangeAction
    if current.manager is None:
        action = "import"
    elif current.manager != CONFIG:
        action = "adopt"
    else:
        fields = tuple(diff_specs(before, after))
        immutable = _forcing(obj.kind, fields)
        if forced or immutable:
            reason = "--replace" if forced and not immutable else "immutable field changed"
            return PlannedChange(
                obj.address, obj.kind, obj.name, "replace", before, after,
                fields + protection, tuple(immutable), CONFIG, reason, protect,
            )
        return PlannedChange(
            obj.address, obj.kind, obj.name, "update", before, after, fields + protection, (),
            CONFIG, prevent_destroy=protect,
        )
    fields = () if same else tuple(diff_specs(before, after))
    return PlannedChange(
        obj.address, obj.kind, obj.name, action, before, after, fields + protection, (),
        current.manager, prevent_destroy=protect,
    )


def _deletes(
    desired: Mapping[str, DesiredObject], live: Mapping[str, LiveObject], options: PlanOptions
) -> dict[str, PlannedChange]:
    changes: dict[str, PlannedChange] = {}
    for address, obj in live.items():
        if obj.manager != CONFIG or (address in desired and not options.destroy):
            continue
        changes[address] = PlannedChange(
            address, obj.kind, obj.name, "delete", obj.spec, None, (), (), CONFIG
        )
    return changes


def _refresh_changes(
    outside: Iterable[OutsideChange], live: Mapping[str, LiveObject]
) -> dict[str, PlannedChange]:
    """``--refresh-only``: accept outside changes as the new applied spec; undo nothing."""
    changes: dict[str, PlannedChange] = {}
    for item in outside:
        current = live.get(item.address)
        if item.change != "update" or current is None or current.manager != CONFIG:
            continue
        changes[item.address] = PlannedChange(
            item.address, item.kind, item.name, "refresh", current.applied_spec, current.spec,
            item.fields, (), CONFIG, "accept changes made outside of code",
        )
    return changes


def _edges(
    desired: Mapping[str, DesiredObject], live: Mapping[str, LiveObject]
) -> dict[str, tuple[str, ...]]:
    edges = {a: references_of(o.kind, o.spec) for a, o in live.items() if a not in desired}
    edges.update({a: o.references for a, o in desired.items()})
    return edges


def _select_targets(
    changes: dict[str, PlannedChange],
    desired: Mapping[str, DesiredObject],
    live: Mapping[str, LiveObject],
    targets: Sequence[str],
) -> dict[str, PlannedChange]:
    edges = _edges(desired, live)
    up = with_dependencies(targets, edges)
    down = with_dependents(targets, edges)
    return {
        a: c for a, c in changes.items() if (a in down if c.action == "delete" else a in up)
    }


def _check_prevent_destroy(
    changes: Mapping[str, PlannedChange],
    desired: Mapping[str, DesiredObject],
    live: Mapping[str, LiveObject],
) -> None:
    """Protected now (declared so) or remembered (the last apply recorded it): no destroy."""
    blocked = sorted(
        a
        for a, c in changes.items()
        if c.action in ("delete", "replace")
        and (
            (a in desired and desired[a].lifecycle.prevent_destroy)
            or (a in live and live[a].prevent_destroy)
        )
    )
    if blocked:
        raise protection_error(blocked)


def protection_error(addresses: Sequence[str]) -> PlanError:
    """The one refusal to destroy protected objects: plan, ``--destroy`` and ``Engine.delete``."""
    it = "it" if len(addresses) == 1 else "them"
    return PlanError(
        "lifecycle.prevent_destroy forbids destroying " + ", ".join(addresses),
        hint=f"to destroy {it}, first apply {it} with lifecycle.prevent_destroy: false "
        "(the state remembers the last applied value: removing the block is not enough)",
    )


def _check_mass_destroy(
    changes: Mapping[str, PlannedChange],
    live: Mapping[str, LiveObject],
    config: Config,
    options: PlanOptions,
) -> None:
    if options.allow_destroy:
        return
    deletes = sum(1 for c in changes.values() if c.action == "delete")
    if not deletes:
        return
    managed = sum(1 for o in live.values() if o.manager == CONFIG)
    limit = config.settings.max_destroy
    if limit is not None and deletes > limit:
        raise PlanError(
            f"the plan would destroy {deletes} objects, more than settings.max_destroy ({limit})",
            hint="check the configuration was loaded whole; pass --allow-destroy if intended",
        )
    if deletes >= managed:
        raise PlanError(
            f"the plan would destroy every managed object ({deletes})",
            hint="check the configuration was loaded whole; pass --allow-destroy if intended",
        )


def _order(
    changes: Mapping[str, PlannedChange],
    desired: Mapping[str, DesiredObject],
    live: Mapping[str, LiveObject],
) -> list[PlannedChange]:
    edges = _edges(desired, live)
    forward = [a for a, c in changes.items() if c.action != "delete"]
    backward = [a for a, c in changes.items() if c.action == "delete"]
    order = topo_order(forward, edges)
    order += list(reversed(topo_order(backward, edges)))
    return [changes[a] for a in order]
