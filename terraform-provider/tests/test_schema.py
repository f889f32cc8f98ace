"""Schemas derived from the registry: shapes, flags and what Terraform receives."""

from __future__ import annotations

import json

import pytest
from terraform_provider_finopsmetrics.provider import FinopsProvider
from terraform_provider_finopsmetrics.schema import data_source_schema, kind_schema, resource_schema
from tf.gen import tfplugin_pb2 as pb

from finopsmetrics_cli.models.base import kinds

KINDS = [info.kind for info in kinds()]


def _fields(kind: str) -> dict[str, object]:
    return {f.tf_name: f for f in kind_schema(kind).fields}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_resource_and_data_source_schema(kind: str) -> None:
    resource = resource_schema(kind).to_pb()
    data = data_source_schema(kind).to_pb()
    names = {a.name for a in resource.block.attributes}
    assert {"id", "name", "adopt"} <= names
    assert all(
        a.computed and not a.optional for a in data.block.attributes if a.name not in ("name",)
    )
    assert not data.block.block_types  # data sources carry no blocks


def test_provider_lists_all_23_kinds() -> None:
    provider = FinopsProvider()
    resources = [r.get_name() for r in provider.get_resources()]
    assert resources == KINDS and len(resources) == 23
    assert [d.get_name() for d in provider.get_data_sources()] == [*KINDS, "cost", "budget_status"]


def test_budget_shapes_follow_the_seed_hcl() -> None:
    budget = _fields("budget")
    amount, alerts, filters, currency = (
        budget[k] for k in ("amount", "alerts", "filters", "currency")
    )
    assert (amount.required, amount.computed) == (True, False)  # type: ignore[attr-defined]
    assert (currency.optional, currency.computed) == (True, True)  # type: ignore[attr-defined]
    assert (alerts.style, alerts.nesting) == ("nested", "list")  # type: ignore[attr-defined]
    assert filters.tf_type.tf_type() == b'["map","string"]'  # type: ignore[attr-defined]
    attr = next(a for a in resource_schema("budget").to_pb().block.attributes if a.name == "alerts")
    assert attr.nested_type.nesting == pb.Schema.Object.NestingMode.LIST
    threshold = next(a for a in attr.nested_type.attributes if a.name == "threshold")
    assert threshold.required and json.loads(threshold.type) == "number"


def test_blocks_where_the_seed_writes_blocks() -> None:
    blocks = {b.type_name: b for b in resource_schema("policy").to_pb().block.block_types}
    assert blocks["action"].nesting == pb.Schema.NestedBlock.NestingMode.SINGLE
    detector = {
        b.type_name: b.nesting
        for b in resource_schema("anomaly_detector").to_pb().block.block_types
    }
    assert detector == {
        "model": pb.Schema.NestedBlock.NestingMode.SINGLE,
        "alerts": pb.Schema.NestedBlock.NestingMode.SINGLE,
    }
    dashboard = {b.type_name: b for b in resource_schema("dashboard").to_pb().block.block_types}
    assert list(dashboard) == ["widget"]  # the model's `widgets`, spelled as the seed's HCL does
    assert dashboard["widget"].nesting == pb.Schema.NestedBlock.NestingMode.LIST
    assert _fields("dashboard")["widget"].spec_name == "widgets"  # type: ignore[attr-defined]


def test_secret_fields_are_sensitive_and_descriptions_come_from_the_models() -> None:
    attrs = {a.name: a for a in resource_schema("notification_channel").to_pb().block.attributes}
    assert attrs["webhook_url"].sensitive and attrs["headers"].sensitive
    assert not attrs["channel"].sensitive
    budget = {a.name: a for a in resource_schema("budget").to_pb().block.attributes}
    assert budget["amount"].description == "The limit per period, in `currency`."


def test_schema_response_is_cached_by_fingerprint(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from terraform_provider_finopsmetrics import schema_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FINOPSMETRICS_TF_SCHEMA_CACHE", raising=False)
    calls: list[int] = []

    def build() -> bytes:
        calls.append(1)
        return b"schema"

    assert schema_cache.cached(build) == b"schema"
    assert schema_cache.cached(build) == b"schema"
    assert len(calls) == 1
    files = list((tmp_path / "finopsmetrics").iterdir())
    assert [f.name for f in files] == [f"terraform-schema-{schema_cache.fingerprint()}.pb"]
    monkeypatch.setenv("FINOPSMETRICS_TF_SCHEMA_CACHE", "0")
    schema_cache.cached(build)
    assert len(calls) == 2


def test_cached_schema_response_equals_a_fresh_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from terraform_provider_finopsmetrics.servicer import FinopsServicer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    request = pb.GetProviderSchema.Request()
    first = FinopsServicer(FinopsProvider()).GetProviderSchema(request, None)
    second = FinopsServicer(FinopsProvider()).GetProviderSchema(request, None)
    assert first == second and set(first.resource_schemas) == {f"finopsmetrics_{k}" for k in KINDS}
