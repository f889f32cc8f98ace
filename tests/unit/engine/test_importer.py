"""import --write: exact file text, comments stay with the section they precede."""

from __future__ import annotations

from pathlib import Path

import pytest

from finopsmetrics_cli.engine import Engine

HAND_MADE = {"amount": 900, "period": "monthly", "currency": "USD"}
NEW_ITEM = """\
  - name: hand-made
    enabled: true
    amount: 900
    period: monthly
    currency: USD
    filters: {}
    alerts: []
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = Engine(tmp_path / "state.duckdb", actor="carol", source="api")
    engine.create("budget", "hand-made", HAND_MADE, manager=None)
    return engine


def test_next_sections_comment_stays_above_it(engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "finops.yaml"
    config.write_text(
        "budgets:\n  - name: a\n    amount: 1\n\n# --- guardrails ---\npolicies: []\n"
    )
    assert engine.import_into_file(config, ["budget.hand-made"]) == ["budget.hand-made"]
    assert config.read_text() == (
        "budgets:\n"
        "  - name: a\n"
        "    amount: 1\n" + NEW_ITEM + "\n"
        "# --- guardrails ---\n"
        "policies: []\n"
    )


def test_comment_after_a_nested_list_and_an_inline_comment(engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "finops.yaml"
    config.write_text(
        "budgets:\n"
        "  - name: a\n"
        "    amount: 1.5  # one and a half\n"
        "    alerts:\n"
        "      - threshold: 80%\n"
        "# --- guardrails ---\n"
        "policies: []\n"
    )
    engine.import_into_file(config, ["budget.hand-made"])
    assert config.read_text() == (
        "budgets:\n"
        "  - name: a\n"
        "    amount: 1.5  # one and a half\n"
        "    alerts:\n"
        "      - threshold: 80%\n" + NEW_ITEM + "# --- guardrails ---\n"
        "policies: []\n"
    )


def test_printed_yaml_writes_numbers_as_a_user_would(engine: Engine) -> None:
    engine.create("budget", "fractional",
                  {**HAND_MADE, "amount": 12.5, "alerts": [{"threshold": "100%"}]},
                  manager=None)  # fmt: skip
    text = engine.import_yaml(["budget.fractional"])
    assert "amount: 12.5\n" in text
    assert "- threshold: 1\n" in text
    assert engine.import_yaml(["budget.hand-made"]).splitlines()[3] == "    amount: 900"


def test_comment_indented_under_the_last_entry_stays_with_it(
    engine: Engine, tmp_path: Path
) -> None:
    config = tmp_path / "finops.yaml"
    head = "budgets:\n  - name: a\n    amount: 1  # inline\n    # about a\n"
    config.write_text(head + "\n# --- guardrails ---\npolicies: []\n")
    engine.import_into_file(config, ["budget.hand-made"])
    assert config.read_text() == head + NEW_ITEM + "\n# --- guardrails ---\npolicies: []\n"
