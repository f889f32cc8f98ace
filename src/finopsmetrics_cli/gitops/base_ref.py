"""``plan --base-ref REF``: what a branch changes, in configuration terms.

The live plan answers "what will apply do to state"; reviewers of a pull
request also want "what did this branch change in the YAML", which differs
whenever live state has drifted or the base was never applied. Both configs
(at REF and in the working tree) go through the normal loader, so formatting
changes that normalise to the same spec are not reported.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from finopsmetrics_cli.config.model import Config, DesiredObject
from finopsmetrics_cli.errors import Location, ValidationFailed
from finopsmetrics_cli.gitops.gitrepo import (
    GitError,
    materialize,
    open_repo,
    relative_to_repo,
    resolve_commit,
)
from finopsmetrics_cli.plan.diff import FieldChange, diff_specs

ConfigAction = Literal["added", "changed", "removed"]
VALUE_WIDTH = 80


@dataclass(frozen=True, slots=True)
class ConfigChange:
    address: str
    action: ConfigAction
    fields: tuple[FieldChange, ...] = ()
    location: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """Objects added, changed (field by field) and removed between REF and the working tree."""

    base_ref: str
    base_commit: str
    changes: tuple[ConfigChange, ...] = field(default=())

    def count(self, action: ConfigAction) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> str:
        if not self.changes:
            return f"No configuration changes against {self.base_ref}."
        return (
            f"Config vs {self.base_ref} ({self.base_commit[:12]}): {self.count('added')} added, "
            f"{self.count('changed')} changed, {self.count('removed')} removed."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "base_ref": self.base_ref,
            "base_commit": self.base_commit,
            "summary": {a: self.count(a) for a in ("added", "changed", "removed")},
            "changes": [
                {
                    "address": c.address,
                    "action": c.action,
                    "location": c.location,
                    "fields": [f.to_dict() for f in c.fields],
                }
                for c in self.changes
            ],
        }


def base_ref_diff(paths: Sequence[str | Path], ref: str, head: Config | None = None) -> ConfigDiff:
    """Load the config at ``ref`` and in the working tree and diff them.

    ``paths`` are the config paths as given on the command line (files or
    directories); ``head`` avoids loading the working tree twice when the
    caller already has it.
    """
    from finopsmetrics_cli.config import load_config

    resolved = [Path(p) for p in paths] or [Path("finopsmetrics.yaml")]
    repo = open_repo(resolved[0])
    commit = resolve_commit(repo, ref)
    rel_paths = [relative_to_repo(repo, p) for p in resolved]
    if head is None:
        head = load_config([str(p) for p in resolved])
    with tempfile.TemporaryDirectory(prefix="finopsmetrics-base-") as tmp:
        written = materialize(commit, rel_paths, Path(tmp))
        base = _load_base(load_config, written.paths, Path(tmp), ref)
        changes = diff_configs(base, head, base_prefix=(tmp, f"{ref}:"))
    return ConfigDiff(ref, commit.hexsha, changes)


def _load_base(load_config: Any, paths: Sequence[Path], root: Path, ref: str) -> Config:
    if not paths:
        return Config(objects={})
    try:
        return load_config([str(p) for p in paths])  # type: ignore[no-any-return]
    except ValidationFailed as exc:
        first = exc.message.replace(f"{root}/", f"{ref}:")
        raise GitError(
            f"the configuration at {ref} does not validate: {first}",
            hint="the base-ref view needs a valid base; drop --base-ref or pick another ref",
        ) from exc


def diff_configs(
    base: Config, head: Config, *, base_prefix: tuple[str, str] | None = None
) -> tuple[ConfigChange, ...]:
    """Added, changed and removed objects, in address order."""
    changes: list[ConfigChange] = []
    for address in sorted(set(base.objects) | set(head.objects)):
        old, new = base.objects.get(address), head.objects.get(address)
        if old is None and new is not None:
            changes.append(ConfigChange(address, "added", (), _where(new.location)))
        elif new is None and old is not None:
            changes.append(ConfigChange(address, "removed", (), _where(old.location, base_prefix)))
        elif old is not None and new is not None:
            fields = tuple(object_field_changes(old, new))
            if fields:
                changes.append(ConfigChange(address, "changed", fields, _where(new.location)))
    return tuple(changes)


def object_field_changes(old: DesiredObject, new: DesiredObject) -> list[FieldChange]:
    """Spec fields plus the lifecycle meta-arguments (they change what plan may do)."""
    found = diff_specs(old.spec, new.spec)
    if old.lifecycle != new.lifecycle:
        found.extend(
            FieldChange(f"lifecycle.{c.path}", c.action, c.old, c.new)
            for c in diff_specs(_lifecycle(old), _lifecycle(new))
        )
    return found


def _lifecycle(obj: DesiredObject) -> dict[str, Any]:
    return {
        "prevent_destroy": obj.lifecycle.prevent_destroy,
        "ignore_changes": list(obj.lifecycle.ignore_changes),
    }


def describe_field(change: FieldChange, kind: str = "") -> str:
    """``path: old -> new`` with ``(unset)`` for an absent side; values as written
    (``50000``, ``80%`` for ``kind``'s percent fields), as the live plan shows them."""
    from finopsmetrics_cli.plan.diff import parse_path
    from finopsmetrics_cli.plan.values import node_at

    node = node_at(kind, parse_path(change.path)) if kind else None
    old = "(unset)" if change.action == "add" else _short(change.old, node)
    new = "(unset)" if change.action == "remove" else _short(change.new, node)
    return f"{change.path}: {old} -> {new}"


def _where(location: Location | None, prefix: tuple[str, str] | None = None) -> str | None:
    if location is None:
        return None
    text = str(location)
    if prefix is not None and text.startswith(prefix[0]):
        text = prefix[1] + text[len(prefix[0]) :].lstrip("/")
    return text


def _short(value: Any, node: Any = None) -> str:
    from finopsmetrics_cli.plan.values import value_text

    text = value_text(value, node)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def render_text(diff: ConfigDiff) -> str:
    """Terraform-like lines: ``+ added``, ``~ changed`` with fields, ``- removed``."""
    signs = {"added": "+", "changed": "~", "removed": "-"}
    lines = [f"Configuration changes against {diff.base_ref} ({diff.base_commit[:12]}):"]
    for change in diff.changes:
        where = f"  ({change.location})" if change.location else ""
        lines.append(f"  {signs[change.action]} {change.address}{where}")
        kind = change.address.split(".", 1)[0]
        lines.extend(f"      {describe_field(f, kind)}" for f in change.fields)
    lines.append(diff.summary)
    return "\n".join(lines if diff.changes else [diff.summary])


def render_markdown(diff: ConfigDiff, *, limit: int = 200) -> str:
    """A collapsible PR-comment section; long diffs are truncated with a count."""
    lines = [f"**{diff.summary}**"]
    if not diff.changes:
        return lines[0]
    lines += ["", "<details><summary>Configuration changes in this branch</summary>", "", "```diff"]
    signs = {"added": "+", "changed": "!", "removed": "-"}
    shown = 0
    for change in diff.changes:
        if shown >= limit:
            break
        lines.append(f"{signs[change.action]} {change.address}")
        kind = change.address.split(".", 1)[0]
        for f in change.fields:
            lines.append(f"!     {describe_field(f, kind)}".replace("```", "'''"))
        shown += 1
    if len(diff.changes) > shown:
        lines.append(f"# … and {len(diff.changes) - shown} more objects not shown")
    lines += ["```", "", "</details>"]
    return "\n".join(lines)
