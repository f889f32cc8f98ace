"""The cost data sources: ``finopsmetrics_cost`` (the sum for filters and a period) and
``finopsmetrics_budget_status`` (a budget as ``evaluate`` sees it now).

They read cost data, not objects, so they are declared here rather than derived
from a kind; each read is one engine call (``Engine.cost``,
``Engine.budget_status``): the filters mean what budget filters mean, virtual
tags included, and nothing is recorded. The roadmap's

.. code-block:: hcl

    data "finopsmetrics_cost" "ml_training" {
      filters = { service = "ml-training" }
    }
    output "current_spend" { value = data.finopsmetrics_cost.ml_training.total }

reads the month to date of the last day with data.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from tf.iface import Config, DataSource, ReadDataContext, State
from tf.schema import Attribute, Schema
from tf.types import Bool, List, Map, Number, String

if TYPE_CHECKING:
    from finopsmetrics_cli.engine import Engine

COSTS_DOC = (
    "Path of the cost store. Default: $FINOPSMETRICS_COSTS, then ./.finopsmetrics/costs.duckdb."
)


def _computed(name: str, type_: Any, doc: str) -> Attribute:
    return Attribute(name, type_, computed=True, description=doc)


def _optional(name: str, type_: Any, doc: str) -> Attribute:
    return Attribute(name, type_, optional=True, description=doc)


def cost_schema() -> Schema:
    return Schema(
        version=0,
        description="The cost of the rows matching `filters` over a period, from the cost "
        "store that `finopsmetrics costs sync` fills (the same filters as budgets: dimensions, "
        "tag keys with virtual tags as fallback, `*` globs).",
        attributes=[
            _computed("id", String(), "filters, period and bounds, as one string."),
            _optional("filters", Map(String()),
                      "Dimension or tag key -> value (`*` globs; `a,b` is any of a or b)."),
            _optional("period", String(),
                      "daily, weekly, monthly (default), quarterly or yearly: the period "
                      "holding the last day with data, to date; or 2024-03, 2024, 2024-03-05."),
            _optional("start_date", String(), "First day (YYYY-MM-DD), instead of a period."),
            _optional("end_date", String(), "Last day, included (default: last day with data)."),
            _optional("metric", String(), "effective (default), billed, list or contracted."),
            _optional("costs", String(), COSTS_DOC),
            _computed("total", Number(), "The sum, in the billing currency, rounded to cents."),
            _computed("currency", String(), "The billing currency (null when no row matched)."),
            _computed("period_start", String(), "First day summed."),
            _computed("period_end", String(), "Last day summed."),
        ],
    )  # fmt: skip


def budget_status_schema() -> Schema:
    return Schema(
        version=0,
        description="A budget of the state as `finopsmetrics evaluate` sees it now: "
        "period-to-date actual, forecast, and the alerts that fire.",
        attributes=[
            _computed("id", String(), "The budget's name."),
            Attribute("name", String(), required=True, description="The budget's name."),
            _optional("at", String(), "Evaluate as of the end of this day (YYYY-MM-DD); "
                      "default: the last day with data."),
            _optional("costs", String(), COSTS_DOC),
            _computed("active", Bool(), "False when disabled or outside its start/end dates."),
            _computed("period", String(), "The budget's period type."),
            _computed("period_start", String(), "First day of the current period."),
            _computed("period_end", String(), "Last day of the current period."),
            _computed("amount", Number(), "The budget's amount."),
            _computed("currency", String(), "The budget's currency."),
            _computed("actual", Number(), "Spend so far in the period."),
            _computed("forecast", Number(), "Forecast of the period's total."),
            _computed("percent_actual", Number(), "actual / amount (1.03 is 103%)."),
            _computed("percent_forecast", Number(), "forecast / amount."),
            _computed("alerts_fired", List(String()),
                      "The alerts that fire now, as `80% actual` or `100% forecasted`."),
        ],
    )  # fmt: skip


def _day(config: dict[str, Any], key: str) -> date | None:
    value = config.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        from finopsmetrics_cli.errors import EvaluationError

        raise EvaluationError(f"{key} {value!r} is not a date (YYYY-MM-DD)") from None


def read_cost(engine: Engine, config: dict[str, Any]) -> dict[str, Any]:
    filters = {
        key: (value if "," not in value else [v.strip() for v in value.split(",")])
        for key, value in (config.get("filters") or {}).items()
    }
    summary = engine.cost(
        filters, period=config.get("period"), start=_day(config, "start_date"),
        end=_day(config, "end_date"), metric=config.get("metric"), costs=config.get("costs"),
    )  # fmt: skip
    identity = ",".join(f"{k}={v}" for k, v in sorted((config.get("filters") or {}).items()))
    return {
        **{k: config.get(k) for k in ("filters", "period", "start_date", "end_date", "metric",
                                      "costs")},
        "id": f"{identity or '*'}@{summary.start.isoformat()}..{summary.end.isoformat()}",
        "total": summary.total, "currency": summary.currency,
        "period_start": summary.start.isoformat(), "period_end": summary.end.isoformat(),
    }  # fmt: skip


def read_budget_status(engine: Engine, config: dict[str, Any]) -> dict[str, Any]:
    name = str(config["name"])
    status = engine.budget_status(name, at=_day(config, "at"), costs=config.get("costs"))
    out: dict[str, Any] = {"id": name, "name": name, "at": config.get("at"),
                           "costs": config.get("costs"), "active": status is not None}  # fmt: skip
    keys = ("period", "period_start", "period_end", "amount", "currency", "actual", "forecast",
            "percent_actual", "percent_forecast", "alerts_fired")  # fmt: skip
    out.update(dict.fromkeys(keys))
    if status is not None:
        out.update(
            period=status.period, period_start=status.start.isoformat(),
            period_end=status.end.isoformat(), amount=status.amount, currency=status.currency,
            actual=status.actual, forecast=status.forecast,
            percent_actual=round(status.percent_actual, 4),
            percent_forecast=round(status.percent_forecast, 4),
            alerts_fired=[f"{a.threshold * 100:g}% {a.type}" for a in status.alerts_fired],
        )  # fmt: skip
    return out


class _CostDataSource(DataSource):
    """Schema holder; FinopsServicer.ReadDataSource calls :data:`READERS`."""

    name = ""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.name

    def read(self, ctx: ReadDataContext, config: Config) -> State | None:  # pragma: no cover
        raise RuntimeError("served by FinopsServicer")


class CostDataSource(_CostDataSource):
    name = "cost"

    @classmethod
    def get_schema(cls) -> Schema:
        return cost_schema()


class BudgetStatusDataSource(_CostDataSource):
    name = "budget_status"

    @classmethod
    def get_schema(cls) -> Schema:
        return budget_status_schema()


DATA_SOURCES: tuple[type[DataSource], ...] = (CostDataSource, BudgetStatusDataSource)
READERS = {"cost": read_cost, "budget_status": read_budget_status}


EXAMPLES = {
    "cost": 'data "finopsmetrics_cost" "ml_training" {\n'
    '  filters = { service = "ml-training" }\n}\n\n'
    'output "current_spend" {\n  value = data.finopsmetrics_cost.ml_training.total\n}',
    "budget_status": 'data "finopsmetrics_budget_status" "ml" {\n'
    '  name = finopsmetrics_budget.ml_training_budget.name\n}\n\n'
    'output "ml_spent" {\n  value = data.finopsmetrics_budget_status.ml.percent_actual\n}',
}


def doc_pages(generated: str) -> dict[str, str]:
    """``data-sources/cost.md`` and ``data-sources/budget_status.md``, from the schemas."""
    out = {}
    for source in DATA_SOURCES:
        name, schema = source.get_name(), source.get_schema()
        lines = [
            "---", f'page_title: "finopsmetrics_{name} Data Source - finopsmetrics"', "---",
            generated, "", f"# finopsmetrics_{name} (Data Source)", "",
            str(schema.description), "", "## Example Usage", "", "```terraform",
            EXAMPLES[name], "```", "", "## Schema", "",
        ]  # fmt: skip
        groups = (("Required", lambda a: a.required), ("Optional", lambda a: a.optional),
                  ("Read-Only", lambda a: a.computed and not a.optional))  # fmt: skip
        for title, wanted in groups:
            attrs = [a for a in schema.attributes if wanted(a)]
            if attrs:
                lines += [f"### {title}", ""]
                lines += [f"- `{a.name}` ({_type_label(a.type)}) {a.description}" for a in attrs]
                lines.append("")
        out[f"data-sources/{name}.md"] = "\n".join(lines)
    return out


def _type_label(type_: Any) -> str:
    return {"String": "String", "Number": "Number", "Bool": "Boolean", "Map": "Map of String",
            "List": "List of String"}.get(type(type_).__name__, type(type_).__name__)  # fmt: skip
