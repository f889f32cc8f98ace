"""One error root for the whole tool.

Every user-facing problem is a :class:`Diagnostic` (code, message, location,
hint). Library code raises :class:`FinopsError` subclasses; only the CLI turns
them into output and exit codes, so no front end ever shows a traceback for a
user error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in user input, with where it is and how to fix it.

    ``code`` is a stable identifier such as ``E101`` (documented in
    ``docs/reference/errors.md``); ``path`` is the logical path inside the
    document (``("budgets", 0, "alerts", 1, "threshold")``) when known.
    """

    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    severity: Severity = "error"
    path: tuple[str | int, ...] = field(default=())

    def render(self) -> str:
        """``FILE:LINE:COL: error[CODE]: message`` plus an indented hint line."""
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class FinopsError(Exception):
    """Root of every error the tool raises on purpose.

    ``hint`` tells the user the fix. ``exit_code`` is what the CLI exits with.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ValidationFailed(FinopsError):
    """Input did not validate; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0].render() if errors else "validation failed"
        super().__init__(first)
        self.diagnostics = diagnostics


class StateError(FinopsError):
    """The state database cannot be used (corrupted, newer schema, missing)."""


class LockError(FinopsError):
    """The state lock is held by someone else; the message names the holder."""


class PlanError(FinopsError):
    """A plan cannot be made or applied (conflict, guard, stale plan file)."""


class ConflictError(PlanError):
    """An object is managed by another tool; ``--adopt`` takes it over explicitly."""


class CostDataError(FinopsError):
    """Billing data cannot be read, mapped or stored (bad file, missing column, no store).

    ``location`` names the file and, where known, the row (``FILE[:ROW]``).
    """

    def __init__(self, message: str, *, hint: str | None = None, location: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.location = location


class EvaluationError(FinopsError):
    """The controls cannot be evaluated (no cost data, bad --at, unknown currency)."""


class MissingExtraError(FinopsError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the Python package {module!r}, which is not installed",
            hint=f"pip install 'finopsmetrics-cli[{extra}]'",
        )
        self.module = module
        self.extra = extra


class NotificationError(FinopsError):
    """A notification cannot be prepared or sent (a secret reference, a channel)."""
