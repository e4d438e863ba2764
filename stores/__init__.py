"""The gateway's durable stores; for now the outbox of accepted citizen writes.

Each store is a protocol (:class:`~stores.outbox.Outbox`) with an embedded default (an SQLite
file) and, in a later issue, a PostgreSQL backend chosen by the URL in the settings
(``MINSIDE_OUTBOX_URL``). Open one store per process in the app's lifespan with
:func:`open_outbox` and close it on shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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
    RecordNotFound,
    fingerprint,
)
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
    "RecordNotFound",
    "SqliteOutbox",
    "fingerprint",
    "open_outbox",
    "outbox_path",
]

SQLITE_PREFIX = "sqlite:///"


def outbox_path(url: str) -> Path:
    """The file of an ``sqlite:///`` URL: ``sqlite:///var/o.db`` is relative to the working
    directory, ``sqlite:////srv/o.db`` absolute (SQLAlchemy's convention).

    Raises ``ValueError`` for any other scheme (PostgreSQL arrives with the scale-out issue).
    """
    if not url.startswith(SQLITE_PREFIX) or len(url) == len(SQLITE_PREFIX):
        raise ValueError(
            "the outbox URL must be sqlite:///<path> (PostgreSQL is not supported yet)"
        )
    return Path(url[len(SQLITE_PREFIX) :])


async def open_outbox(
    url: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Outbox:
    """Open the outbox named by ``url`` (see :func:`outbox_path`); close it when done."""
    return await SqliteOutbox.open(outbox_path(url), clock=clock)
