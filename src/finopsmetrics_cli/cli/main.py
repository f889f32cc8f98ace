"""Console entry point. Kept tiny so ``finopsmetrics --version`` starts fast:
typer, rich and everything heavy are imported only when a command runs."""

from __future__ import annotations

import os
import sys


def run() -> None:
    # pydantic scans every installed distribution's entry points for plugins on
    # first use (~0.1 s); the CLI uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    argv = sys.argv[1:]
    if argv in (["--version"], ["-V"]):
        from finopsmetrics_cli import __version__

        print(f"finopsmetrics {__version__}")
        return
    from finopsmetrics_cli.cli.app import main
    from finopsmetrics_cli.config import freeze_after_load

    freeze_after_load()  # one command per process: a loaded config is never garbage
    main()


if __name__ == "__main__":
    run()
