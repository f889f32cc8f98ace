"""Errors of the condition language, positioned inside the condition text.

The loader maps ``line``/``column`` (1-based, inside the condition) to the
YAML file, so they must be exact for multi-line conditions.
"""

from __future__ import annotations

from finopsmetrics_cli.errors import Diagnostic, FinopsError, Location

ERROR_CODES: dict[str, str] = {
    "C001": "The condition is empty or not text.",
    "C002": "The condition is longer than 10,000 characters.",
    "C003": "Nesting deeper than 64 levels, or a list of more than 1,000 items.",
    "C100": "The condition cannot be parsed (internal error; please report it).",
    "C101": "A character that cannot start any token.",
    "C102": "A token where it cannot appear.",
    "C103": "The condition ends too early.",
    "C104": "An unterminated string or an invalid escape.",
    "C201": "Unknown context or attribute (with a suggestion).",
    "C202": "The two sides of a comparison have different or unordered types.",
    "C203": "An operator applied to the wrong kind of value (IN, CONTAINS, MATCHES...).",
    "C204": "List items of mixed types.",
    "C205": "A MATCHES pattern outside the supported regular-expression subset.",
    "C207": "Not a true/false value where one is needed.",
    "C208": "A comparison with null (use IS NULL / IS NOT NULL).",
    "C209": "A number compared with a duration.",
    "C210": "A key or sub-attribute on something that is not a map.",
    "C211": "Arithmetic on values that do not support it.",
    "C212": "A list outside IN, NOT IN or CONTAINS.",
    "C213": "MATCHES with a pattern that is not a quoted string.",
    "C214": "A percent attribute compared with a number outside 0..1 (a forgotten %).",
    "C401": "A record holds a value of the wrong type for its attribute (evaluation).",
    "C402": "The SQL column mapping has no column for an attribute the condition reads.",
    "C403": "Unknown SQL dialect.",
    "C404": "A list outside IN in SQL compilation (internal error).",
}
"""Every code a :class:`ConditionError` can carry; stable across releases."""


class ConditionError(FinopsError):
    """One problem in a condition: a stable ``code``, a message, a hint and a position."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        line: int = 1,
        column: int = 1,
        offset: int = 0,
        end_offset: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.line = line
        self.column = column
        self.offset = offset
        self.end_offset = offset + 1 if end_offset is None else max(end_offset, offset)

    @classmethod
    def at(
        cls, code: str, message: str, span: object, *, hint: str | None = None
    ) -> ConditionError:
        """An error covering an AST :class:`~.ast.Span` (anything with the four fields)."""
        return cls(
            code,
            message,
            hint=hint,
            line=span.line,  # type: ignore[attr-defined]
            column=span.column,  # type: ignore[attr-defined]
            offset=span.offset,  # type: ignore[attr-defined]
            end_offset=span.end_offset,  # type: ignore[attr-defined]
        )

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"

    def __repr__(self) -> str:
        where = f"line={self.line}, column={self.column}"
        return f"ConditionError({self.code!r}, {self.message!r}, {where})"

    def render(self, text: str) -> str:
        """Message, the offending source line, and carets under the offending columns."""
        lines = text.split("\n")
        source = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        line_start = sum(len(x) + 1 for x in lines[: self.line - 1])
        width = max(1, min(self.end_offset, line_start + len(source)) - self.offset)
        gutter = f"{self.line} | "
        pad = " " * (len(gutter) - 2) + "| "
        out = f"error[{self.code}]: {self.message}\n{gutter}{source}\n"
        out += pad + " " * (self.column - 1) + "^" * width
        if self.hint:
            out += f"\n  hint: {self.hint}"
        return out

    def diagnostic(
        self, location: Location | None = None, path: tuple[str | int, ...] = ()
    ) -> Diagnostic:
        """This error as a :class:`Diagnostic` at a file location the caller computed."""
        return Diagnostic(self.code, self.message, location, self.hint, "error", path)


class ConditionErrors(FinopsError):
    """Every error found in one condition (parse errors stop at the first)."""

    def __init__(self, errors: list[ConditionError], text: str = "") -> None:
        first = errors[0] if errors else None
        message = str(first) if first else "invalid condition"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        super().__init__(message, hint=first.hint if first else None)
        self.errors = errors
        self.text = text

    def render(self) -> str:
        return "\n".join(e.render(self.text) for e in self.errors)


class AttributeSchemaError(FinopsError):
    """``settings.attributes`` declares something unusable; ``path`` says where."""

    def __init__(self, message: str, path: tuple[str, ...], *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path
