"""Saved plan files (``plan --out FILE``): self-contained and tamper-evident.

The file is JSON: a header (``kind``, ``format_version``) around the plan and
a sha256 checksum over the plan's canonical JSON. ``apply PLANFILE`` refuses a
file whose checksum does not match, and the state refuses one whose lineage or
serial moved on ("saved plan is stale").
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from finopsmetrics_cli.errors import PlanError
from finopsmetrics_cli.plan.model import FORMAT_VERSION, Plan, major_version

PLAN_FILE_KIND = "finopsmetrics-plan"
MAX_PLAN_FILE_BYTES = 512 * 1024 * 1024


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(plan_data: Any) -> str:
    return "sha256:" + hashlib.sha256(_canonical(plan_data)).hexdigest()


def write_plan_file(plan: Plan, path: str | Path) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a plan."""
    body = plan.to_dict()
    document = {
        "kind": PLAN_FILE_KIND,
        "format_version": FORMAT_VERSION,
        "checksum": checksum(body),
        "plan": body,
    }
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PlanError(f"cannot write plan file {target}: {exc.strerror or exc}") from exc


def looks_like_plan_file(path: Path) -> bool:
    """A file that is not YAML config: ``apply`` treats it as a saved plan."""
    return path.is_file() and path.suffix.lower() not in (".yaml", ".yml")


def read_plan_file(path: str | Path) -> Plan:
    """Load and verify a saved plan; every problem is a PlanError naming the file."""
    target = Path(path)
    try:
        if target.stat().st_size > MAX_PLAN_FILE_BYTES:
            raise PlanError(f"{target} is not a finopsmetrics plan file (too large)")
        raw = target.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read plan file {target}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(
            f"{target} is not a finopsmetrics plan file (it is not valid JSON: {exc})",
            hint="create one with: finopsmetrics plan --out FILE",
        ) from exc
    if not isinstance(document, dict) or document.get("kind") != PLAN_FILE_KIND:
        raise PlanError(
            f"{target} is not a finopsmetrics plan file",
            hint="create one with: finopsmetrics plan --out FILE",
        )
    version = str(document.get("format_version", ""))
    if major_version(version) != FORMAT_VERSION:
        raise PlanError(
            f"plan file {target} has format version {version or '?'}; "
            f"this finopsmetrics reads version {FORMAT_VERSION}",
            hint="make the plan again with this version of finopsmetrics",
        )
    body = document.get("plan")
    if document.get("checksum") != checksum(body) or not isinstance(body, dict):
        raise PlanError(
            f"plan file {target} has been modified since it was written (checksum mismatch)",
            hint="make a new plan with: finopsmetrics plan --out FILE",
        )
    try:
        return Plan.from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"plan file {target} is malformed: {exc}") from exc
