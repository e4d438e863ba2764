"""What the stores on PostgreSQL share: the outbox and the access log are tables of one database.

:func:`open_pool` connects a :class:`psycopg_pool.AsyncConnectionPool` in autocommit mode (each
statement committed before it returns, unless a store opens a transaction) and brings the schema
up to date on its first connection. :class:`PostgresStore` hands out a cursor per operation,
waiting for a connection only ``op_timeout_s`` (a citizen's request waits with it), and turns a
database that is down, unreachable or lost mid-statement into the store's own "unavailable"
error, never the driver's text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

__all__ = ["Pool", "PostgresStore", "open_pool"]

Pool = AsyncConnectionPool[AsyncConnection[Any]]


async def open_pool(
    url: str,
    *,
    name: str,
    min_size: int,
    max_size: int,
    timeout_s: float,
    prepare: Callable[[AsyncConnection[Any]], Awaitable[object]],
) -> Pool:
    """Connect a pool to ``url`` (``postgresql://...``) and run ``prepare`` (the migration) on
    one of its connections; the pool is closed again if either fails.

    Raises ``psycopg_pool.PoolTimeout`` when no connection is made within ``timeout_s``.
    """
    pool: Pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout_s,
        kwargs={"autocommit": True},
        # A connection broken by a database restart is replaced before use, not failed on.
        check=AsyncConnectionPool.check_connection,
        name=name,
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=timeout_s)
        async with pool.connection() as conn:
            await prepare(conn)
    except BaseException:
        await pool.close()
        raise
    return pool


class PostgresStore:
    """A store on a pool of :func:`open_pool` (see the module docstring); an operation that
    gets no connection within ``op_timeout_s`` or loses it raises the subclass's
    ``_unavailable`` error."""

    #: How the store names itself in messages ("outbox": "the outbox is closed").
    _name: ClassVar[str]
    #: The store's error for a database it cannot reach (messages never carry personal data).
    _unavailable: ClassVar[type[Exception]]

    def __init__(self, pool: Pool, *, op_timeout_s: float) -> None:
        self._pool = pool
        # How long an operation waits for a connection: short, because a citizen's request
        # waits with it (opening waits longer: a database still starting up is normal).
        self._op_timeout_s = op_timeout_s
        self._closed = False

    async def close(self) -> None:
        """Close the pool's connections (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()

    @asynccontextmanager
    async def _cursor(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        if self._closed:
            raise RuntimeError(f"the {self._name} is closed")
        try:
            async with (
                self._pool.connection(timeout=self._op_timeout_s) as conn,
                conn.cursor(row_factory=dict_row) as cur,
            ):
                yield cur
        except (psycopg.OperationalError, PoolTimeout) as exc:
            # Down, unreachable, or the connection lost mid-statement: the caller gets the
            # store's own error (a typed answer for the citizen), never the driver's text.
            raise self._unavailable(
                f"the {self._name} database is unavailable ({type(exc).__name__})"
            ) from None
