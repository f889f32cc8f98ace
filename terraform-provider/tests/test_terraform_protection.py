"""Remembered protection through a real Terraform: ``terraform destroy`` cannot remove it."""

from __future__ import annotations

import pytest
from tf_harness import Workspace

pytestmark = pytest.mark.terraform

ADOPTED = """
resource "finopsmetrics_budget" "team" {
  name   = "team-a"
  amount = 1000
  adopt  = true
}
"""


def test_destroy_of_a_protected_object_fails_with_the_way_out(ws: Workspace) -> None:
    engine = ws.engine()
    protect = {"amount": 1000, "lifecycle": {"prevent_destroy": True}}
    engine.create("budget", "team-a", protect, manager="config")  # applied as YAML would
    ws.write(ADOPTED)
    ws.ok("apply")
    adopted = engine.read("budget.team-a")
    assert adopted is not None
    assert (adopted.manager, adopted.prevent_destroy) == ("terraform", True)

    refused = ws.run("destroy")
    assert refused.rc == 1, refused.text
    assert "Error: lifecycle.prevent_destroy forbids destroying budget.team-a" in refused.flat
    assert (
        "to destroy it, first apply it with lifecycle.prevent_destroy: false (the state "
        "remembers the last applied value: removing the block is not enough)" in refused.flat
    )
    assert engine.read("budget.team-a") is not None
    assert ws.ok("plan").summary() == "No changes."  # Terraform still tracks it, unchanged

    engine.update("budget", "team-a", {"amount": 1000, "lifecycle": {"prevent_destroy": False}},
                  manager="terraform")
    ws.ok("destroy")
    assert engine.read("budget.team-a") is None
