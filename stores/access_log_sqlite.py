"""The embedded access log: a table in the outbox's SQLite file.

The table has its own schema version (``access_log_schema_version``), so it grows apart from
the outbox's migrations in the same file. The connection is opened and run as the outbox's
(:mod:`stores.sqlite_base`): on one dedicated thread, so the event loop never waits on the disk;
writes run in ``BEGIN IMMEDIATE`` transactions, waiting up to the busy timeout when the outbox
(or another process) writes.

Durability: ``synchronous=NORMAL`` in WAL mode. A crashed process loses nothing committed; a
machine losing power may lose the last batches, which is the same window as the recorder's
in-memory queue. The file is created readable by the owner only (it holds the outbox's
payloads too).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from stores.access_log import (
    AccessCriteria,
    AccessCursor,
    AccessEntry,
    AccessKind,
    AccessLogPage,
    AccessLogUnavailable,
    check_entries,
    micros,
    moment,
    page_query,
)

# The log lives in the outbox's file: the same mode, timeout, thread model and transactions.
from stores.sqlite_base import DEFAULT_BUSY_TIMEOUT_S, SqliteStore, migrate, open_connection

__all__ = ["SCHEMA_VERSION", "SqliteAccessLog"]

#: Rows deleted per transaction by :meth:`SqliteAccessLog.purge` (short write locks).
PURGE_CHUNK: Final = 5000

# Version n is reached by running MIGRATIONS[n - 1]; never edit a released step, add one.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """
        CREATE TABLE access_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            viewer_key TEXT NOT NULL,
            -- Microseconds since the epoch (UTC): exact, so a cursor finds its row again.
            at_us INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            client_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            object_ids TEXT NOT NULL,  -- a JSON array of global ids
            download INTEGER NOT NULL
        )
        """,
        "CREATE INDEX access_log_viewer ON access_log (viewer_key, at_us DESC, id DESC)",
        "CREATE INDEX access_log_age ON access_log (at_us)",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)

COLUMNS: Final = "id, viewer_key, at_us, client_id, client_name, kind, object_ids, download"


def _entry(row: sqlite3.Row) -> AccessEntry:
    return AccessEntry(
        id=row["id"],
        viewer_key=row["viewer_key"],
        at=moment(row["at_us"]),
        client_id=row["client_id"],
        client_name=row["client_name"],
        kind=AccessKind(row["kind"]),
        object_ids=tuple(json.loads(row["object_ids"])),
        download=bool(row["download"]),
    )


class SqliteAccessLog(SqliteStore):
    """:class:`stores.access_log.AccessLog` in an SQLite file (see the module docstring)."""

    _name = "access log"
    _unavailable = AccessLogUnavailable

    @classmethod
    async def open(
        cls, path: Path | str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> SqliteAccessLog:
        """Open (creating if needed) the file at ``path`` and bring the table up to date."""
        connection, executor = await open_connection(
            path,
            busy_timeout_s=busy_timeout_s,
            thread_name="access-log-sqlite",
            what="the access log",
            synchronous="NORMAL",
            migrate_tables=_migrate,
        )
        return cls(connection, executor)

    async def write(self, entries: Sequence[AccessEntry]) -> None:
        """See :meth:`stores.access_log.AccessLog.write`."""
        check_entries(entries)
        rows = [
            (
                entry.viewer_key,
                micros(entry.at),
                entry.client_id,
                entry.client_name,
                AccessKind(entry.kind).value,
                json.dumps(list(entry.object_ids), separators=(",", ":")),
                int(entry.download),
            )
            for entry in entries
        ]
        if not rows:
            return

        def insert(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO access_log (viewer_key, at_us, client_id, client_name, kind, "
                "object_ids, download) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        await self._run(insert)

    async def page(
        self,
        viewer_key: str,
        criteria: AccessCriteria,
        first: int,
        after: AccessCursor | None = None,
    ) -> AccessLogPage:
        """See :meth:`stores.access_log.AccessLog.page`."""
        found = page_query(
            viewer_key, criteria, after, mark="?", at_column="at_us", at_value=micros
        )
        query = (
            f"SELECT {COLUMNS} FROM access_log WHERE {found.page} "  # noqa: S608
            "ORDER BY at_us DESC, id DESC LIMIT ?"
        )
        count = f"SELECT COUNT(*) FROM access_log WHERE {found.matching}"  # noqa: S608

        def read(db: sqlite3.Connection) -> AccessLogPage:
            rows = db.execute(query, [*found.page_params, first + 1]).fetchall()
            (total,) = db.execute(count, found.params).fetchone()
            entries = [_entry(row) for row in rows[:first]]
            return AccessLogPage(entries, len(rows) > first, int(total))

        return await self._run(read)

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`stores.access_log.AccessLog.purge` (in chunks of :data:`PURGE_CHUNK`)."""
        limit = micros(older_than)

        def delete_chunk(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "DELETE FROM access_log WHERE id IN "
                "(SELECT id FROM access_log WHERE at_us < ? LIMIT ?)",
                (limit, PURGE_CHUNK),
            )
            return cursor.rowcount

        deleted = 0
        while True:
            count = await self._run(delete_chunk)
            deleted += count
            if count < PURGE_CHUNK:
                return deleted


def _migrate(db: sqlite3.Connection) -> None:
    migrate(db, table="access_log_schema_version", steps=MIGRATIONS, what="the access log")
