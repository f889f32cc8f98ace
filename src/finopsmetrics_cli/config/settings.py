"""Top-level ``settings:``: a few typed knobs, checked like everything else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.model import Settings
from finopsmetrics_cli.errors import Diagnostic

if TYPE_CHECKING:
    from finopsmetrics_cli.config.loader import RawConfig

#: Every setting, with what it means (rendered in docs/reference/file-format.md).
SETTINGS_DOC = {
    "max_destroy": "Most objects one plan may destroy without --allow-destroy (integer >= 0).",
    "attributes": "Extra condition attributes: context -> {attribute: type}, e.g. "
    "{resource: {gpu_count: number}}.",
}


def build_settings(raw: RawConfig) -> tuple[Settings, list[Diagnostic]]:
    """Typed settings from the merged ``settings:`` mappings of every file."""
    from finopsmetrics_cli.config.loader import suggest

    diags: list[Diagnostic] = []
    values: dict[str, Any] = {}
    for key, value in raw.settings.items():
        source, path = raw.settings_origin[key]
        if key not in SETTINGS_DOC:
            diags.append(
                codes.diag(
                    "E110",
                    f"unknown setting {key!r}",
                    source.locate(path, key=True),
                    hint=suggest(key, SETTINGS_DOC) or f"settings are: {', '.join(SETTINGS_DOC)}",
                )
            )
        elif key == "max_destroy" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            diags.append(
                codes.diag(
                    "E110",
                    f"settings.max_destroy must be an integer >= 0, got {value!r}",
                    source.locate(path),
                    hint="e.g. max_destroy: 10",
                )
            )
        elif key == "attributes" and value is not None and not isinstance(value, dict):
            diags.append(
                codes.diag(
                    "E110",
                    "settings.attributes must map a context to its attributes",
                    source.locate(path),
                    hint="e.g. attributes: {resource: {gpu_count: number}}",
                )
            )
        else:
            values[key] = value
    settings = Settings(
        max_destroy=values.get("max_destroy"),
        attributes=values.get("attributes") or {},
        raw=dict(raw.settings),
    )
    return settings, diags
