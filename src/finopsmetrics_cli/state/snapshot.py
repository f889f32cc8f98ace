"""A state read once and kept: what ``prefetch``'s helper process hands over.

:meth:`StateStoreReader.snapshot` takes the raw rows of one read-only
connection (info, every object, the newest history row of each address plan
and drift may ask about); :class:`SnapshotReader` answers the reader calls
plan and drift make from them, building LiveObjects exactly as the reader does.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from finopsmetrics_cli.state.api import HistoryEntry, LiveObject, StateInfo
from finopsmetrics_cli.state.reader import StateStoreReader, history_entries, live_objects

#: ``((lineage, serial, schema_version, objects), object rows, history rows)``: plain
#: strings, numbers and tuples, so it crosses a pipe with ``marshal``
Snapshot = tuple[tuple[str, int, int, int], builtins.list[Any], builtins.list[Any]]

#: the newest history row of every address a plan or drift may ask about without
#: knowing the config: live objects whose spec differs from what their manager
#: applied, objects managed by another tool than the config, and addresses that
#: are no longer live (deleted, possibly outside of code)
WANTED_HISTORY = (
    " WHERE address IN (SELECT address FROM objects WHERE manager IS NOT NULL AND"
    " (applied_spec IS DISTINCT FROM spec OR manager <> 'config'))"
    " OR address NOT IN (SELECT address FROM objects)"
    " QUALIFY row_number() OVER (PARTITION BY address ORDER BY id DESC) = 1"
)


class SnapshotReader:
    """A :class:`~finopsmetrics_cli.state.api.StateReader` over a snapshot.

    ``info``, ``list`` and ``last_changes``/``last_change`` of the snapshot's
    addresses answer from the snapshot; anything else (``get``, ``history``, an
    address outside the snapshot's history) opens the file read-only as usual.
    """

    def __init__(self, path: Path, snapshot: Snapshot) -> None:
        (lineage, serial, version, count), rows, history = snapshot
        self.path = path
        self._info = StateInfo(str(path), lineage, serial, version, count)
        self._rows = rows
        self._history_rows = history
        self._history: dict[str, HistoryEntry] | None = None
        self._live = {f"{r[0]}.{r[1]}" for r in rows}
        self._fallback: StateStoreReader | None = None

    def info(self) -> StateInfo:
        return self._info

    def list(
        self,
        kind: str | None = None,
        manager: str | None = None,
        *,
        known: Mapping[str, dict[str, Any]] | None = None,
    ) -> builtins.list[LiveObject]:
        rows = [
            r
            for r in self._rows
            if (kind is None or r[0] == kind) and (manager is None or r[3] == manager)
        ]
        return live_objects(rows, known, self.path)

    def _entries(self) -> dict[str, HistoryEntry]:
        if self._history is None:
            entries = history_entries(self._history_rows, self.path)
            self._history = {e.address: e for e in entries}
        return self._history

    def _covers(self, address: str) -> bool:
        """Whether the snapshot's history holds this address's newest row, if it has one."""
        return address in self._entries() or address not in self._live

    def last_changes(self, addresses: Iterable[str] | None = None) -> dict[str, HistoryEntry]:
        wanted = builtins.list(addresses) if addresses is not None else None
        if wanted is not None and all(self._covers(a) for a in wanted):
            entries = self._entries()
            return {a: entries[a] for a in wanted if a in entries}
        return self._reader().last_changes(wanted)

    def last_change(self, address: str) -> HistoryEntry | None:
        if self._covers(address):
            return self._entries().get(address)
        return self._reader().last_change(address)

    def get(self, address: str) -> LiveObject | None:
        return self._reader().get(address)

    def history(
        self, address: str | None = None, limit: int | None = None
    ) -> builtins.list[HistoryEntry]:
        return self._reader().history(address, limit)

    def _reader(self) -> StateStoreReader:
        if self._fallback is None:
            self._fallback = StateStoreReader(self.path)
        return self._fallback

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
