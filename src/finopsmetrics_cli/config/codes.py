"""Every diagnostic code the loader emits, declared once.

``docs/reference/errors.md`` documents each code; a test keeps the two in
sync. Codes are stable: tools (CI annotations, SARIF rules) key on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from finopsmetrics_cli.errors import Diagnostic, Location, Severity


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    hint: str | None = None
    severity: Severity = "error"


_ALL = (
    # Files and YAML
    Code("E001", "file cannot be read", "check the path and its permissions"),
    Code("E002", "file too large", "split the configuration into several files in one directory"),
    Code("E003", "binary file", "pass only YAML files; directories load only *.yaml and *.yml"),
    Code("E004", "not UTF-8", "save the file as UTF-8"),
    Code(
        "E005",
        "empty file",
        "add at least one section (run `finopsmetrics init` for a starter file) or delete the file",
    ),
    Code(
        "E006",
        "no configuration files",
        "pass a YAML file or a directory holding *.yaml/*.yml files",
    ),
    Code("E010", "YAML syntax error", "check indentation, colons and quotes around this position"),
    Code("E011", "tab indentation", "YAML indents with spaces only; replace the tab with spaces"),
    Code("E012", "duplicate key", None),
    Code("E013", "alias bomb", "use fewer nested aliases; anchors must not expand exponentially"),
    Code(
        "E014", "nesting too deep", "flatten the structure; no finopsmetrics field nests this deep"
    ),
    Code(
        "E015", "several YAML documents", "split the documents into separate files (without '---')"
    ),
    Code("E016", "unsupported YAML tag", None),
    Code("E017", "non-string key", None),
    # Structure of the file
    Code(
        "E101",
        "top level is not a mapping",
        "the file must be a mapping of sections, e.g. `budgets:`",
    ),
    Code("E102", "unknown section", None),
    Code("E103", "unsupported version", "use `version: 1` or leave it out"),
    Code(
        "E104",
        "section has the wrong shape",
        "a section is a list of objects with `name`, or a mapping name -> object",
    ),
    Code("E105", "object has no name", "add `name:` to the object"),
    Code("E106", "duplicate name", "names must be unique per kind; rename one of them"),
    Code("W106", "same unnamed object twice", None, "warning"),
    Code("E107", "invalid name", "use a non-empty string name"),
    Code("E110", "invalid settings", None),
    # Schema: pydantic's own error types (the models' own checks are E2xx,
    # declared in models/errors.py; the condition language's are Cxxx)
    Code("E120", "unknown field", None),
    Code("E121", "missing required field", None),
    Code("E122", "wrong type", None),
    Code("E123", "invalid value", None),
    # References
    Code("E301", "dangling reference", None),
    Code("W301", "undeclared soft reference", None, "warning"),
    # Conditions
    Code("E401", "invalid condition", None),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def register(code: str, title: str, hint: str | None = None, severity: Severity = "error") -> None:
    """Let another module (conditions, models) declare a code it emits through the loader."""
    CODES.setdefault(code, Code(code, title, hint, severity))


def diag(
    code: str,
    message: str,
    location: Location | None = None,
    *,
    hint: str | None = None,
    path: tuple[str | int, ...] = (),
) -> Diagnostic:
    """A Diagnostic with the code's severity and (unless given) its default hint."""
    info = CODES.get(code)
    return Diagnostic(
        code=code,
        message=message,
        location=location,
        hint=hint if hint is not None else (info.hint if info else None),
        severity=info.severity if info else ("warning" if code.startswith("W") else "error"),
        path=path,
    )
