"""The config digest is one fixed formula: saved plans and `validate --format json` show it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from finopsmetrics_cli.config import validate_text
from finopsmetrics_cli.config.model import Config


def _one_shot(config: Config) -> str:
    doc: dict[str, Any] = {
        "objects": {
            a: [o.spec, o.lifecycle.prevent_destroy, list(o.lifecycle.ignore_changes)]
            for a, o in sorted(config.objects.items())
        },
        "settings": config.settings.raw,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_digest_is_sha256_of_the_sorted_compact_json_of_objects_and_settings() -> None:
    config, diags = validate_text(
        "settings:\n  max_destroy: 5\n"
        "teams:\n  - name: zeta\n    cost_center: cc-ü\n  - name: alpha\n"
        "budgets:\n  - name: b\n    amount: 10.5\n    owner: alpha\n"
        "    lifecycle: {prevent_destroy: true, ignore_changes: [amount]}\n"
    )
    assert config is not None and not [d for d in diags if d.severity == "error"]
    assert config.settings.raw
    assert config.digest == _one_shot(config)


def test_digest_of_an_empty_config() -> None:
    config, _ = validate_text("version: 1\n")
    assert config is not None
    assert config.digest == _one_shot(config)
