"""Numbered schema migrations of the cost store (``costs.duckdb``).

As for the state (``state/migrations.py``), the schema version is the number
of migrations that have run, so adding one means appending an entry here and
never editing an old one. A store written by a newer finopsmetrics is refused.
The store is a cache that ``costs sync --full`` can rebuild, but a migration
still keeps what is there rather than dropping it.

Later migrations may replace the ``costs_enriched`` view (``CREATE OR REPLACE
VIEW``); readers only rely on it having every column of ``costs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finopsmetrics_cli.costs.focus import STORE_COLUMNS


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema; ``statements`` run in order in one transaction."""

    description: str
    statements: tuple[str, ...]


def _cost_rows_ddl() -> str:
    columns = ",\n    ".join(f'"{c.name}" {c.sql_type}' for c in STORE_COLUMNS)
    return f"CREATE TABLE cost_rows (\n    {columns}\n)"


def _costs_view_ddl() -> str:
    columns = ", ".join(f'"{c.name}"' for c in STORE_COLUMNS)
    return f"CREATE VIEW costs AS SELECT {columns} FROM cost_rows"


MIGRATIONS: list[Migration] = [
    Migration(
        "initial schema: meta, cost_rows, synced periods and files, views costs and costs_enriched",
        (
            """
            CREATE TABLE meta (
                id             INTEGER PRIMARY KEY CHECK (id = 1),
                schema_version INTEGER NOT NULL,
                created_at     TIMESTAMP NOT NULL,
                tool_version   VARCHAR NOT NULL
            )
            """,
            _cost_rows_ddl(),
            # one row per (source, billing period) held in cost_rows
            """
            CREATE TABLE synced_periods (
                source          VARCHAR NOT NULL,
                billing_period  DATE NOT NULL,
                rows            BIGINT NOT NULL,
                billed_cost     DECIMAL(38, 10),
                effective_cost  DECIMAL(38, 10),
                currency        VARCHAR,
                first_charge    TIMESTAMP,
                last_charge     TIMESTAMP,
                synced_at       TIMESTAMP NOT NULL,
                PRIMARY KEY (source, billing_period)
            )
            """,
            # the files each period was built from, and their fingerprints;
            # billing_period is NULL for a file that held no rows
            """
            CREATE TABLE synced_files (
                source          VARCHAR NOT NULL,
                billing_period  DATE,
                uri             VARCHAR NOT NULL,
                fingerprint     VARCHAR NOT NULL,
                size            BIGINT,
                rows            BIGINT NOT NULL,
                synced_at       TIMESTAMP NOT NULL
            )
            """,
            # what the source was when it last synced (for `costs sources`)
            """
            CREATE TABLE synced_sources (
                source          VARCHAR PRIMARY KEY,
                type            VARCHAR NOT NULL,
                location        VARCHAR NOT NULL,
                synced_at       TIMESTAMP NOT NULL,
                watermark       TIMESTAMP
            )
            """,
            _costs_view_ddl(),
            "CREATE VIEW costs_enriched AS SELECT * FROM costs",
        ),
    ),
]


def schema_version() -> int:
    """The schema version this code writes (read at call time so tests can extend it)."""
    return len(MIGRATIONS)


def migrate(conn: Any, current: int) -> int:
    """Run every migration after ``current`` on ``conn`` inside the caller's transaction."""
    target = schema_version()
    for migration in MIGRATIONS[current:target]:
        for statement in migration.statements:
            conn.execute(statement)
    return target
