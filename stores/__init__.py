"""The gateway's durable stores; for now the outbox of accepted citizen writes.

Each store is a protocol (:class:`~stores.outbox.Outbox`) with an embedded default (an SQLite
file, ``MINSIDE_OUTBOX_URL``) and a PostgreSQL backend for many workers, chosen when
``MINSIDE_DATABASE_URL`` is set (:func:`outbox_url`). Open one store per process in the app's
lifespan with :func:`open_outbox` and close it on shutdown; :func:`migrate_outbox` only brings
the schema up to date (``minside migrate``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from kernel.settings import Settings
from stores.access_log import AccessLog
from stores.access_log_postgres import PostgresAccessLog
from stores.access_log_sqlite import SqliteAccessLog
from stores.outbox import (
    AcceptResult,
    LeaseLost,
    Outbox,
    OutboxConflict,
    OutboxError,
    OutboxKind,
    OutboxRecord,
    OutboxStats,
    OutboxStatus,
    OutboxUnavailable,
    RecordNotFound,
    fingerprint,
)
from stores.outbox_postgres import PostgresOutbox
from stores.outbox_postgres import migrate as migrate_postgres
from stores.outbox_sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from stores.outbox_sqlite import SqliteOutbox

__all__ = [
    "AcceptResult",
    "LeaseLost",
    "Outbox",
    "OutboxConflict",
    "OutboxError",
    "OutboxKind",
    "OutboxRecord",
    "OutboxStats",
    "OutboxStatus",
    "OutboxUnavailable",
    "PostgresOutbox",
    "RecordNotFound",
    "SqliteOutbox",
    "fingerprint",
    "migrate_outbox",
    "open_access_log",
    "open_outbox",
    "outbox_path",
    "outbox_url",
    "purge_access_log",
]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def outbox_url(settings: Settings) -> str:
    """The outbox the settings name: ``database_url`` (PostgreSQL) when set, else the SQLite
    file of ``outbox_url``. The PostgreSQL URL may hold a password: never print it."""
    if settings.database_url is not None and settings.database_url.get_secret_value():
        return settings.database_url.get_secret_value()
    return settings.outbox_url


def _is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_PREFIXES)


def outbox_path(url: str) -> Path:
    """The file of an ``sqlite:///`` URL: ``sqlite:///var/o.db`` is relative to the working
    directory, ``sqlite:////srv/o.db`` absolute (SQLAlchemy's convention).

    Raises ``ValueError`` for any other scheme.
    """
    if not url.startswith(SQLITE_PREFIX) or len(url) == len(SQLITE_PREFIX):
        raise ValueError("the outbox URL must be sqlite:///<path> or postgresql://...")
    return Path(url[len(SQLITE_PREFIX) :])


async def open_outbox(
    source: Settings | str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Outbox:
    """Open (and migrate) the outbox of the settings (see :func:`outbox_url`) or of a URL:
    ``postgresql://`` / ``postgres://`` or ``sqlite:///<path>``. Close it when done."""
    url = source if isinstance(source, str) else outbox_url(source)
    if _is_postgres(url):
        return await PostgresOutbox.open(url, clock=clock)
    return await SqliteOutbox.open(outbox_path(url), clock=clock)


async def migrate_outbox(source: Settings | str) -> int:
    """Bring the schema of the outbox of the settings (or URL) up to date without serving;
    return its version. What ``minside migrate`` runs before a deployment starts workers."""
    url = source if isinstance(source, str) else outbox_url(source)
    if _is_postgres(url):
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await migrate_postgres(conn)
    outbox = await SqliteOutbox.open(outbox_path(url))  # opening migrates
    await outbox.close()
    return SQLITE_SCHEMA_VERSION


# --- the citizen's access log, stored with the outbox -------------------------------------


async def open_access_log(source: Settings | str) -> AccessLog:
    """Open (and migrate) the access log beside the outbox of the settings (or URL): a table
    of the same PostgreSQL database, or of the same SQLite file. Close it when done."""
    url = source if isinstance(source, str) else outbox_url(source)
    if _is_postgres(url):
        return await PostgresAccessLog.open(url)
    return await SqliteAccessLog.open(outbox_path(url))


async def purge_access_log(
    settings: Settings, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> int:
    """Delete the access log's entries older than ``MINSIDE_ACCESS_LOG_RETENTION_DAYS``; return
    how many. What a purge command or job runs (the gateway also purges periodically)."""
    store = await open_access_log(settings)
    try:
        return await store.purge(now() - timedelta(days=settings.access_log_retention_days))
    finally:
        await store.close()
