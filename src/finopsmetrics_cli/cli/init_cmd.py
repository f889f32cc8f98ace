"""``finopsmetrics init [DIR]``: a commented starter configuration that validates.

Writes ``finopsmetrics.yaml``, the JSON Schema beside it and a
``yaml-language-server`` line that points at it by a relative path, so editors
complete and check the file with no network and no published URL; and makes
sure ``.gitignore`` ignores the local state directory. Never overwrites a
configuration.
"""

from __future__ import annotations

from pathlib import Path

import typer

from finopsmetrics_cli.errors import FinopsError

CONFIG_NAME = "finopsmetrics.yaml"
SCHEMA_NAME = "finopsmetrics.schema.json"
STATE_DIR = ".finopsmetrics/"

STARTER = """\
# yaml-language-server: $schema={schema}
#
# finopsmetrics.yaml -- your FinOps controls, as code.
#   finopsmetrics validate   check this file (schema, conditions, references)
#   finopsmetrics plan       what apply would change
#   finopsmetrics apply      make it so
# Editors check it against finopsmetrics.schema.json (written beside it; refresh
# it after an upgrade with `finopsmetrics schema --write`). Every section is a
# list of objects with `name`, or a mapping name -> object; addresses are KIND.NAME.
version: 1

settings:
  # A plan that would destroy more objects than this fails without --allow-destroy.
  max_destroy: 10

teams:
  - name: platform
    cost_center: engineering
    owners: [platform-lead@example.com]

notification_channels:
  - name: finops-alerts
    type: slack
    channel: "#finops-alerts"
    # Secrets are references, never values: ${{env:NAME}} or ${{file:/path}}.
    webhook_url: ${{env:SLACK_WEBHOOK_URL}}

budgets:
  - name: platform-monthly
    amount: 10000
    currency: USD
    period: monthly
    owner: platform
    filters:
      team: platform
    alerts:
      - threshold: 80%          # same as 0.8
        channels: [finops-alerts]
      - threshold: 100%
        type: forecasted
        channels: [finops-alerts, email]

policies:
  - name: require-cost-center-tag
    description: Every production resource carries a cost_center tag.
    condition: |
      resource.environment == "production" AND
      resource.cost_center == ""
    action: alert
    severity: medium
    notification: [finops-alerts]
"""


def _ensure_gitignore(directory: Path) -> bool:
    """Add the state directory to .gitignore; True when the file changed."""
    path = directory / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if any(line.strip().rstrip("/") in (".finopsmetrics", "/.finopsmetrics") for line in lines):
        return False
    text = "\n".join([*lines, "# finopsmetrics local state (see `finopsmetrics state`)", STATE_DIR])
    path.write_text(text + "\n", encoding="utf-8")
    return True


def starter_text(schema: str) -> str:
    """The starter configuration, with ``schema`` on the yaml-language-server line."""
    return STARTER.format(schema=schema)


def init_project(directory: Path, *, schema: str | None = None) -> list[Path]:
    """Write the starter files into ``directory``; refuse if a configuration exists.

    Without ``schema`` the JSON Schema is written beside the configuration and
    the schema line names it relatively (``./finopsmetrics.schema.json``);
    with it, the line names ``schema`` (a published URL or another path) and
    no schema file is written."""
    config = directory / CONFIG_NAME
    for existing in (config, directory / "finopsmetrics.yml"):
        if existing.exists():
            raise FinopsError(
                f"{existing} already exists; not overwriting it",
                hint="edit it, or run init in another directory",
            )
    directory.mkdir(parents=True, exist_ok=True)
    written = [config]
    if schema is None:
        schema_path = directory / SCHEMA_NAME
        write_schema(schema_path)
        schema = f"./{SCHEMA_NAME}"
        written.append(schema_path)
    config.write_text(starter_text(schema), encoding="utf-8")
    if _ensure_gitignore(directory):
        written.append(directory / ".gitignore")
    return written


def write_schema(path: Path, kind: str | None = None) -> None:
    """The JSON Schema of the whole file (or of one kind), as ``finopsmetrics schema`` prints it."""
    import json

    from finopsmetrics_cli.schema import file_schema, kind_schema

    schema = file_schema() if kind is None else kind_schema(kind)
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FinopsError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that the directory exists and is writable",
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        directory: Path = typer.Argument(Path("."), help="Where to write finopsmetrics.yaml."),  # noqa: B008
        schema: str = typer.Option(
            None,
            "--schema",
            help="Put this schema URL or path on the yaml-language-server line instead of "
            "writing finopsmetrics.schema.json beside the configuration.",
            show_default=False,
        ),
        no_color: bool = typer.Option(False, "--no-color", help="Plain output, no colours."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success."),
    ) -> None:
        """Write a commented starter finopsmetrics.yaml and its JSON Schema (and .gitignore the
        state directory)."""
        from finopsmetrics_cli.cli.output import handle_errors, make_console

        console = make_console(no_color=no_color)
        with handle_errors(make_console(no_color=no_color, stderr=True)):
            written = init_project(directory, schema=schema)
        if not quiet:
            for path in written:
                console.print(f"[green]wrote[/green] {path}")
            console.print(f"next: finopsmetrics validate {written[0]}")
