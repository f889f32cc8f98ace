"""Remembered protection on the engine paths Terraform and Pulumi use (delete, replace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.model import PlanOptions

BUDGET = {"amount": 100, "period": "monthly", "currency": "USD"}
REFUSED = "^lifecycle\\.prevent_destroy forbids destroying budget\\.b$"
HINT = (
    "to destroy it, first apply it with lifecycle.prevent_destroy: false "
    "(the state remembers the last applied value: removing the block is not enough)"
)


@pytest.fixture
def tf(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "state.duckdb", actor="tf-user", source="terraform")


def test_delete_of_a_protected_object_fails_until_an_update_lifts_it(tf: Engine) -> None:
    created = tf.create("budget", "b", {**BUDGET, "lifecycle": {"prevent_destroy": True}},
                        manager="terraform")
    assert (created.prevent_destroy, created.spec) == (True, created.applied_spec)
    assert "lifecycle" not in created.spec  # meta, not spec: no drift, no diff
    with pytest.raises(PlanError, match=REFUSED) as info:
        tf.delete("budget", "b", manager="terraform")
    assert info.value.hint == HINT
    kept = tf.update("budget", "b", {**BUDGET, "amount": 200}, manager="terraform")
    assert (kept.version, kept.prevent_destroy) == (2, True)  # no lifecycle sent: kept
    lifted = tf.update("budget", "b", {**BUDGET, "amount": 200, "lifecycle": {}},
                       manager="terraform")
    assert (lifted.version, lifted.prevent_destroy) == (3, False)  # only the flag changed
    tf.delete("budget", "b", manager="terraform")
    assert tf.read("budget.b") is None
    assert [h.action for h in tf.history("budget.b")] == ["delete", "update", "update", "create"]


def test_protection_applied_from_config_survives_a_terraform_takeover(
    tf: Engine, tmp_path: Path
) -> None:
    config_file = tmp_path / "finopsmetrics.yaml"
    config_file.write_text(
        "version: 1\nbudgets:\n  - name: b\n    amount: 100\n    period: monthly\n"
        "    currency: USD\n    lifecycle:\n      prevent_destroy: true\n"
    )
    cli = Engine(tmp_path / "state.duckdb", actor="me", source="cli")
    _, result = cli.plan_and_apply(cli.load_config([config_file]))
    assert result is not None and cli.read("budget.b").prevent_destroy is True  # type: ignore[union-attr]
    adopted = tf.update("budget", "b", BUDGET, manager="terraform", adopt=True)
    assert (adopted.manager, adopted.prevent_destroy) == ("terraform", True)
    with pytest.raises(PlanError, match=REFUSED):  # a replace starts with this delete
        tf.delete("budget", "b", manager="terraform")
    assert tf.read("budget.b") is not None


def test_a_removed_file_does_not_destroy_what_it_protected(tmp_path: Path) -> None:
    config_file = tmp_path / "finopsmetrics.yaml"
    config_file.write_text(
        "version: 1\nbudgets:\n  - name: b\n    amount: 100\n    period: monthly\n"
        "    currency: USD\n    lifecycle:\n      prevent_destroy: true\n"
    )
    cli = Engine(tmp_path / "state.duckdb", actor="me", source="cli")
    cli.plan_and_apply(cli.load_config([config_file]))
    for options in (PlanOptions(allow_destroy=True), PlanOptions(destroy=True, allow_destroy=True)):
        with pytest.raises(PlanError, match=re.escape("forbids destroying budget.b")):
            cli.plan(None, options)
    with pytest.raises(PlanError, match=REFUSED):
        cli.plan(cli.load_config([config_file]), PlanOptions(destroy=True, allow_destroy=True))
