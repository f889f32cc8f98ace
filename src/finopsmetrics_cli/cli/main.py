"""Console entry point. Kept tiny so ``finopsmetrics --version`` starts fast:
typer, rich and everything heavy are imported only when a command runs."""

from __future__ import annotations

import gc
import os
import sys
import types


def _no_pydantic_plugins() -> None:
    """pydantic scans every installed distribution's entry points for plugins on
    first use (~0.1 s); the CLI uses none. Even with the scan switched off, its
    loader module imports ``importlib.metadata`` (email, zipfile, csv...: ~40 ms,
    7% of validating a small file); when plugins are off, a stand-in loader
    answering "none" (pydantic's only use of it: ``get_plugins()``) avoids that."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    name = "pydantic.plugin._loader"
    if (
        os.environ["PYDANTIC_DISABLE_PLUGINS"] in ("__all__", "1", "true")
        and name not in sys.modules
    ):
        loader = types.ModuleType(name, "No pydantic plugins (finopsmetrics CLI).")
        loader.get_plugins = tuple  # type: ignore[attr-defined]
        sys.modules[name] = loader


def run() -> None:
    _no_pydantic_plugins()
    argv = sys.argv[1:]
    if argv in (["--version"], ["-V"]):
        from finopsmetrics_cli import __version__

        print(f"finopsmetrics {__version__}")
        return
    if not _long_running(argv):
        gc.disable()  # see _long_running
    from finopsmetrics_cli.cli.app import main
    from finopsmetrics_cli.config import freeze_after_load

    freeze_after_load()  # one command per process: a loaded config is never garbage
    main()


def _long_running(argv: list[str]) -> bool:
    """Whether the command may run for long (``reconcile`` loops until stopped).

    Every other command runs once and exits: for those the cyclic garbage
    collector only costs time. Importing the models and loading a config
    allocate hundreds of thousands of objects, almost none of them in cycles,
    and the collector's passes over them took 0.1-0.25 s of a 10,000-object
    plan (~15%) while freeing nothing measurable (peak memory is the same with
    it off). Reference counting still frees everything that is not cyclic.
    """
    return command_name(argv) == "reconcile"


def command_name(argv: list[str]) -> str | None:
    """The command a command line names: its first argument that is not an option
    (the root takes no option with a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


if __name__ == "__main__":
    run()
