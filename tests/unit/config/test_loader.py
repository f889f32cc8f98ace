"""Loading: shapes, sections, files and directories, names, settings, digest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from finopsmetrics_cli.config import load_config, validate_paths, validate_text
from finopsmetrics_cli.errors import Location, ValidationFailed

Write = Callable[[str, str], Path]


def _codes(diags: list) -> list[tuple[str, int, int]]:
    return [(d.code, d.location.line, d.location.column) for d in diags if d.location]


def test_list_and_mapping_shapes_mean_the_same() -> None:
    as_list, d1 = validate_text("budgets:\n  - name: ml\n    amount: 100\n    period: monthly\n")
    as_map, d2 = validate_text("budgets:\n  ml:\n    amount: 100\n    period: monthly\n")
    assert as_list is not None and as_map is not None and not d1 and not d2
    assert as_list.objects["budget.ml"].spec == as_map.objects["budget.ml"].spec
    assert as_list.digest == as_map.digest


def test_digest_is_stable_across_formatting_and_changes_with_values() -> None:
    a, _ = validate_text(
        "# comment\nbudgets:\n  - name: ml\n    amount: 100\n    alerts:\n"
        "      - threshold: 80%\n        channels: [email]\n"
    )
    b, _ = validate_text(
        "version: 1\n"
        "budgets: {ml: {alerts: [{channels: [email], threshold: 0.8}], amount: 100.0}}\n"
    )
    c, _ = validate_text("budgets:\n  - name: ml\n    amount: 101\n")
    assert a is not None and b is not None and c is not None
    assert a.digest == b.digest
    assert len(a.digest) == 64 and a.digest != c.digest


def test_objects_keep_file_order_locations_references_and_lifecycle() -> None:
    config, diags = validate_text(
        "teams:\n  platform: {cost_center: cc-1}\n"
        "notification_channels:\n  - name: finops\n"
        "    type: email\n    addresses: [a@example.com]\n"
        "budgets:\n  - name: b\n    amount: 10\n    owner: platform\n"
        "    alerts: [{threshold: 50%, channels: [finops, slack]}]\n"
        "    lifecycle: {prevent_destroy: true, ignore_changes: [amount]}\n",
        "f.yaml",
    )
    assert config is not None and not diags
    assert list(config.objects) == ["team.platform", "notification_channel.finops", "budget.b"]
    budget = config.objects["budget.b"]
    assert budget.location == Location("f.yaml", 8, 5)
    assert config.objects["team.platform"].location == Location("f.yaml", 2, 3)
    assert set(budget.references) == {"notification_channel.finops", "team.platform"}
    assert budget.lifecycle.prevent_destroy is True
    assert budget.lifecycle.ignore_changes == ("amount",)
    assert "lifecycle" not in budget.spec and "name" not in budget.spec


def test_nested_alias_sections_and_section_defaults() -> None:
    config, diags = validate_text(
        "tags:\n  auto_tagging_rules:\n    - pattern: '^prod-.*'\n"
        "      tags: {environment: production}\n"
        "business_mapping:\n  products:\n    mobile_app:\n      clusters: [prod-mobile-*]\n"
        "  features:\n    checkout:\n      services: [checkout-api]\n"
    )
    assert config is not None, diags
    kinds = [o.kind for o in config.objects.values()]
    assert kinds == ["tag_rule", "business_mapping", "business_mapping"]
    assert config.objects["business_mapping.mobile_app"].spec["entity_type"] == "product"
    assert config.objects["business_mapping.checkout"].spec["entity_type"] == "feature"


def test_derived_names_follow_content_not_position() -> None:
    one = "tag_rules:\n  - pattern: '^a-'\n    tags: {t: a}\n  - pattern: '^b-'\n    tags: {t: b}\n"
    two = "tag_rules:\n  - pattern: '^b-'\n    tags: {t: b}\n  - pattern: '^a-'\n    tags: {t: a}\n"
    c1, _ = validate_text(one)
    c2, _ = validate_text(two)
    assert c1 is not None and c2 is not None
    assert set(c1.objects) == set(c2.objects)
    assert all(a.startswith("tag_rule.tag_rule-") for a in c1.objects)
    assert c1.digest == c2.digest


def test_same_kind_split_across_files_in_a_directory(write: Write, tmp_path: Path) -> None:
    write("b.yaml", "budgets:\n  - name: two\n    amount: 2\n")
    write("a/a.yml", "budgets:\n  - name: one\n    amount: 1\nteams: [{name: t}]\n")
    write(".hidden/x.yaml", "not: valid: yaml: [\n")
    write("notes.txt", "ignored")
    config = load_config([tmp_path])
    assert list(config.objects) == ["budget.one", "team.t", "budget.two"]
    assert config.files == (str(tmp_path / "a" / "a.yml"), str(tmp_path / "b.yaml"))


def test_duplicate_name_across_files_names_the_first(write: Write) -> None:
    first = write("one.yaml", "teams:\n  - name: platform\n")
    second = write("two.yaml", "teams:\n  platform: {}\n")
    config, diags = validate_paths([first, second])
    assert config is None
    assert [d.code for d in diags] == ["E106"]
    assert diags[0].message == f"team 'platform' is already declared at {first}:2:5"
    assert diags[0].location == Location(str(second), 2, 3)


def test_all_errors_of_all_files_in_one_run(write: Write) -> None:
    a = write("a.yaml", "budgets:\n  - name: x\n    amount: -1\n    curency: USD\n")
    b = write("b.yaml", "teems: []\nversion: 3\n")
    with pytest.raises(ValidationFailed) as info:
        load_config([a, b])
    got = [(d.code, d.location.file, d.location.line) for d in info.value.diagnostics if d.location]
    assert got == [
        ("E228", str(a), 3),
        ("E120", str(a), 4),
        ("E102", str(b), 1),
        ("E103", str(b), 2),
    ]
    assert str(info.value).startswith(f"{a}:3:13: error[E228]: budget 'x': amount:")


def test_warnings_do_not_fail_and_are_returned(write: Write) -> None:
    path = write(
        "w.yaml",
        "approval_workflows:\n  - name: ri\n    stages: [{stage: s, approvers: [lead]}]\n"
        "policies:\n  - name: p\n    condition: resource.cost_monthly > 1\n    action: prevent\n"
        "    exception_process: budget_increase\n",
    )
    config, diags = validate_paths([path])
    assert config is not None
    assert [(d.code, d.severity) for d in diags] == [("W301", "warning")]
    assert load_config(path).objects["policy.p"].spec["exception_process"] == "budget_increase"


def test_missing_paths_empty_dirs_and_size_limit(write: Write, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    big = write("big.yaml", "teams:\n" + "  - name: t\n" * 10)
    _, diags = validate_paths([tmp_path / "nope.yaml", empty])
    assert [d.code for d in diags] == ["E001", "E006"]
    assert diags[0].hint == "pass a file or directory, or create one with `finopsmetrics init`"
    _, diags = validate_paths([big], max_bytes=50)
    assert [d.code for d in diags] == ["E002"]
    assert diags[0].message == "file is 127 bytes, over the 50-byte limit"


def test_version_is_optional_and_one_is_accepted() -> None:
    assert validate_text("version: 1\nteams: []\n")[0] is not None
    assert validate_text("teams: []\n")[0] is not None
    _, diags = validate_text("version: true\n")
    assert [d.code for d in diags] == ["E103"]


def test_settings_are_typed_and_feed_the_condition_language() -> None:
    text = (
        "settings:\n  max_destroy: 5\n  attributes:\n    resource: {gpu_count: number}\n"
        "policies:\n  - name: gpus\n    condition: resource.gpu_count > 4\n    action: prevent\n"
    )
    config, diags = validate_text(text)
    assert config is not None, diags
    assert config.settings.max_destroy == 5
    assert config.settings.attributes == {"resource": {"gpu_count": "number"}}
    _, diags = validate_text(text.replace("gpu_count > 4", "gpu_cnt > 4"))
    assert [d.code for d in diags] == ["C201"]
    _, diags = validate_text(text.replace("    resource: {gpu_count: number}\n", ""))
    assert [d.code for d in diags] == ["C201"]


def test_settings_split_across_files_and_set_twice(write: Write) -> None:
    a = write("a.yaml", "settings: {max_destroy: 1}\n")
    b = write("b.yaml", "settings:\n  max_destroy: 2\n")
    _, diags = validate_paths([a, b])
    assert [(d.code, d.location) for d in diags] == [("E110", Location(str(b), 2, 3))]
    assert diags[0].message == f"setting 'max_destroy' is already set at {a}:1:12"


def test_single_object_section_gets_a_derived_name() -> None:
    config, diags = validate_text(
        "shared_service_attribution:\n  resource_id: db\n  attribution_method: fixed\n"
        "  allocations:\n    - {service: a, share: 60%}\n    - {service: b, share: 40%}\n",
        "s.yaml",
    )
    assert config is not None, diags
    (obj,) = config.objects.values()
    assert obj.kind == "cost_allocation" and obj.location == Location("s.yaml", 2, 3)


def test_identical_unnamed_objects_in_two_files_are_one_with_a_warning(write: Write) -> None:
    text = "tag_rules:\n  - pattern: '^x'\n    tags: {t: x}\n"
    a, b = write("a.yaml", text), write("b.yaml", text)
    config, diags = validate_paths([a, b])
    assert config is not None and len(config.objects) == 1
    assert [(d.code, d.location) for d in diags] == [("W106", Location(str(b), 2, 5))]


def test_unknown_keys_suggest_inside_nested_parents() -> None:
    _, diags = validate_text("automation_policy:\n  rule: []\n")
    assert [(d.code, d.message, d.hint) for d in diags] == [
        ("E102", "unknown section automation_policy.rule", "did you mean 'rules'?")
    ]


def test_schema_error_messages_and_hints() -> None:
    _, diags = validate_text(
        "budgets:\n  - name: x\n    amount: 5\n    alerts:\n"
        "      - threshold: 50%\n        chanels: [email]\n"
        "teams:\n  - name: t\n    lifecycle: {prevent_destroy: maybe}\n",
        "m.yaml",
    )
    assert [d.render() for d in diags] == [
        "m.yaml:6:9: error[E120]: budget 'x': unknown field 'chanels'\n"
        "  hint: did you mean 'channels'?",
        "m.yaml:9:34: error[E122]: team 't': lifecycle.prevent_destroy: Input should be a valid"
        " boolean (got 'maybe')",
    ]


def test_dangling_reference_is_located_at_the_name_with_a_suggestion() -> None:
    _, diags = validate_text(
        "notification_channels:\n  - {name: finops-slack, type: slack, webhook_url: '${env:W}'}\n"
        "reports:\n  - name: r\n    template: executive_summary\n"
        "    trigger: anomaly_detected\n    channels:\n      - email\n"
        "      - finops-slak\n",
        "r.yaml",
    )
    assert [d.render() for d in diags] == [
        "r.yaml:9:9: error[E301]: report 'r': channels[1] names notification_channel 'finops-slak',"
        " which is not declared\n  hint: did you mean 'finops-slack'?"
    ]


def test_extension_keys_hold_anchors_and_merge_keys_work() -> None:
    config, diags = validate_text(
        "x-defaults: &d\n  period: quarterly\n  currency: EUR\n"
        "budgets:\n  - name: a\n    <<: *d\n    amount: 5\n"
        "  - name: b\n    <<: *d\n    amount: 6\n    currency: USD\n",
        "m.yaml",
    )
    assert config is not None and not diags
    assert config.objects["budget.a"].spec["currency"] == "EUR"
    assert config.objects["budget.a"].spec["period"] == "quarterly"
    assert config.objects["budget.b"].spec["currency"] == "USD"
    assert config.objects["budget.b"].location == Location("m.yaml", 8, 5)
    _, diags = validate_text("defaults: {}\n")
    assert diags[0].hint == (
        "see docs/reference/file-format.md for the sections; keys starting with x- are"
        " ignored (a place for YAML anchors)"
    )


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    _, diags = validate_paths([fifo, tmp_path])  # given directly, and found in a directory
    assert [(d.code, d.message) for d in diags] == [
        ("E001", f"not a regular file: {str(fifo)!r}"),
        ("E006", f"no *.yaml or *.yml files in {str(tmp_path)!r}"),
    ]


def test_unnamed_objects_same_derived_name_but_different_content_are_an_error(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A (forced) derived-name collision must not silently drop an object."""
    import dataclasses

    from finopsmetrics_cli.models import base

    info = base.get_kind("tag_rule")
    monkeypatch.setitem(
        base._KINDS, "tag_rule", dataclasses.replace(info, derive_name=lambda b: "same")
    )
    a = write("a.yaml", "tag_rules:\n  - pattern: '^x'\n    tags: {t: x}\n")
    b = write("b.yaml", "tag_rules:\n  - pattern: '^y'\n    tags: {t: y}\n")
    c = write("c.yaml", "tag_rules:\n  - {tags: {t: x}, pattern: '^x', enabled: true}\n")
    _, diags = validate_paths([a, b])
    assert [d.code for d in diags] == ["E106"]
    _, diags = validate_paths([a, c])  # the same content, spelled differently
    assert [d.code for d in diags] == ["W106"]


def test_people_are_not_persona_references(write: Write) -> None:
    # Emails and #channels address people directly; only bare names are personas.
    path = write(
        "p.yaml",
        "notification_rules:\n  - persona: cfo\n    channels: [email]\n"
        "policies:\n  - name: p\n    condition: resource.cost_monthly > 1\n"
        "    action: {type: require_approval,\n"
        "             approvers: [cto@company.com, '#finops', cfo, ctoo]}\n",
    )
    config, diags = validate_paths([path])
    assert config is not None
    assert [(d.code, d.path) for d in diags] == [("W301", ("action", "approvers", 3))]


def test_objects_sharing_a_condition_are_each_checked() -> None:
    """A condition text compiles once per load; an invalid one is reported at every use."""
    rule = "  - name: {n}\n    condition: {c}\n    tags: {{env: dev}}\n"
    good = 'resource.type == "ec2"'
    text = "tag_rules:\n" + "".join(
        rule.format(n=n, c=c) for n, c in (("a", good), ("b", good), ("c", "x =="), ("d", "x =="))
    )
    config, diags = validate_text(text)
    assert config is None
    errors = [(d.location.line, d.path) for d in diags if d.severity == "error"]
    assert [line for line, _ in errors] == [9, 12]
    assert all(path == ("condition",) for _, path in errors)


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        ("", True),
        ("  \n\t\n", True),
        ("# a\n  # b\n\n", True),
        ("# a\rbudgets: {}\n", False),
        ("# a\u2028x: 1", False),
        ("#\n  key: 1 # c\n", False),
    ],
)
def test_only_comments(text: str, empty: bool) -> None:
    from finopsmetrics_cli.config.source import _only_comments

    lines = text.splitlines()
    assert _only_comments(text) is empty
    assert empty == all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines)
