"""The provider's own small pieces: property paths, wire values, unknowns in preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from finopsmetrics_cli.engine import Engine
from pulumi.output import Unknown
from pulumi.runtime.rpc import wrap_rpc_secret
from pulumi_finopsmetrics._provider import FinopsProvider, changed_at, property_path

pytestmark = pytest.mark.pulumi


def test_property_paths_are_pulumis() -> None:
    assert property_path(("alerts", 0, "threshold")) == "alerts[0].threshold"
    assert property_path(("widgets", 1, "position", 0)) == "widgets[1].position[0]"
    assert property_path(()) == ""


def test_split_unwraps_secrets_and_whole_numbers() -> None:
    provider = FinopsProvider("notification_channel")
    props = {
        "name": "ops",
        "type": "slack",
        "webhook_url": wrap_rpc_secret("${env:SLACK_WEBHOOK}"),
        "headers": {"X-Token": wrap_rpc_secret("${env:TOKEN}")},
        "weight": 3.0,
        "ratio": 0.5,
        "__provider": "…",
        "__store": "/tmp/s.duckdb",
        "__manager": "pulumi:finops/dev",
        "__replace_on_changes": ["amount"],
        "address": "notification_channel.ops",
        "object_version": 2.0,
        "manager": "pulumi",
    }
    assert provider.split(props) == (
        "ops",
        {
            "type": "slack",
            "webhook_url": "${env:SLACK_WEBHOOK}",
            "headers": {"X-Token": "${env:TOKEN}"},
            "weight": 3,
            "ratio": 0.5,
        },
    )


def test_ids_are_addresses_and_bare_names_are_accepted() -> None:
    provider = FinopsProvider("budget")
    assert provider.name_from_id("budget.ml.training") == "ml.training"
    assert provider.name_from_id("ml-training") == "ml-training"


def provider_on(kind: str, tmp_path: Path) -> FinopsProvider:
    provider = FinopsProvider(kind)
    provider.configured_store = str(tmp_path / "s.duckdb")  # as the host's configure sets it
    return provider


def test_preview_with_an_unknown_immutable_field_may_replace(tmp_path: Path) -> None:
    provider = provider_on("anomaly_detector", tmp_path)
    olds = {"name": "ml", "model": {"type": "isolation_forest"}}
    news = {"name": "ml", "model": Unknown()}
    diff = provider.diff("anomaly_detector.ml", olds, news)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (None, ["model"], True)
    check = provider.check({}, news)
    assert (check.inputs, check.failures) == (news, [])
    assert not (tmp_path / "s.duckdb").exists()  # nothing was opened for an unknown


def test_an_empty_name_is_a_check_failure(tmp_path: Path) -> None:
    result = provider_on("team", tmp_path).check({}, {"name": ""})
    assert [(f.property, f.reason) for f in result.failures] == [("name", "name must not be empty")]


def test_immutable_change_is_the_engines_answer(tmp_path: Path) -> None:
    provider = provider_on("anomaly_detector", tmp_path)
    olds = {"name": "ml", "model": {"type": "isolation_forest", "window": "7d"}}
    news = {"name": "ml", "model": {"type": "prophet", "window": "7d"}}
    expected = Engine(tmp_path / "s.duckdb").requires_replace("anomaly_detector", olds, news)
    diff = provider.diff("anomaly_detector.ml", olds, news)
    assert expected == ["model.type"]
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["model"], True)


def test_a_rename_creates_before_it_deletes(tmp_path: Path) -> None:
    diff = provider_on("team", tmp_path).diff("team.a", {"name": "a"}, {"name": "b"})
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["name"], False)


def test_an_unknown_name_defers_check_and_diff(tmp_path: Path) -> None:
    provider = provider_on("team", tmp_path)
    news = {"name": Unknown()}
    assert provider.check({}, news).failures == []
    diff = provider.diff("team.a", {"name": "a"}, news)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (None, ["name"], False)


@pytest.mark.parametrize(
    ("path", "old", "new", "changed"),
    [
        ("", 1, 2, True),
        ("[0].threshold", [{"threshold": 0.5}], [{"threshold": 0.9}], True),
        ("[1].threshold", [{"threshold": 0.5}], [{"threshold": 0.9}], False),
        ("[*].threshold", [{"threshold": 0.5, "x": 1}], [{"threshold": 0.5, "x": 2}], False),
        ("[*].threshold", [{"threshold": 0.5}], [{"threshold": 0.5}, {"threshold": 1}], True),
        ('["service"]', {"service": "a", "env": "x"}, {"service": "a", "env": "y"}, False),
        ('["service"]', {"service": "a"}, {"service": "b"}, True),
        ("*", {"a": 1}, {"a": 1, "b": 2}, True),
    ],
)
def test_property_paths_select_what_changed(path: str, old: Any, new: Any, changed: bool) -> None:
    assert changed_at(old, new, path) is changed


def test_replace_on_changes_paths_replace_the_top_level_property(tmp_path: Path) -> None:
    provider = provider_on("budget", tmp_path)
    olds = {"name": "b", "amount": 1, "filters": {"service": "a", "env": "x"}}

    def replaces(news: dict[str, Any], paths: list[str]) -> list[str]:
        diff = provider.diff("budget.b", olds, {**news, "__replace_on_changes": paths})
        return list(diff.replaces or [])

    assert replaces({**olds, "amount": 2}, ["amount"]) == ["amount"]
    assert replaces({**olds, "amount": 2}, ["filters"]) == []
    assert replaces({**olds, "filters": {"service": "a", "env": "y"}}, ['filters["service"]']) == []
    assert replaces({**olds, "filters": {"service": "b", "env": "x"}}, ["filters.service"]) == [
        "filters"
    ]
    assert replaces({**olds, "amount": 2}, ["*"]) == ["amount"]
    assert replaces({**olds, "amount": Unknown()}, ["amount"]) == ["amount"]
