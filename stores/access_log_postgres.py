"""The shared access log: one PostgreSQL table beside the outbox, for any number of gateways.

Chosen when ``MINSIDE_DATABASE_URL`` is set. The table comes from the outbox's numbered
migrations (``stores/migrations/postgres/0004_access_log.sql``), so ``minside migrate`` creates
it and :meth:`PostgresAccessLog.open` migrates like the outbox does (a no-op by then). A small
pool of its own (autocommit): a batch is one multi-row ``INSERT``, committed before
:meth:`PostgresAccessLog.write` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from stores.access_log import (
    AccessCriteria,
    AccessCursor,
    AccessEntry,
    AccessKind,
    AccessLogPage,
    AccessLogUnavailable,
    check_entries,
    page_query,
)
from stores.outbox_postgres import migrate
from stores.postgres_base import Pool, PostgresStore, open_pool

__all__ = ["PostgresAccessLog"]

#: Rows deleted per statement by :meth:`PostgresAccessLog.purge` (short transactions).
PURGE_CHUNK: Final = 5000

COLUMNS: Final = "id, viewer_key, at, client_id, client_name, kind, object_ids, download"


def _entry(row: Mapping[str, Any]) -> AccessEntry:
    return AccessEntry(
        id=row["id"],
        viewer_key=row["viewer_key"],
        at=row["at"].astimezone(UTC),
        client_id=row["client_id"],
        client_name=row["client_name"],
        kind=AccessKind(row["kind"]),
        object_ids=tuple(row["object_ids"]),
        download=row["download"],
    )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("access log times must be timezone-aware")
    return moment


class PostgresAccessLog(PostgresStore):
    """:class:`stores.access_log.AccessLog` on PostgreSQL (see the module docstring)."""

    _name = "access log"
    _unavailable = AccessLogUnavailable

    def __init__(self, pool: Pool, *, op_timeout_s: float = 5.0) -> None:
        super().__init__(pool, op_timeout_s=op_timeout_s)

    @classmethod
    async def open(
        cls, url: str, *, max_size: int = 4, timeout_s: float = 10.0
    ) -> PostgresAccessLog:
        """Connect a pool to ``url`` and bring the schema up to date.

        Raises ``psycopg_pool.PoolTimeout`` when no connection is made within ``timeout_s``.
        """
        pool = await open_pool(
            url,
            name="minside-access-log",
            min_size=1,
            max_size=max_size,
            timeout_s=timeout_s,
            prepare=migrate,
        )
        return cls(pool)

    async def write(self, entries: Sequence[AccessEntry]) -> None:
        """See :meth:`stores.access_log.AccessLog.write`."""
        check_entries(entries)
        if not entries:
            return
        rows = [
            (
                entry.viewer_key,
                entry.at,
                entry.client_id,
                entry.client_name,
                AccessKind(entry.kind).value,
                list(entry.object_ids),
                entry.download,
            )
            for entry in entries
        ]
        async with self._cursor() as cur:
            # One statement for the batch: autocommit makes it one transaction.
            values = ", ".join("(%s, %s, %s, %s, %s, %s, %s)" for _ in rows)
            await cur.execute(
                "INSERT INTO access_log (viewer_key, at, client_id, client_name, kind, "  # noqa: S608
                f"object_ids, download) VALUES {values}",
                [value for row in rows for value in row],
            )

    async def page(
        self,
        viewer_key: str,
        criteria: AccessCriteria,
        first: int,
        after: AccessCursor | None = None,
    ) -> AccessLogPage:
        """See :meth:`stores.access_log.AccessLog.page`."""
        found = page_query(viewer_key, criteria, after, mark="%s", at_column="at", at_value=_aware)
        async with self._cursor() as cur:
            await cur.execute(
                f"SELECT {COLUMNS} FROM access_log WHERE {found.page} "  # noqa: S608
                "ORDER BY at DESC, id DESC LIMIT %s",
                [*found.page_params, first + 1],
            )
            rows = await cur.fetchall()
            await cur.execute(
                f"SELECT COUNT(*) AS total FROM access_log WHERE {found.matching}",  # noqa: S608
                found.params,
            )
            counted = await cur.fetchone()
        total = 0 if counted is None else int(counted["total"])
        return AccessLogPage([_entry(row) for row in rows[:first]], len(rows) > first, total)

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`stores.access_log.AccessLog.purge` (in chunks of :data:`PURGE_CHUNK`)."""
        limit = _aware(older_than)
        deleted = 0
        while True:
            async with self._cursor() as cur:
                await cur.execute(
                    "DELETE FROM access_log WHERE id IN "
                    "(SELECT id FROM access_log WHERE at < %s LIMIT %s)",
                    (limit, PURGE_CHUNK),
                )
                count = cur.rowcount
            deleted += count
            if count < PURGE_CHUNK:
                return deleted
