"""What the stores in the SQLite file share: the outbox and the access log are tables of one file.

:func:`open_connection` creates the file readable by the owner only (0600, in a directory created
0700; SQLite gives its ``-wal`` and ``-shm`` files the same mode), opens it in autocommit mode,
tunes it (busy timeout, WAL journaling, the store's ``synchronous`` level, ``secure_delete`` so
that deleted data is overwritten, not left readable in free pages) and migrates the store's
tables, all on a dedicated single-worker thread: the event loop never blocks on the disk and the
connection is never shared between threads. :class:`SqliteStore` runs each operation there in a
``BEGIN IMMEDIATE`` transaction (one writer at a time, waiting up to the busy timeout) and turns
a file it cannot use into the store's own "unavailable" error.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Final, Literal, TypeVar

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "SqliteStore",
    "Step",
    "in_transaction",
    "migrate",
    "open_connection",
    "private_file",
]

T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT_S: Final = 10.0

#: A migration step: an SQL statement, or a function run in the migration's transaction.
Step = str | Callable[[sqlite3.Connection], None]


def private_file(path: Path) -> None:
    """Create the database file (and its directory) readable by the owner only."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    # An existing file made by an older version or by hand: tighten it too.
    os.chmod(path, 0o600)


def in_transaction(db: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction: committed, or rolled back if it raises."""
    # IMMEDIATE takes the write lock up front: a read-then-write (accept, claim) can then not
    # interleave with another process's, and no deadlock-prone lock upgrade happens later.
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


def migrate(
    db: sqlite3.Connection, *, table: str, steps: Sequence[Sequence[Step]], what: str
) -> None:
    """Bring a store's tables to version ``len(steps)``, recorded in its own ``table``.

    Version n is reached by running ``steps[n - 1]``; a file of a newer version than ``steps``
    knows is refused (``RuntimeError`` naming ``what``). Runs in the caller's transaction.
    """
    latest = len(steps)
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
    row = db.execute(f"SELECT version FROM {table}").fetchone()  # noqa: S608 - fixed name
    version = 0 if row is None else int(row[0])
    if version > latest:
        raise RuntimeError(f"{what} has schema version {version}; this code knows {latest}")
    for step in steps[version:]:
        for statement in step:
            if isinstance(statement, str):
                db.execute(statement)
            else:
                statement(db)
    if row is None:
        db.execute(f"INSERT INTO {table} (version) VALUES (?)", (latest,))  # noqa: S608
    else:
        db.execute(f"UPDATE {table} SET version = ?", (latest,))  # noqa: S608


def _connect(
    path: Path,
    busy_timeout_s: float,
    what: str,
    synchronous: str,
    pragmas: Sequence[str],
    migrate_tables: Callable[[sqlite3.Connection], None],
) -> sqlite3.Connection:
    """Open, tune and migrate the database (runs on the store's thread)."""
    private_file(path)
    # Autocommit mode: transactions are begun and ended explicitly in in_transaction.
    db = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            raise RuntimeError(f"{what} needs WAL journaling, the file gave {mode!r}")
        db.execute(f"PRAGMA synchronous = {synchronous}")
        # Deleted rows are overwritten with zeros, not left readable in free pages: the pragma
        # is per connection, and not every SQLite build has it on.
        db.execute("PRAGMA secure_delete = ON")
        in_transaction(db, migrate_tables)
    except BaseException:
        db.close()
        raise
    return db


async def open_connection(
    path: Path | str,
    *,
    busy_timeout_s: float,
    thread_name: str,
    what: str,
    synchronous: Literal["FULL", "NORMAL"],
    migrate_tables: Callable[[sqlite3.Connection], None],
    pragmas: Sequence[str] = (),
) -> tuple[sqlite3.Connection, ThreadPoolExecutor]:
    """Open (creating if needed) the file at ``path`` on a new single-worker thread, tune it
    (``pragmas`` run before the switch to WAL: settings a new file must get first) and run
    ``migrate_tables`` in a transaction; return the connection and its thread's executor."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
    loop = asyncio.get_running_loop()
    try:
        connection = await loop.run_in_executor(
            executor,
            _connect,
            Path(path),
            busy_timeout_s,
            what,
            synchronous,
            tuple(pragmas),
            migrate_tables,
        )
    except BaseException:
        executor.shutdown(wait=False)
        raise
    return connection, executor


class SqliteStore:
    """A store on a connection of :func:`open_connection`: each operation on its thread, in a
    transaction; an ``sqlite3.OperationalError`` (locked past the busy timeout by another
    process, or the disk failing) becomes the subclass's ``_unavailable`` error."""

    #: How the store names itself in messages ("outbox": "the outbox is closed").
    _name: ClassVar[str]
    #: The store's error for a file it cannot use (messages never carry personal data).
    _unavailable: ClassVar[type[Exception]]

    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._db = connection
        self._executor = executor
        self._closed = False

    async def _run(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True) -> T:
        """``fn(connection)`` on the store's thread, in a transaction unless told otherwise
        (what SQLite refuses to run inside one)."""
        if self._closed:
            raise RuntimeError(f"the {self._name} is closed")
        loop = asyncio.get_running_loop()
        try:
            if transaction:
                return await loop.run_in_executor(self._executor, in_transaction, self._db, fn)
            return await loop.run_in_executor(self._executor, fn, self._db)
        except sqlite3.OperationalError as exc:
            raise self._unavailable(f"the {self._name} file is unavailable ({exc})") from None

    async def close(self) -> None:
        """Close the connection and its thread (a checkpoint folds the WAL into the file)."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._db.close)
        self._executor.shutdown(wait=True)
