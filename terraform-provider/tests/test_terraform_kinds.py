"""Every kind through a real Terraform: create, no-change plan, in-place
update, replacement where the kind declares an immutable field, destroy.

All 23 kinds go through each Terraform run together, to keep the suite fast.
"""

from __future__ import annotations

import pytest
from terraform_provider_finopsmetrics.examples import SAMPLES, changed
from terraform_provider_finopsmetrics.hcl import render_resource
from tf_harness import Workspace

from finopsmetrics_cli.models.base import kinds

pytestmark = pytest.mark.terraform


def _config(version: str) -> str:
    """All kinds; ``version`` is "base", "update" or "replace"."""
    blocks = []
    for kind, (spec, update, replace) in SAMPLES.items():
        if version == "update":
            spec = changed(spec, update)
        elif version == "replace" and replace is not None:
            spec = changed(spec, replace)
        blocks.append(render_resource(kind, "this", f"tf {kind}", spec))
    return "\n".join(blocks)


def test_samples_cover_every_kind() -> None:
    assert set(SAMPLES) == {info.kind for info in kinds()}
    assert len(SAMPLES) == 23


def test_every_kind_create_update_replace_destroy(ws: Workspace) -> None:
    n = len(SAMPLES)
    replaced = sorted(k for k, (_, _, r) in SAMPLES.items() if r is not None)
    assert replaced == sorted(info.kind for info in kinds() if info.immutable)

    ws.write(_config("base"))
    assert (
        ws.ok("apply").summary() == f"Apply complete! Resources: {n} added, 0 changed, 0 destroyed."
    )
    engine = ws.engine()
    live = {o.kind: o for o in engine.list_objects()}
    assert set(live) == set(SAMPLES)
    assert {o.manager for o in live.values()} == {"terraform"}
    assert {h.source for h in engine.history()} == {"terraform"}
    assert live["budget"].spec["amount"] == 1000

    plan = ws.run("plan", "-detailed-exitcode")
    assert (plan.rc, plan.summary()) == (0, "No changes."), plan.text

    ws.write(_config("update"))
    applied = ws.ok("apply")
    assert applied.summary() == f"Apply complete! Resources: 0 added, {n} changed, 0 destroyed."
    assert "must be replaced" not in applied.out
    live = {o.kind: o for o in engine.list_objects()}
    assert live["budget"].spec["amount"] == 2000
    assert live["policy"].spec["description"] == "now described"
    assert sorted(h.action for h in engine.history("budget.tf budget")) == ["create", "update"]

    ws.write(_config("replace"))
    applied = ws.ok("apply")
    r = len(replaced)
    assert (
        applied.summary()
        == f"Apply complete! Resources: {r} added, {n - r} changed, {r} destroyed."
    )
    for kind in replaced:
        assert f"# finopsmetrics_{kind}.this must be replaced" in applied.out
    assert "# forces replacement" in applied.out
    live = {o.kind: o for o in engine.list_objects()}
    assert live["budget"].spec["currency"] == "EUR"
    assert live["anomaly_detector"].spec["model"]["type"] == "zscore"
    assert {o.manager for o in live.values()} == {"terraform"}

    destroyed = ws.ok("destroy")
    assert destroyed.summary() == f"Destroy complete! Resources: {n} destroyed."
    assert engine.list_objects() == []
