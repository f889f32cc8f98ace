"""The provider's own small pieces: property paths, wire values, unknowns in preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from finopsmetrics_cli.engine import Engine
from pulumi.output import Unknown
from pulumi.runtime.rpc import wrap_rpc_secret
from pulumi_finopsmetrics._provider import FinopsProvider, property_path

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


def test_preview_with_an_unknown_immutable_field_may_replace(tmp_path: Path) -> None:
    provider = FinopsProvider("anomaly_detector")
    store = {"__store": str(tmp_path / "s.duckdb")}
    olds = {"name": "ml", "model": {"type": "isolation_forest"}, **store}
    news = {"name": "ml", "model": Unknown(), **store}
    diff = provider.diff("anomaly_detector.ml", olds, news)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (None, ["model"], True)
    check = provider.check({}, news)
    assert (check.inputs, check.failures) == (news, [])
    assert not (tmp_path / "s.duckdb").exists()  # nothing was opened for an unknown


def test_an_empty_name_is_a_check_failure(tmp_path: Path) -> None:
    provider = FinopsProvider("team")
    result = provider.check({}, {"name": "", "__store": str(tmp_path / "s.duckdb")})
    assert [(f.property, f.reason) for f in result.failures] == [("name", "name must not be empty")]


def test_immutable_change_is_the_engines_answer(tmp_path: Path) -> None:
    provider = FinopsProvider("anomaly_detector")
    store = {"__store": str(tmp_path / "s.duckdb")}
    olds = {"name": "ml", "model": {"type": "isolation_forest", "window": "7d"}, **store}
    news = {"name": "ml", "model": {"type": "prophet", "window": "7d"}, **store}
    expected = Engine(store["__store"]).requires_replace("anomaly_detector", olds, news)
    diff = provider.diff("anomaly_detector.ml", olds, news)
    assert expected == ["model.type"]
    assert diff.changes is True and diff.replaces == ["model"]


def test_an_unknown_name_defers_check_and_diff(tmp_path: Path) -> None:
    provider = FinopsProvider("team")
    news = {"name": Unknown(), "__store": str(tmp_path / "s.duckdb")}
    assert provider.check({}, news).failures == []
    diff = provider.diff("team.a", {"name": "a", "__store": news["__store"]}, news)
    assert (diff.changes, diff.replaces) == (None, ["name"])
