"""Apply order from references: referenced objects first, deletes in reverse.

Desired objects carry their references (the loader resolved them); live
objects that are no longer in the config get theirs from the kind registry's
``Ref`` declarations, so a delete of a budget still happens before the delete
of the channel it names.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import Any

from finopsmetrics_cli.errors import PlanError


def references_of(kind: str, spec: Mapping[str, Any]) -> tuple[str, ...]:
    """Addresses ``spec`` names, from the kind's declared ``Ref`` paths."""
    from finopsmetrics_cli.models.base import get_kind

    try:
        info = get_kind(kind)
    except KeyError:
        return ()
    found: list[str] = []
    for ref in info.references:
        for value in _values_at(spec, ref.path.split(".")):
            if isinstance(value, str) and value not in ref.builtins:
                for target in ref.targets:  # the name may denote any of them
                    address = f"{target}.{value}"
                    if address not in found:
                        found.append(address)
    return tuple(found)


def _values_at(value: Any, parts: list[str]) -> Iterable[Any]:
    if not parts:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items: list[Any] = []
        if isinstance(value, dict):
            items = list(value.values())
        elif isinstance(value, list):
            items = value
        for item in items:
            yield from _values_at(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from _values_at(value[head], rest)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and head in item:
                yield from _values_at(item[head], rest)


def topo_order(nodes: Iterable[str], edges: Mapping[str, Iterable[str]]) -> list[str]:
    """``nodes`` ordered so every node comes after the nodes it references.

    ``edges[a]`` are the addresses ``a`` references; references outside
    ``nodes`` are ignored. Ties are broken by address, so output is stable.
    A cycle is a ``PlanError`` naming its members.
    """
    node_set = set(nodes)
    pending: dict[str, int] = {}
    dependents: dict[str, list[str]] = {}
    for node in node_set:
        deps = {d for d in edges.get(node, ()) if d in node_set and d != node}
        pending[node] = len(deps)
        for dep in deps:
            dependents.setdefault(dep, []).append(node)
    ready = [n for n, count in pending.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child in dependents.get(node, ()):
            pending[child] -= 1
            if pending[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != len(node_set):
        cycle = sorted(n for n, count in pending.items() if count > 0)
        raise PlanError(
            "references form a cycle between " + ", ".join(cycle),
            hint="remove one of the references so the objects can be ordered",
        )
    return order


def with_dependencies(targets: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """``targets`` plus everything they reference, transitively (``--target``)."""
    seen: set[str] = set()
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return seen


def with_dependents(targets: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """``targets`` plus everything that references them (what a targeted destroy takes along)."""
    reverse: dict[str, list[str]] = {}
    for node, deps in edges.items():
        for dep in deps:
            reverse.setdefault(dep, []).append(node)
    return with_dependencies(targets, reverse)
