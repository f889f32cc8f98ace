"""Numbered schema migrations of the DuckDB state store.

The schema version of a state file is the number of migrations that have run
on it (as in SQLMesh), so adding a migration is appending one entry to
:data:`MIGRATIONS` — never editing an old one, because files in the wild were
built by it. A file whose version is higher than ``len(MIGRATIONS)`` was
written by a newer finopsmetrics and is refused, never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema; ``statements`` run in order in one transaction."""

    description: str
    statements: tuple[str, ...]


MIGRATIONS: list[Migration] = [
    Migration(
        "initial schema: meta, objects, append-only history",
        (
            """
            CREATE TABLE meta (
                id             INTEGER PRIMARY KEY CHECK (id = 1),
                lineage        VARCHAR NOT NULL,
                serial         BIGINT NOT NULL,
                schema_version INTEGER NOT NULL,
                created_at     TIMESTAMP NOT NULL,
                created_with   VARCHAR NOT NULL,
                tool_version   VARCHAR NOT NULL,
                updated_at     TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE objects (
                address        VARCHAR PRIMARY KEY,
                kind           VARCHAR NOT NULL,
                name           VARCHAR NOT NULL,
                spec           VARCHAR NOT NULL,
                manager        VARCHAR,
                applied_spec   VARCHAR,
                version        BIGINT NOT NULL,
                created_at     TIMESTAMP NOT NULL,
                created_by     VARCHAR NOT NULL,
                updated_at     TIMESTAMP NOT NULL,
                updated_by     VARCHAR NOT NULL,
                updated_source VARCHAR NOT NULL
            )
            """,
            """
            CREATE TABLE history (
                id         BIGINT PRIMARY KEY,
                serial     BIGINT NOT NULL,
                address    VARCHAR NOT NULL,
                action     VARCHAR NOT NULL,
                before     VARCHAR,
                after      VARCHAR,
                manager    VARCHAR,
                actor      VARCHAR NOT NULL,
                source     VARCHAR NOT NULL,
                "at"       TIMESTAMP NOT NULL,
                git_commit VARCHAR
            )
            """,
        ),
    ),
    Migration(
        "remembered protection: objects.prevent_destroy, as its manager last applied it",
        (
            "ALTER TABLE objects ADD COLUMN prevent_destroy BOOLEAN NOT NULL DEFAULT false",
        ),
    ),
    Migration(
        "evaluation findings (stable ids, open/resolved, first/last seen) and evaluation runs",
        (
            """
            CREATE TABLE findings (
                id          VARCHAR PRIMARY KEY,
                kind        VARCHAR NOT NULL,
                name        VARCHAR NOT NULL,
                type        VARCHAR NOT NULL,
                key         VARCHAR NOT NULL,
                severity    VARCHAR NOT NULL,
                status      VARCHAR NOT NULL,
                message     VARCHAR NOT NULL,
                day         DATE,
                first_seen  TIMESTAMP NOT NULL,
                last_seen   TIMESTAMP NOT NULL,
                resolved_at TIMESTAMP,
                details     VARCHAR
            )
            """,
            """
            CREATE TABLE evaluations (
                id           BIGINT PRIMARY KEY,
                "at"         DATE NOT NULL,
                data_through DATE NOT NULL,
                kinds        VARCHAR NOT NULL,
                evaluated_at TIMESTAMP NOT NULL,
                actor        VARCHAR NOT NULL,
                new_count    INTEGER NOT NULL,
                open_count   INTEGER NOT NULL,
                resolved_count INTEGER NOT NULL
            )
            """,
        ),
    ),
    Migration(
        "notification delivery log: every attempt to send a finding's event to a channel",
        (
            """
            CREATE TABLE deliveries (
                id            BIGINT PRIMARY KEY,
                channel       VARCHAR NOT NULL,
                finding_id    VARCHAR NOT NULL,
                event         VARCHAR NOT NULL,
                finding_state VARCHAR NOT NULL,
                rule          VARCHAR,
                message_id    VARCHAR NOT NULL,
                attempt       INTEGER NOT NULL,
                status        VARCHAR NOT NULL,
                "at"          TIMESTAMP NOT NULL,
                error         VARCHAR
            )
            """,
            "CREATE INDEX deliveries_key ON deliveries (channel, finding_id, event)",
        ),
    ),
]


def schema_version() -> int:
    """The schema version this code writes (read at call time so tests can extend it)."""
    return len(MIGRATIONS)


def migrate(conn: Any, current: int) -> int:
    """Run every migration after ``current`` on ``conn`` (inside the caller's transaction).

    Returns the new version. The caller records it in ``meta`` in the same
    transaction, so a crash leaves the file at the old version or the new one.
    """
    target = schema_version()
    for migration in MIGRATIONS[current:target]:
        for statement in migration.statements:
            conn.execute(statement)
    return target


def upgrade(conn: Any, current: int) -> None:
    """Migrate ``conn`` from ``current`` to our schema in one transaction."""
    conn.execute("BEGIN TRANSACTION")
    try:
        version = migrate(conn, current)
        conn.execute("UPDATE meta SET schema_version = ?", [version])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
