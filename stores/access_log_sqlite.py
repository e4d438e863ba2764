"""The embedded access log: a table in the outbox's SQLite file.

The table has its own schema version (``access_log_schema_version``), so it grows apart from
the outbox's migrations in the same file. The connection lives on one dedicated thread, like
the outbox's, so the event loop never waits on the disk; writes run in ``BEGIN IMMEDIATE``
transactions, waiting up to the busy timeout when the outbox (or another process) writes.

Durability: ``synchronous=NORMAL`` in WAL mode. A crashed process loses nothing committed; a
machine losing power may lose the last batches, which is the same window as the recorder's
in-memory queue. The file is created readable by the owner only (it holds the outbox's
payloads too).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Final, TypeVar

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

# The outbox's own file helpers: the log lives in its file, with the same mode and timeout.
from stores.outbox_sqlite import DEFAULT_BUSY_TIMEOUT_S
from stores.outbox_sqlite import _private_file as private_file

__all__ = ["SCHEMA_VERSION", "SqliteAccessLog"]

T = TypeVar("T")

SCHEMA_VERSION: Final = 1
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


class SqliteAccessLog:
    """:class:`stores.access_log.AccessLog` in an SQLite file (see the module docstring)."""

    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._db = connection
        self._executor = executor
        self._closed = False

    @classmethod
    async def open(
        cls, path: Path | str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> SqliteAccessLog:
        """Open (creating if needed) the file at ``path`` and bring the table up to date."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="access-log-sqlite")
        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(executor, _connect, Path(path), busy_timeout_s)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(connection, executor)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("the access log is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _in_transaction, self._db, fn)
        except sqlite3.OperationalError as exc:
            raise AccessLogUnavailable(f"the access log file is unavailable ({exc})") from None

    async def close(self) -> None:
        """Close the connection and its thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._db.close)
        self._executor.shutdown(wait=True)

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


def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """Open, tune and migrate the database (runs on the access log's thread)."""
    private_file(path)
    db = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            raise RuntimeError(f"the access log needs WAL journaling, the file gave {mode!r}")
        db.execute("PRAGMA synchronous = NORMAL")
        # Purged entries are overwritten, not left readable in free pages, as the outbox's
        # dropped data is: the pragma is per connection, and not every SQLite build has it on.
        db.execute("PRAGMA secure_delete = ON")
        _in_transaction(db, _migrate)
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS access_log_schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM access_log_schema_version").fetchone()
    version = 0 if row is None else int(row[0])
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the access log has schema version {version}; this code knows {SCHEMA_VERSION}"
        )
    for step in MIGRATIONS[version:]:
        for statement in step:
            db.execute(statement)
    if row is None:
        db.execute("INSERT INTO access_log_schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
    else:
        db.execute("UPDATE access_log_schema_version SET version = ?", (SCHEMA_VERSION,))


def _in_transaction(db: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result
