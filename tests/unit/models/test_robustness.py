"""Bad input never escapes as anything but a validation error: every kind, fed
arbitrary YAML-shaped values in every field, raises only pydantic's
ValidationError (or the body-shape error of ``coerce``), never a TypeError or
KeyError that would become a traceback."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from finopsmetrics_cli.models import KindInfo, kinds

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["80%", "24h", "0 9 * * MON", "${env:X}", "3x3_grid", "slack", "", " "]),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers(0, 5)), inner, max_size=4),
    ),
    max_leaves=12,
)
INFOS = list(kinds())


def _check(info: KindInfo, body: Any) -> None:
    try:
        info.name_of(body) if isinstance(body, dict) else None
        data = info.coerce(info.section, "x", body)
        info.model.model_validate(data).canonical_spec()
    except ValidationError:
        pass
    except ValueError as exc:  # PydanticCustomError from coerce (wrong body shape)
        assert type(exc).__name__ == "PydanticCustomError", repr(exc)


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.kind)
@settings(
    max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_fields_with_arbitrary_values(info: KindInfo, data: st.DataObject) -> None:
    fields = [f for f in info.model.model_fields if f != "name"]
    chosen = data.draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
    body = {f: data.draw(VALUES) for f in chosen}
    _check(info, body)


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.kind)
@settings(max_examples=5, deadline=None, derandomize=True)
@given(body=VALUES)
def test_arbitrary_bodies(info: KindInfo, body: Any) -> None:
    _check(info, body)
