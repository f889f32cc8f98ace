"""The reconciler status file, backoff, and the config-terms diff of plan --base-ref."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finopsmetrics_cli.config.model import Config, DesiredObject, ObjectLifecycle
from finopsmetrics_cli.errors import Location, StateError
from finopsmetrics_cli.gitops.base_ref import (
    ConfigDiff,
    describe_field,
    diff_configs,
    render_markdown,
    render_text,
)
from finopsmetrics_cli.gitops.reconciler import backoff_seconds
from finopsmetrics_cli.gitops.status import ReconcileStatus, Revision, load_status, save_status


def test_status_round_trips_and_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "reconcile" / "status.json"
    assert load_status(path) is None
    status = ReconcileStatus(repo="/r", ref="main", paths=["finopsmetrics.yaml"], cycles=3)
    status.last_applied = Revision("a" * 40, "2026-01-01T00:00:00Z", "applied", "good")
    status.last_attempted = Revision(
        "b" * 40,
        "2026-01-01T00:01:00Z",
        "failed",
        "bad",
        error="boom",
        attempts=2,
        next_retry_at=12.5,
    )
    save_status(path, status)
    assert load_status(path) == status
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]
    assert json.loads(path.read_text())["format_version"] == 1


def test_unreadable_and_newer_status_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_text("{not json")
    with pytest.raises(StateError, match=r"^reconcile status file .* is unreadable"):
        load_status(path)
    path.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(StateError, match=r"written by a newer finopsmetrics \(format 99"):
        load_status(path)


def test_backoff_doubles_per_attempt_up_to_the_ceiling() -> None:
    assert [backoff_seconds(n, 10, 60) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
    assert backoff_seconds(1, 0.1, 60) == 1.0  # never a busy loop


def _obj(
    kind: str,
    name: str,
    spec: dict[str, object],
    line: int = 1,
    file: str = "finopsmetrics.yaml",
    **life: object,
) -> DesiredObject:
    return DesiredObject(
        kind,
        name,
        spec,
        ObjectLifecycle(**life),  # type: ignore[arg-type]
        Location(file, line, 3),
    )


def test_config_diff_reports_added_changed_with_fields_and_removed() -> None:
    base = Config(
        objects={
            o.address: o
            for o in (
                _obj(
                    "budget",
                    "ml",
                    {"amount": 100, "alerts": [{"threshold": 0.8}]},
                    file="/tmp/x/f.yaml",
                ),
                _obj("budget", "old", {"amount": 5}, line=9, file="/tmp/x/f.yaml"),
                _obj("team", "same", {"owners": ["a"]}),
            )
        }
    )
    head = Config(
        objects={
            o.address: o
            for o in (
                _obj(
                    "budget",
                    "ml",
                    {"amount": 120, "alerts": [{"threshold": 0.9}], "currency": "EUR"},
                    line=4,
                    prevent_destroy=True,
                ),
                _obj("budget", "new", {"amount": 1}, line=12),
                _obj("team", "same", {"owners": ["a"]}),
            )
        }
    )
    changes = diff_configs(base, head, base_prefix=("/tmp/x", "main:"))
    assert [(c.address, c.action, c.location) for c in changes] == [
        ("budget.ml", "changed", "finopsmetrics.yaml:4:3"),
        ("budget.new", "added", "finopsmetrics.yaml:12:3"),
        ("budget.old", "removed", "main:f.yaml:9:3"),
    ]
    assert [describe_field(f) for f in changes[0].fields] == [
        "alerts[0].threshold: 0.8 -> 0.9",
        "amount: 100 -> 120",
        'currency: (unset) -> "EUR"',
        "lifecycle.prevent_destroy: false -> true",
    ]
    diff = ConfigDiff("main", "c" * 40, changes)
    assert diff.summary == "Config vs main (cccccccccccc): 1 added, 1 changed, 1 removed."
    assert render_text(diff).splitlines() == [
        "Configuration changes against main (cccccccccccc):",
        "  ~ budget.ml  (finopsmetrics.yaml:4:3)",
        "      alerts[0].threshold: 80% -> 90%",
        "      amount: 100 -> 120",
        '      currency: (unset) -> "EUR"',
        "      lifecycle.prevent_destroy: false -> true",
        "  + budget.new  (finopsmetrics.yaml:12:3)",
        "  - budget.old  (main:f.yaml:9:3)",
        "Config vs main (cccccccccccc): 1 added, 1 changed, 1 removed.",
    ]
    assert diff.to_json()["summary"] == {"added": 1, "changed": 1, "removed": 1}
    assert diff.to_json()["changes"][0]["fields"][1] == {
        "path": "amount",
        "action": "change",
        "old": 100,
        "new": 120,
    }


def test_markdown_is_collapsible_and_truncated_with_a_count() -> None:
    base = Config(objects={})
    head = Config(
        objects={f"budget.b{i}": _obj("budget", f"b{i}", {"amount": i}) for i in range(5)}
    )
    diff = ConfigDiff("main", "d" * 40, diff_configs(base, head))
    text = render_markdown(diff, limit=3)
    assert (
        text.splitlines()[0] == "**Config vs main (dddddddddddd): 5 added, 0 changed, 0 removed.**"
    )
    assert "<details><summary>Configuration changes in this branch</summary>" in text
    assert "# … and 2 more objects not shown" in text
    assert render_markdown(ConfigDiff("main", "d" * 40)) == (
        "**No configuration changes against main.**"
    )


def test_tokens_in_repository_urls_are_redacted() -> None:
    from finopsmetrics_cli.gitops.reconciler import redact_url

    assert redact_url("https://x-access-token:ghp_SECRET@github.com/a/b.git") == (
        "https://x-access-token:***@github.com/a/b.git"
    )
    assert redact_url("fatal: unable to access 'https://u:p@h/r/': 403") == (
        "fatal: unable to access 'https://u:***@h/r/': 403"
    )
    for unchanged in ("git@github.com:a/b.git", "https://github.com/a/b.git", "/srv/repo.git"):
        assert redact_url(unchanged) == unchanged
