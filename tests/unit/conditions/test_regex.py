"""MATCHES: the accepted subset, and Python's re agreeing with DuckDB's RE2 on it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finopsmetrics_cli.conditions.regex import RegexRejected, safe_regex

ACCEPTED = ["^prod-.*", ".*-ml-.*", "\\d+\\.\\d{1,3}$", "[a-z_-]+@x\\.com", "(ab|cd)",
            "[\\w.]+", "^$", "a{2,}", "x?y", "\\s", "[^a]", "é+", "\\D\\W\\S", "a|", "\\n\\t",
            "(a+)+$", "(ab|c)*d", "^(?:x|y{2,3})?z+$", "[0-9a-f]{2}-", ".*.*.*@"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?=a)", "only plain groups ( ) and (?: ) are supported"),
        ("(?i)a", "only plain groups ( ) and (?: ) are supported"),
        ("a*?", "lazy and possessive quantifiers are not supported"),
        ("\\bword", "unsupported escape '\\b'"),
        ("(a)\\1", "unsupported escape '\\1'"),
        ("[z-a]", "a range must go from low to high, e.g. a-z"),
        ("a{2,1}", "repetition {m,n} needs m <= n"),
        ("a{1000}", "repetition counts are limited to 100"),
        ("a{", "'{' must start a repetition such as {2} or {1,3}"),
        ("[abc", "missing ']'"),
        ("(abc", "missing ')'"),
        ("abc)", "unbalanced ')'"),
        ("*a", "nothing to repeat"),
        ("^*", "nothing to repeat"),
        ("[]", "an empty [] matches nothing"),
        ("[[:alpha:]]", "'[' inside [...] must be escaped"),
        ("(?:(?:(?:a{100}){100}){100})",
         "the pattern expands to too many states (nested repetition counts multiply)"),
        ("x" * 257, "the pattern is 257 characters long; the limit is 256"),
        ("abc\\", "the pattern ends with a lone backslash"),
    ],
)
def test_rejected_patterns(pattern: str, message: str) -> None:
    with pytest.raises(RegexRejected) as info:
        safe_regex(pattern)
    assert info.value.message == message


def test_engine_spellings() -> None:
    r = safe_regex("\\d+$")
    assert (r.python, r.re2) == ("[0-9]+\\Z", "[0-9]+\\z")


_SUBJECTS = st.text(alphabet="abcdxyz-_.@ 019é\n\tAZ", max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_SUBJECTS, min_size=30, max_size=30))
def test_python_and_duckdb_regex_agree(duck: Any, subjects: list[str]) -> None:
    patterns = [safe_regex(p) for p in ACCEPTED]
    select = ", ".join("regexp_matches(s, ?)" for _ in patterns)
    values = ", ".join(f"({i}, ?)" for i in range(len(subjects)))
    got = duck.execute(
        f"SELECT {select} FROM (VALUES {values}) AS v(i, s) ORDER BY i",
        [p.re2 for p in patterns] + subjects,
    ).fetchall()
    for subject, row in zip(subjects, got, strict=True):
        ours = tuple(p.search(subject) for p in patterns)
        python_re = tuple(re.compile(p.python).search(subject) is not None for p in patterns)
        assert row == ours == python_re, subject


def test_dollar_means_end_of_text_in_both_engines(duck: Any) -> None:
    r = safe_regex("c$")
    assert r.search("abc\n") is False
    (got,) = duck.execute("SELECT regexp_matches(?, ?)", ["abc\n", r.re2]).fetchone()
    assert got is False


def test_matching_never_backtracks() -> None:
    """Patterns that make Python's re take minutes run in linear time here."""
    subject = "a" * 50_000 + "!"
    start = time.thread_time()  # CPU time: a loaded machine cannot fail it, backtracking can
    for pattern in ["(a+)+$", ".*.*.*.*x", "(a|aa)*b", "[a-z]*[a-z]*[a-z]*[a-z]*#"]:
        assert safe_regex(pattern).search(subject) is False
    assert time.thread_time() - start < 2.0


def test_the_dfa_cache_is_bounded_and_results_survive_a_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from finopsmetrics_cli.conditions import matcher

    monkeypatch.setattr(matcher, "MAX_DFA_STATES", 3)
    pattern = safe_regex("[a-c]{2}x|y+z$")
    m = matcher.Matcher(pattern.python)
    python_re = re.compile(pattern.python)
    subjects = ["abx", "yyz", "ccx!", "yz\n", "aax", "bbbx", "zzz", "cax", "yyyz"] * 3
    for subject in subjects:
        assert m.search(subject) == (python_re.search(subject) is not None), subject
        assert len(m._dfa.sets) <= 3 + len(subject) + 1
