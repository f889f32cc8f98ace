"""examples/finopsmetrics.yaml: uses every kind, validates, and its hard references resolve."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from tests.unit.models.routing import load_yaml, objects

from finopsmetrics_cli.models import KindInfo, kinds

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "finopsmetrics.yaml"


def _values(data: Any, parts: list[str]) -> typing.Iterator[Any]:
    if not parts:
        yield data
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
        for item in items:
            yield from _values(item, rest)
    elif isinstance(data, dict) and head in data:
        yield from _values(data[head], rest)


def _load() -> dict[str, tuple[KindInfo, dict[str, Any]]]:
    out: dict[str, tuple[KindInfo, dict[str, Any]]] = {}
    for info, name, data in objects(load_yaml(EXAMPLE)):
        out[f"{info.kind}.{name}"] = (info, info.model.model_validate(data).canonical_spec())
    return out


def test_example_starts_with_the_schema_line() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/finopsmetrics.schema.json"
    assert (EXAMPLE.parent / "../schemas/finopsmetrics.schema.json").resolve().exists()


def test_example_uses_every_kind() -> None:
    used = {info.kind for info, _ in _load().values()}
    assert used == {info.kind for info in kinds()}


def test_example_references_resolve() -> None:
    objs = _load()
    declared = {address.partition(".")[0] for address in objs}
    dangling = []
    for address, (info, spec) in objs.items():
        for ref in info.references:
            if ref.severity == "warning" or (not ref.required and ref.target not in declared):
                continue
            for value in _values(spec, ref.path.split(".")):
                if value is None or value in ref.builtins:
                    continue
                if f"{ref.target}.{value}" not in objs:
                    dangling.append(f"{address}: {ref.path} = {value}")
    assert dangling == []
