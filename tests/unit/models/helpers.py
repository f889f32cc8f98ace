"""Small helpers for model tests: validate a dict and get errors as
(type, full path, message) with ``ctx["at"]`` applied, as the loader sees them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from finopsmetrics_cli.models import get_kind
from finopsmetrics_cli.models.errors import error_path


def spec(kind: str, **fields: Any) -> dict[str, Any]:
    model = get_kind(kind).model
    return model.model_validate({"name": "x", **fields}).canonical_spec()


def errors(kind_or_model: str | type[BaseModel], **fields: Any) -> list[tuple[str, str, str]]:
    model = get_kind(kind_or_model).model if isinstance(kind_or_model, str) else kind_or_model
    data = {"name": "x", **fields} if isinstance(kind_or_model, str) else fields
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [
            (e["type"], ".".join(str(p) for p in error_path(e)), e["msg"])
            for e in exc.errors(include_url=False)
        ]
    raise AssertionError("expected a validation error")


def one_error(kind_or_model: str | type[BaseModel], **fields: Any) -> tuple[str, str, str]:
    found = errors(kind_or_model, **fields)
    assert len(found) == 1, found
    return found[0]
