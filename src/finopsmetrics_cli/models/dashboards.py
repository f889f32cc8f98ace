"""Dashboards as code (seed 2.3, 8.1, 8.3): a grid layout and widgets placed on it."""

from __future__ import annotations

import re
from typing import Annotated, Any

from annotated_types import Ge
from pydantic import Field, Strict, ValidationInfo, field_validator

from finopsmetrics_cli.models.base import KindModel, StrictModel, register_kind
from finopsmetrics_cli.models.common import description_field, persona_ref
from finopsmetrics_cli.models.errors import custom_error
from finopsmetrics_cli.models.types import FieldType, Identifier, PositiveInt, RefName, new_list

_LAYOUT = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)(?:[_ -]grid)?\s*$", re.IGNORECASE)
MAX_GRID = 24


def parse_layout(text: str) -> tuple[int, int]:
    """``3x3_grid`` -> (columns, rows); ValueError if malformed."""
    match = _LAYOUT.match(text)
    if not match:
        raise ValueError(text)
    return int(match[1]), int(match[2])


def _layout(value: Any) -> str:
    if isinstance(value, str):
        try:
            cols, rows = parse_layout(value)
        except ValueError:
            cols = rows = 0
        if 1 <= cols <= MAX_GRID and 1 <= rows <= MAX_GRID:
            return f"{cols}x{rows}_grid"
    raise custom_error(
        "invalid_layout",
        "expected a layout COLSxROWS_grid such as 3x3_grid (1 to 24 each), got {value}",
        value=repr(value),
    )


Layout = Annotated[
    str,
    FieldType(
        _layout,
        {
            "type": "string",
            "pattern": r"^\s*\d+\s*[xX×]\s*\d+([_ -][gG][rR][iI][dD])?\s*$",
            "description": "COLSxROWS_grid, e.g. 3x3_grid.",
        },
        doc="layout (COLSxROWS_grid)",
    ),
]


GridIndex = Annotated[int, Strict(), Ge(0)]


class Widget(StrictModel):
    """One widget; `position` [x, y] and `size` [w, h] are in grid cells from the top left."""

    type: Identifier = Field(
        description="Widget type: cost_trend, budget_status, recommendations ..."
    )
    title: str | None = Field(None, description="Title shown above the widget.")
    position: tuple[GridIndex, GridIndex] | None = Field(
        None, description="[x, y] of the top-left cell; omitted = placed automatically."
    )
    size: tuple[PositiveInt, PositiveInt] = Field((1, 1), description="[width, height] in cells.")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Widget settings, e.g. time_range: 30d, group_by: service.",
    )


def _overlap(a: Widget, b: Widget) -> tuple[int, int] | None:
    """The top-left shared cell of two placed widgets, or None."""
    assert a.position is not None and b.position is not None
    (ax, ay), (aw, ah) = a.position, a.size
    (bx, by), (bw, bh) = b.position, b.size
    x, y = max(ax, bx), max(ay, by)
    return (x, y) if x < min(ax + aw, bx + bw) and y < min(ay + ah, by + bh) else None


@register_kind(
    "dashboard",
    section="dashboards",
    seed="2.3, 8.1, 8.3",
    references=(persona_ref("role"),),
)
class Dashboard(KindModel):
    """A dashboard: widgets on a COLSxROWS grid. Placed widgets must fit the grid
    and must not overlap; widgets without a position are placed automatically."""

    description: str | None = description_field()
    role: RefName | None = Field(
        None, description="Persona the dashboard is for (cfo, engineer ...)."
    )
    layout: Layout | None = Field(
        None,
        description="Grid COLSxROWS_grid (3x3_grid); omitted: default layout, auto-placed.",
    )
    widgets: list[Widget] = Field(
        default_factory=new_list, description="The widgets, in display order."
    )

    @field_validator("widgets")
    @classmethod
    def _placement(cls, widgets: list[Widget], info: ValidationInfo) -> list[Widget]:
        layout = info.data.get("layout")
        grid = parse_layout(layout) if isinstance(layout, str) else None
        placed: list[int] = []
        for index, widget in enumerate(widgets):
            if widget.position is None:
                continue
            if grid is not None:
                (x, y), (w, h), (cols, rows) = widget.position, widget.size, grid
                if x + w > cols or y + h > rows:
                    field = "position" if x >= cols or y >= rows else "size"
                    raise custom_error(
                        "widget_outside_grid",
                        "widget {index} at [{x}, {y}] with size [{w}, {h}] "
                        "does not fit the {cols}x{rows} grid",
                        at=(index, field),
                        index=index,
                        x=x,
                        y=y,
                        w=w,
                        h=h,
                        cols=cols,
                        rows=rows,
                    )
            for other in placed:
                cell = _overlap(widgets[other], widget)
                if cell is not None:
                    raise custom_error(
                        "widget_overlap",
                        "widget {index} overlaps widget {other} at cell [{x}, {y}]",
                        at=(index, "position"),
                        index=index,
                        other=other,
                        x=cell[0],
                        y=cell[1],
                    )
            placed.append(index)
        return widgets
