"""The mechanism every store shares (``stores.sqlite_base``, ``stores.postgres_base``): a
database that does not answer is the store's own "unavailable" error (what the schema turns into
SUBMISSIONS_UNAVAILABLE / ACCESS_LOG_UNAVAILABLE), a closed store refuses work, and the SQLite
file is private and in WAL mode whichever store opens it first."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from stores.access_log import AccessLogUnavailable
from stores.access_log_postgres import PostgresAccessLog
from stores.access_log_sqlite import SCHEMA_VERSION as ACCESS_LOG_SCHEMA_VERSION
from stores.access_log_sqlite import SqliteAccessLog
from stores.outbox import OutboxUnavailable
from stores.outbox_postgres import PostgresOutbox
from stores.outbox_sqlite import SqliteOutbox
from tests import services
from tests.clocks import T0

Operation = Callable[[Any], Awaitable[object]]

# (store, its error, an operation of it, how it names itself)
STORES: dict[str, tuple[type[Exception], Operation, str]] = {
    "outbox": (OutboxUnavailable, lambda store: store.stats(), "outbox"),
    "access log": (AccessLogUnavailable, lambda store: store.purge(T0), "access log"),
}


@pytest.fixture
async def unreachable_pool() -> AsyncIterator[AsyncConnectionPool[Any]]:
    """A pool whose server does not answer (nothing listens on its port)."""
    pool = await services.unreachable_pool(timeout_s=0.3)
    yield pool
    await pool.close()


@pytest.mark.parametrize("kind", STORES)
async def test_a_postgres_store_that_gets_no_connection_says_it_is_unavailable(
    kind, unreachable_pool
):
    error, operation, name = STORES[kind]
    store: PostgresOutbox | PostgresAccessLog
    if kind == "outbox":
        store = PostgresOutbox(unreachable_pool, lambda: datetime.now(UTC), op_timeout_s=0.3)
    else:
        store = PostgresAccessLog(unreachable_pool, op_timeout_s=0.3)
    with pytest.raises(error) as raised:
        await operation(store)
    assert str(raised.value) == f"the {name} database is unavailable (PoolTimeout)"
    assert "127.0.0.1" not in str(raised.value)
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(RuntimeError, match=f"the {name} is closed"):
        await operation(store)


@pytest.mark.parametrize("kind", STORES)
async def test_a_sqlite_store_on_a_locked_file_says_it_is_unavailable(kind, tmp_path):
    error, operation, name = STORES[kind]
    path = tmp_path / "outbox.sqlite3"
    opener = SqliteOutbox if kind == "outbox" else SqliteAccessLog
    store = await opener.open(path, busy_timeout_s=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the file past the busy timeout
    try:
        with pytest.raises(error, match=f"^the {name} file is unavailable"):
            await operation(store)
    finally:
        other.execute("ROLLBACK")
        other.close()
    await operation(store)  # the lock gone, the same store works again
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(RuntimeError, match=f"the {name} is closed"):
        await operation(store)


async def test_the_access_log_opening_the_file_first_makes_it_private_and_wal(tmp_path):
    path = tmp_path / "state" / "outbox.sqlite3"
    log = await SqliteAccessLog.open(path)
    await log.purge(T0)
    await log.close()
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM access_log_schema_version").fetchall() == [
            (ACCESS_LOG_SCHEMA_VERSION,)
        ]
    db.close()
    # The outbox opens the same file afterwards and adds its own tables beside the log's.
    outbox = await SqliteOutbox.open(path)
    assert (await outbox.stats()).pending == 0
    await outbox.close()


async def test_a_newer_access_log_schema_is_refused(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    log = await SqliteAccessLog.open(path)
    await log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE access_log_schema_version SET version = 99")
    db.close()
    with pytest.raises(RuntimeError, match="the access log has schema version 99"):
        await SqliteAccessLog.open(path)
