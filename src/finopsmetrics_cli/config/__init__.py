"""Loading and validating configuration: files -> :class:`~.model.Config`.

``load_config`` is what the engine calls (raises on error); ``validate_paths``
is what ``finopsmetrics validate`` calls (returns warnings too).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from finopsmetrics_cli.config.source import DEFAULT_MAX_BYTES, Parsed
from finopsmetrics_cli.errors import Diagnostic, ValidationFailed

if TYPE_CHECKING:
    from finopsmetrics_cli.config.model import Config

__all__ = [
    "DEFAULT_MAX_BYTES",
    "freeze_after_load",
    "load_config",
    "validate_paths",
    "validate_text",
]


def validate_paths(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    parsed: Callable[[], Parsed | None] | None = None,
) -> tuple[Config | None, list[Diagnostic]]:
    """Load and check files or directories; the Config is None when any error was found.

    ``parsed`` returns files another process already read (``prefetch``)."""
    from finopsmetrics_cli.config.loader import collect
    from finopsmetrics_cli.config.validate import validate_raw

    with _no_gc():
        done = parsed() if parsed is not None else None
        return validate_raw(collect(paths, max_bytes=max_bytes, parsed=done))


_freeze = False


def freeze_after_load() -> None:
    """For a short-lived process (the CLI): what a load allocates lives until exit,
    so each load ends with ``gc.freeze()``, out of the collector's reach; otherwise
    its first passes after the load rescan it all (~0.2 s after 10,000 objects)
    and free next to nothing. Not for long-lived processes: cyclic garbage made
    during a load would never be freed."""
    global _freeze
    _freeze = True


@contextmanager
def _no_gc() -> Iterator[None]:
    """Loading allocates many small, acyclic objects; the cyclic collector's passes
    over them cost ~30% of a large validate and free nothing. Restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def validate_text(text: str, display: str = "<string>") -> tuple[Config | None, list[Diagnostic]]:
    """The same checks for YAML held in a string (tests, generated config)."""
    from finopsmetrics_cli.config.loader import collect_text
    from finopsmetrics_cli.config.validate import validate_raw

    return validate_raw(collect_text(text, display))


def load_config(
    paths: Sequence[str | Path] | str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    parsed: Callable[[], Parsed | None] | None = None,
) -> Config:
    """A validated Config, or :class:`ValidationFailed` carrying every diagnostic."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    config, diagnostics = validate_paths(paths, max_bytes=max_bytes, parsed=parsed)
    if config is None:
        raise ValidationFailed(diagnostics)
    return config
