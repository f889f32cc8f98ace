"""From files to raw objects: sections, shapes, names, settings.

This is the "unparsed" layer (as dbt calls it): it knows YAML paths and
sections, not field types. Each :class:`RawObject` remembers its file and
path so that any later error (schema, condition, reference) can be located.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.config.source import (
    DEFAULT_MAX_BYTES,
    Parsed,
    SourceFile,
    expand_paths,
    read_source,
)
from finopsmetrics_cli.errors import Diagnostic, Location
from finopsmetrics_cli.models.base import KindInfo, all_sections, get_kind

SUPPORTED_VERSIONS = (1,)
RESERVED = ("version", "settings")


@dataclass
class RawObject:
    """One section entry before validation: where it is and what it says."""

    info: KindInfo
    section: str
    name: str
    body: Any
    source: SourceFile
    path: tuple[str | int, ...]
    name_path: tuple[str | int, ...] | None = None  # where the name is written, if it is
    name_is_key: bool = False
    derived: bool = False  # the name was derived from the content (SEED_SHAPES)

    @property
    def address(self) -> str:
        return f"{self.info.kind}.{self.name}"

    def location(self) -> Location:
        return self.source.entry_location(self.path, key=self.name_is_key)


@dataclass
class RawConfig:
    """Everything collected from the files, before validation."""

    files: list[SourceFile] = field(default_factory=list)
    objects: list[RawObject] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    settings_origin: dict[str, tuple[SourceFile, tuple[str | int, ...]]] = field(
        default_factory=dict
    )
    diagnostics: list[Diagnostic] = field(default_factory=list)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` for the closest choice, or None."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def collect(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    parsed: Parsed | None = None,
) -> RawConfig:
    """Read every file and gather sections into raw objects; never raises for bad input.

    ``parsed`` holds files another process already read with :func:`read_source`
    (``prefetch``); the others are read here."""
    raw = RawConfig()
    files, raw.diagnostics = expand_paths(paths)
    sections = all_sections()
    parents = _parents(sections)
    for path, display in files:
        done = parsed.get(display) if parsed else None
        source: SourceFile | None
        problems: list[Diagnostic] = []
        if done is not None:
            source = SourceFile(display, *done)
        else:
            source, problems = read_source(path, display, max_bytes=max_bytes)
        raw.diagnostics.extend(problems)
        if source is None:
            continue
        raw.files.append(source)
        _collect_file(raw, source, sections, parents)
    return raw


def collect_text(text: str, display: str = "<string>") -> RawConfig:
    """The same as :func:`collect` for YAML given as a string (tests, stdin)."""
    from finopsmetrics_cli.config.source import parse_text

    raw = RawConfig()
    source, problems = parse_text(text, display)
    raw.diagnostics.extend(problems)
    if source is not None:
        sections = all_sections()
        raw.files.append(source)
        _collect_file(raw, source, sections, _parents(sections))
    return raw


def _parents(sections: dict[str, str]) -> dict[str, dict[str, str]]:
    """``{"tags": {"auto_tagging_rules": "tag_rule"}, ...}`` for dotted aliases."""
    parents: dict[str, dict[str, str]] = {}
    for spelling, kind in sections.items():
        head, dot, tail = spelling.partition(".")
        if dot:
            parents.setdefault(head, {})[tail] = kind
    return parents


def _collect_file(
    raw: RawConfig, source: SourceFile, sections: dict[str, str], parents: dict[str, dict[str, str]]
) -> None:
    data = source.data
    if not isinstance(data, dict):
        raw.diagnostics.append(
            codes.diag(
                "E101",
                f"top level is a {_type_name(data)}, expected a mapping of sections",
                source.locate(()),
            )
        )
        return
    top_names = sorted({*RESERVED, *(s for s in sections if "." not in s), *parents})
    for key, value in data.items():
        if key == "version":
            if value not in SUPPORTED_VERSIONS or isinstance(value, bool):
                raw.diagnostics.append(
                    codes.diag(
                        "E103",
                        f"unsupported version {value!r}; this finopsmetrics reads version 1",
                        source.locate(("version",)),
                    )
                )
        elif isinstance(key, str) and key.startswith("x-"):
            continue  # an extension key, e.g. a block of YAML anchors (as in docker-compose)
        elif key == "settings":
            _collect_settings(raw, source, value)
        elif key in sections:
            _collect_section(raw, source, (key,), key, value)
        elif key in parents:
            if not isinstance(value, dict):
                raw.diagnostics.append(
                    codes.diag(
                        "E104",
                        f"section {key!r} must be a mapping of {', '.join(sorted(parents[key]))}",
                        source.locate((key,)),
                    )
                )
                continue
            for sub, body in value.items():
                if sub in parents[key]:
                    _collect_section(raw, source, (key, sub), f"{key}.{sub}", body)
                else:
                    raw.diagnostics.append(
                        codes.diag(
                            "E102",
                            f"unknown section {key}.{sub}",
                            source.locate((key, sub), key=True),
                            hint=suggest(sub, parents[key])
                            or f"{key} holds: {', '.join(sorted(parents[key]))}",
                        )
                    )
        else:
            raw.diagnostics.append(
                codes.diag(
                    "E102",
                    f"unknown top-level key {key!r}",
                    source.locate((key,), key=True),
                    hint=suggest(key, top_names)
                    or "see docs/reference/file-format.md for the sections; keys starting"
                    " with x- are ignored (a place for YAML anchors)",
                )
            )


def _type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _collect_settings(raw: RawConfig, source: SourceFile, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raw.diagnostics.append(
            codes.diag(
                "E110",
                f"settings must be a mapping, got a {_type_name(value)}",
                source.locate(("settings",)),
            )
        )
        return
    for key, item in value.items():
        if key in raw.settings:
            first_source, first_path = raw.settings_origin[key]
            raw.diagnostics.append(
                codes.diag(
                    "E110",
                    f"setting {key!r} is already set at"
                    f" {first_source.locate(first_path, key=True)}",
                    source.locate(("settings", key), key=True),
                    hint="set each setting once",
                )
            )
            continue
        raw.settings[key] = item
        raw.settings_origin[key] = (source, ("settings", key))


def _collect_section(
    raw: RawConfig, source: SourceFile, path: tuple[str, ...], section: str, value: Any
) -> None:
    info = get_kind(all_sections()[section])
    if value is None:
        return
    if section in info.single_object_sections:
        if isinstance(value, dict):
            raw.objects.append(
                RawObject(info, section, info.name_of(value), value, source, path, derived=True)
            )
        else:
            raw.diagnostics.append(
                codes.diag(
                    "E104",
                    f"section {section!r} is one {info.kind} object (a mapping of its fields),"
                    f" got a {_type_name(value)}",
                    source.locate(path),
                )
            )
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _collect_item(raw, info, source, section, (*path, i), item)
    elif isinstance(value, dict):
        for name, body in value.items():
            inner = body.get(info.name_key) if isinstance(body, dict) else None
            if inner is not None and inner != name:
                raw.diagnostics.append(
                    codes.diag(
                        "E107",
                        f"{info.name_key} {inner!r} differs from the key {name!r}"
                        " it is declared under",
                        source.locate((*path, name, info.name_key)),
                        hint=f"remove `{info.name_key}:` (the key is the name) or make them equal",
                    )
                )
                continue
            raw.objects.append(
                RawObject(info, section, name, body, source, (*path, name), name_is_key=True)
            )
    else:
        raw.diagnostics.append(
            codes.diag(
                "E104",
                f"section {section!r} must be a list of {info.kind} objects or a mapping"
                f" name -> object, got a {_type_name(value)}",
                source.locate(path),
            )
        )


def _collect_item(
    raw: RawConfig,
    info: KindInfo,
    source: SourceFile,
    section: str,
    path: tuple[str | int, ...],
    item: Any,
) -> None:
    key = info.name_key
    if isinstance(item, dict) and key in item:
        name = item[key]
        if not isinstance(name, str) or not name.strip():
            raw.diagnostics.append(
                codes.diag(
                    "E107",
                    f"{key} must be a non-empty string, got {name!r}",
                    source.locate((*path, key)),
                )
            )
            return
        raw.objects.append(
            RawObject(info, section, name, item, source, path, name_path=(*path, key))
        )
        return
    if not isinstance(item, dict):
        raw.diagnostics.append(
            codes.diag(
                "E104",
                f"each entry of {section!r} must be a mapping of {info.kind} fields,"
                f" got a {_type_name(item)}",
                source.locate(path),
            )
        )
        return
    raw.objects.append(
        RawObject(info, section, info.name_of(item), item, source, path, derived=True)
    )
