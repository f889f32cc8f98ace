"""``finopsmetrics schema [--kind K] [--write | --output FILE]``: the JSON Schema
generated from the models, printed or written to the file that the configuration's
``yaml-language-server`` line names (``init`` writes it; ``--write`` refreshes it
after an upgrade)."""

from __future__ import annotations

from pathlib import Path

import typer

DEFAULT_FILE = "finopsmetrics.schema.json"


def register(app: typer.Typer) -> None:
    @app.command("schema")
    def schema_command(
        kind: str = typer.Option(
            None,
            "--kind",
            "-k",
            help="Print the schema of one kind (e.g. budget) instead of the whole file.",
            show_default=False,
        ),
        write: bool = typer.Option(
            False,
            "--write",
            "-w",
            help=f"Write {DEFAULT_FILE} (KIND.schema.json with --kind) in the current "
            "directory instead of printing.",
        ),
        output: Path = typer.Option(  # noqa: B008
            None,
            "--output",
            "-o",
            help="Write the schema to this file instead of printing.",
            show_default=False,
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success."),
    ) -> None:
        """Print the JSON Schema of finopsmetrics.yaml, or write it for your editor."""
        import difflib
        import json
        import sys

        from finopsmetrics_cli.cli.init_cmd import write_schema
        from finopsmetrics_cli.cli.output import handle_errors
        from finopsmetrics_cli.errors import FinopsError
        from finopsmetrics_cli.models import kinds
        from finopsmetrics_cli.schema import file_schema, kind_schema

        with handle_errors():
            if kind is not None:
                known = [info.kind for info in kinds()]
                if kind not in known:
                    close = difflib.get_close_matches(kind, known, n=1)
                    raise FinopsError(
                        f"unknown kind {kind!r}"
                        + (f"; did you mean {close[0]!r}?" if close else ""),
                        hint="kinds: " + ", ".join(known),
                    )
            default = Path(DEFAULT_FILE if kind is None else f"{kind}.schema.json")
            target = output if output is not None else default if write else None
            if target is None:
                schema = file_schema() if kind is None else kind_schema(kind)
                sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
                return
            write_schema(target, kind)
            if not quiet:
                sys.stdout.write(f"wrote {target}\n")
