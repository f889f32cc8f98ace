"""Every bad-input fixture gives exactly the expected diagnostics: code, line, column.

Codes of the models' own checks are written as their error type (not_positive)
and resolved through models.errors.ERROR_CODES, so the table says what is
wrong, and a renumbering stays a one-place change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finopsmetrics_cli.config import validate_paths
from finopsmetrics_cli.models.errors import ERROR_CODES

BAD = Path(__file__).parents[2] / "fixtures" / "bad"

EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "alias_bomb": [("E013", 6, 4)],
    "allocated_cost_mismatch": [("allocated_cost_mismatch", 9, 23)],
    "bad_cron": [("invalid_cron", 4, 15)],
    "bad_currency": [("invalid_currency", 4, 15)],
    "bad_duration": [("invalid_duration", 4, 17)],
    "bad_email": [("invalid_email", 3, 14)],
    "bad_enum": [("invalid_choice", 4, 13)],
    "bad_percent": [("invalid_percent", 5, 20)],
    "bad_regex": [("invalid_regex", 3, 14)],
    "bad_threshold_range": [("threshold_range", 5, 20)],
    "binary": [("E003", 2, 12)],
    "binary_tag": [("E016", 3, 18)],
    "condition_double_quoted": [("C102", 3, 61)],
    "condition_folded_block": [("C102", 5, 22)],
    "condition_literal_block": [("C102", 5, 22)],
    "condition_plain": [("C102", 3, 31)],
    "condition_single_quoted": [("C102", 3, 61)],
    "condition_type_mismatch": [("C202", 3, 40)],
    "condition_unknown_attribute": [("C201", 5, 22)],
    "dangling_approval_workflow": [("E301", 11, 26)],
    "dangling_channel": [("E301", 10, 20)],
    "dangling_team": [("E301", 6, 12)],
    "dashboard_bad_layout": [("invalid_layout", 3, 13)],
    "deep_nesting_block": [("E014", 65, 129)],
    "deep_nesting_flow": [("E014", 4, 70)],
    "duplicate_keys_many": [("E012", 4, 5), ("E012", 7, 5), ("E012", 8, 3)],
    "duplicate_name_aliases": [("E106", 6, 5)],
    "duplicate_name_list": [("E106", 4, 5)],
    "duplicate_nested_key": [("E012", 5, 5)],
    "duplicate_top_key": [("E012", 3, 1)],
    "empty": [("E005", 1, 1)],
    "empty_stages": [("empty_stages", 3, 13)],
    "lifecycle_unknown_field": [("E120", 4, 7)],
    "lifecycle_wrong_type": [("E122", 4, 23)],
    "list_item_scalar": [("E104", 2, 5)],
    "many_errors": [
        ("not_positive", 4, 13),
        ("E120", 5, 5),
        ("E121", 6, 5),
        ("invalid_choice", 7, 13),
        ("invalid_email", 10, 14),
        ("E102", 11, 1),
    ],
    "mapping_body_not_mapping": [("invalid_body", 2, 13)],
    "merge_non_mapping": [("E010", 1, 7)],
    "missing_required": [("E121", 2, 5)],
    "multi_document": [("E015", 3, 1)],
    "name_differs_from_key": [("E107", 3, 11)],
    "name_not_string": [("E107", 2, 11)],
    "negative_amount": [("not_positive", 3, 13)],
    "nested_parent_not_mapping": [("E104", 2, 3)],
    "non_string_key": [("E017", 4, 3)],
    "not_utf8": [("E004", 2, 14)],
    "only_comments": [("E005", 1, 1)],
    "secret_literal_webhook": [("secret_literal", 4, 18)],
    "secret_not_reference": [("secret_not_reference", 4, 22)],
    "section_scalar": [("E104", 1, 8)],
    "settings_bad_attribute_type": [("E110", 4, 18)],
    "settings_max_destroy_negative": [("E110", 2, 16)],
    "settings_not_mapping": [("E110", 1, 11)],
    "settings_unknown_key": [("E110", 2, 3)],
    "shares_sum": [("shares_sum", 9, 16)],
    "single_object_as_list": [("E104", 2, 3)],
    "sla_not_positive": [("not_positive", 6, 20)],
    "soft_reference_warning": [("W301", 10, 24)],
    "syntax_bad_indent": [("E010", 4, 4)],
    "syntax_mapping_in_list": [("E010", 3, 3)],
    "syntax_unclosed_flow": [("E010", 5, 1)],
    "syntax_unclosed_quote": [("E010", 4, 1)],
    "tab_indent": [("E011", 3, 1)],
    "too_large": [("E002", 1, 1)],
    "top_list": [("E101", 1, 1)],
    "top_scalar": [("E101", 1, 1)],
    "undefined_alias": [("E010", 3, 18)],
    "unknown_field": [("E120", 4, 5)],
    "unknown_nested_field": [("E120", 6, 9)],
    "unknown_nested_section": [("E102", 2, 3)],
    "unknown_section": [("E102", 2, 1)],
    "unknown_tag": [("E016", 3, 13)],
    "utf16": [("E004", 1, 1)],
    "version_2": [("E103", 1, 10)],
    "version_string": [("E103", 1, 10)],
    "whitespace_only": [("E005", 1, 1)],
    "widget_outside_grid": [("widget_outside_grid", 8, 19)],
    "widget_overlap": [("widget_overlap", 9, 19)],
    "wrong_type_alerts": [("E122", 4, 13)],
    "wrong_type_list": [("not_positive", 3, 13)],
}

OPTIONS = {"too_large": {"max_bytes": 200}}


def _code(name: str) -> str:
    return name if re.fullmatch(r"[A-Z]\d{3}", name) else ERROR_CODES[name].code


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {p.stem for p in BAD.glob("*.yaml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 60


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture(name: str) -> None:
    path = BAD / f"{name}.yaml"
    config, diagnostics = validate_paths([path], **OPTIONS.get(name, {}))  # type: ignore[arg-type]
    got = [(d.code, d.location.line, d.location.column) for d in diagnostics if d.location]
    assert got == [(_code(c), line, col) for c, line, col in EXPECTED[name]]
    assert all(d.location and d.location.file == str(path) for d in diagnostics)
    assert all(d.message and d.hint is None or isinstance(d.hint, str) for d in diagnostics)
    has_error = any(d.severity == "error" for d in diagnostics)
    assert (config is None) == has_error
