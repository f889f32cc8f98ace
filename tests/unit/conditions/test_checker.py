"""Type checking rules and the attribute schema."""

from __future__ import annotations

import pytest

from finopsmetrics_cli.conditions import (
    TYPE_NAMES,
    AttributeSchema,
    AttributeSchemaError,
    ConditionErrors,
    check,
    compile_condition,
    parse,
)


@pytest.mark.parametrize(
    "text",
    [
        "resource.cpu_avg_7d < 5% AND resource.idle_hours > 48",
        "team.spend_current_month > team.budget_monthly * 0.8",
        "resource.cpu_avg_7d < 0.05",
        "resource.age > 7d AND resource.age <= 2 * 24h + 30m",
        "resource.age / 1h > 48",
        "resource.creator_email CONTAINS '@ml-team.'",
        'requester.groups CONTAINS "admins" OR "admins" IN requester.groups',
        'resource.tags.team == "ml" AND resource.tags["cost-center"] IS NOT NULL',
        'resource.name MATCHES "^prod-.*" AND resource.name STARTS WITH "prod"',
        "resource.contains_pii AND NOT resource.encryption_enabled",
        "resource.region < 'm'",
        "resource.type IN []",
        "-team.budget_monthly < 0",
    ],
)
def test_well_typed(text: str) -> None:
    assert check(parse(text)) == []


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("resource.encryption_enabled > true", "C202", "'>' cannot order true/false values"),
        ("resource.tags == resource.tags", "C202", "cannot compare map<string> values with '=='"),
        ("resource.region + 1 > 2", "C211",
         "cannot apply '+' to resource.region (string) and number"),
        ("resource.age + 1 > 2h", "C211", "cannot apply '+' to resource.age (duration) and number"),
        ("-resource.region == 'x'", "C211", "cannot negate a string"),
        ("resource.region IN 'eu'", "C203", "IN needs a list on its right, not a string"),
        ("resource.idle_hours IN ['a']", "C202",
         "cannot look for resource.idle_hours (number) in a list of strings"),
        ("resource.idle_hours CONTAINS 'a'", "C203",
         "CONTAINS needs text on both sides, not a number"),
        ("requester.groups CONTAINS 5", "C202",
         "requester.groups (list<string>) cannot contain a number"),
        ("resource.region MATCHES resource.name", "C213", "MATCHES needs a quoted pattern"),
        ("resource.region == ['a']", "C212", "a list can only follow IN, NOT IN or CONTAINS"),
        ("resource.tags.team.x == 'a'", "C210", "resource.tags.team is a string; it has no 'x'"),
        ("resource.region.x == 'a'", "C210", "resource.region is a string; it has no 'x'"),
        ("resource == 'a'", "C201", "'resource' is a context; name one of its attributes"),
        ("resource.region AND true", "C207", "AND needs true/false operands, but this is a string"),
        ("NOT resource.idle_hours", "C207", "NOT needs true/false operands, but this is a number"),
        ("resource.region IN [null]", "C208",
         "null is unknown, so comparing with it is never true"),
    ],
)
def test_type_errors(text: str, code: str, message: str) -> None:
    errors = check(parse(text))
    assert [(e.code, e.message) for e in errors][:1] == [(code, message)]


def test_unknown_attribute_lists_what_exists_when_nothing_is_close() -> None:
    (err,) = check(parse("team.zzz == 1"))
    assert err.hint == (
        "team has budget_monthly, cost_center, forecast_month_end, members, name, owners, "
        "spend_current_month, spend_last_month"
    )


def test_schema_extension_from_settings_attributes() -> None:
    schema = AttributeSchema.default().extend(
        {"resource": {"gpu_count": "number", "owner_team": "string", "labels": "map<string>"},
         "cost": {"billed": "Number", "services": "list<string>", "active": "boolean"}}
    )
    condition = compile_condition(
        'resource.gpu_count >= 8 AND resource.labels.app == "x" AND cost.billed > 1 '
        'AND cost.services CONTAINS "ec2" AND cost.active',
        schema,
    )
    assert condition.attributes == {
        "resource.gpu_count", "resource.labels.app", "cost.billed", "cost.services",
        "cost.active",
    }
    with pytest.raises(ConditionErrors):
        compile_condition("resource.gpu_count >= 8")  # not in the default schema
    assert AttributeSchema.default().lookup("resource", "gpu_count") is None
    attr = schema.lookup("cost", "active")
    assert attr is not None and attr.type == "bool" and not attr.builtin


@pytest.mark.parametrize(
    ("mapping", "message", "path"),
    [
        ({"resource": {"idle_hours": "duration"}},
         "resource.idle_hours is built in as number; it cannot be redeclared as duration",
         ("resource", "idle_hours")),
        ({"resource": {"gpus": "numbr"}}, "unknown attribute type 'numbr' for resource.gpus",
         ("resource", "gpus")),
        ({"resource": {"bad-name": "string"}},
         "'bad-name' is not a valid attribute or context name",
         ("resource", "bad-name")),
        ({"resource": ["gpu_count"]},
         "settings.attributes.resource must map attribute names to types", ("resource",)),
    ],
)
def test_schema_extension_errors(mapping: object, message: str, path: tuple[str, ...]) -> None:
    with pytest.raises(AttributeSchemaError) as info:
        AttributeSchema.default().extend(mapping)  # type: ignore[arg-type]
    assert (info.value.message, info.value.path) == (message, path)


def test_unknown_type_suggests_the_closest_name() -> None:
    with pytest.raises(AttributeSchemaError) as info:
        AttributeSchema.default().extend({"resource": {"gpus": "numbr"}})
    assert info.value.hint is not None and info.value.hint.startswith("did you mean 'number'? ")


def test_redeclaring_a_builtin_with_its_own_type_is_fine() -> None:
    schema = AttributeSchema.default().extend({"resource": {"idle_hours": "number"}})
    assert schema.lookup("resource", "idle_hours") == AttributeSchema.default().lookup(
        "resource", "idle_hours")


def test_type_names_are_documented_set() -> None:
    assert TYPE_NAMES == ("string", "number", "percent", "bool", "duration", "list<string>",
                          "list<number>", "map<string>", "map<number>")
