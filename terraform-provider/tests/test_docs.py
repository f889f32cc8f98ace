"""The generated reference pages are committed and must match the models."""

from __future__ import annotations

from terraform_provider_finopsmetrics.docs import DEFAULT_DIR, pages

from finopsmetrics_cli.models.base import kinds


def test_generated_pages_are_up_to_date() -> None:
    stale = [
        rel
        for rel, text in pages().items()
        if not (DEFAULT_DIR / rel).exists() or (DEFAULT_DIR / rel).read_text() != text
    ]
    assert stale == [], (
        f"{len(stale)} Terraform doc pages are stale; run "
        "`.venv/bin/python -m terraform_provider_finopsmetrics.docs`"
    )
    assert len(pages()) == 2 * len(list(kinds())) + 2  # and the cost data sources


def test_pages_document_blocks_nested_attributes_and_replacement() -> None:
    budget = pages()["resources/budget.md"]
    assert "- `alerts` (Attributes List)" in budget
    assert "### Nested Schema for `alerts`" in budget
    assert "except a change of `name` or of `currency`" in budget
    assert 'terraform import finopsmetrics_budget.example "example-budget"' in budget
    dashboard = pages()["resources/dashboard.md"]
    assert "- `widget` (Block List)" in dashboard and "  widget {" in dashboard
    channel = pages()["resources/notification_channel.md"]
    assert "- `webhook_url` (String, Sensitive)" in channel
    assert '"$${env:SLACK_WEBHOOK_URL}"' in channel
