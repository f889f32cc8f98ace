from __future__ import annotations

import pytest

from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.graph import topo_order, with_dependencies, with_dependents


def test_referenced_first_and_stable() -> None:
    edges = {"budget.b": ["channel.c"], "budget.a": ["channel.c", "team.t"], "channel.c": []}
    assert topo_order(["budget.b", "budget.a", "channel.c", "team.t"], edges) == [
        "channel.c", "budget.b", "team.t", "budget.a",
    ]


def test_references_outside_nodes_are_ignored() -> None:
    assert topo_order(["budget.a"], {"budget.a": ["channel.gone"]}) == ["budget.a"]


def test_cycle_names_its_members() -> None:
    with pytest.raises(PlanError, match=r"^references form a cycle between a\.x, b\.y$"):
        topo_order(["a.x", "b.y", "c.z"], {"a.x": ["b.y"], "b.y": ["a.x"]})


def test_dependencies_and_dependents() -> None:
    edges = {"a.1": ["b.1"], "b.1": ["c.1"], "d.1": ["b.1"]}
    assert with_dependencies(["a.1"], edges) == {"a.1", "b.1", "c.1"}
    assert with_dependents(["b.1"], edges) == {"b.1", "a.1", "d.1"}
