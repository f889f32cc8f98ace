"""Console entry point. Kept tiny so ``finopsmetrics --version`` starts fast:
typer, rich and everything heavy are imported only when a command runs."""

from __future__ import annotations

import sys


def run() -> None:
    argv = sys.argv[1:]
    if argv in (["--version"], ["-V"]):
        from finopsmetrics_cli import __version__

        print(f"finopsmetrics {__version__}")
        return
    from finopsmetrics_cli.cli.app import main

    main()


if __name__ == "__main__":
    run()
