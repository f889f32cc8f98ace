"""``finopsmetrics schema [--kind K]``: print the JSON Schema generated from the models."""

from __future__ import annotations

import typer


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
    ) -> None:
        """Print the JSON Schema of finopsmetrics.yaml (the file schemas/ publishes)."""
        import difflib
        import json
        import sys

        from finopsmetrics_cli.cli.output import handle_errors
        from finopsmetrics_cli.errors import FinopsError
        from finopsmetrics_cli.models import kinds
        from finopsmetrics_cli.schema import file_schema, kind_schema

        with handle_errors():
            if kind is None:
                schema = file_schema()
            else:
                known = [info.kind for info in kinds()]
                if kind not in known:
                    close = difflib.get_close_matches(kind, known, n=1)
                    raise FinopsError(
                        f"unknown kind {kind!r}"
                        + (f"; did you mean {close[0]!r}?" if close else ""),
                        hint="kinds: " + ", ".join(known),
                    )
                schema = kind_schema(kind)
            sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
