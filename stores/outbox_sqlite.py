"""The embedded outbox: one SQLite file, written through the stdlib ``sqlite3`` module.

Durability: the database runs in WAL mode with ``synchronous=FULL``, so a commit is on disk
(the WAL is fsynced) before :meth:`SqliteOutbox.accept` returns; a process killed with SIGKILL, or
a machine losing power, keeps every accepted record. Several processes may share the file: every
read-modify-write runs in a ``BEGIN IMMEDIATE`` transaction (one writer at a time, waiting up to
the busy timeout), which is what makes :meth:`SqliteOutbox.claim_due` hand a record to one claim
only.

The connection lives on one dedicated thread (a single-worker executor), so the event loop never
blocks on the disk and the connection is never shared between threads.

The file can hold a fødselsnummer (an undelivered application's ``private`` column), so it is
created with mode 0600 in a directory created 0700; SQLite gives its ``-wal`` and ``-shm`` files
the same mode. Attachment bytes live in ``outbox_file`` (one row per distinct file of a record,
a BLOB, not base64 in JSON), so the frequent small updates of a record (claim, renew, retry)
never rewrite them into the WAL. Space freed by dropped files and purged records is reused by
later records, and a purge gives them back to the file system (files made by schema 3 or
later; an older file keeps its size until it is ``VACUUM``-ed once, offline). With
``secure_delete`` on, what is dropped or purged is overwritten with zeros, not left readable in
free pages.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from stores.outbox import (
    DEFAULT_MAX_LOST_LEASES,
    AcceptResult,
    LeaseLost,
    OutboxConflict,
    OutboxKind,
    OutboxRecord,
    OutboxRetention,
    OutboxStats,
    OutboxStatus,
    OutboxUnavailable,
    PurgeResult,
    RecordNotFound,
    check_claim,
    check_idempotency_key,
    file_key,
    parked_reason,
    short_error,
)
from stores.sqlite_base import (
    DEFAULT_BUSY_TIMEOUT_S,
    SqliteStore,
    Step,
    migrate,
    open_connection,
)

__all__ = ["DEFAULT_BUSY_TIMEOUT_S", "SCHEMA_VERSION", "SqliteOutbox"]

WAL_SIZE_LIMIT: Final = 4 * 1024 * 1024
# An application payload of schema version 2 kept these inline; version 3 keeps them apart.
_LEGACY_PRIVATE_KEYS: Final = ("applicant_pid",)


def _split_legacy_payloads(db: sqlite3.Connection) -> None:
    """Version 3 of existing records: an application's fødselsnummer moves from ``payload`` to
    ``private``, its base64 file data to ``outbox_file`` (the payload keeps each file's
    ``sha256`` and ``size``); final records get neither (their private data is dropped now)."""
    rows = db.execute("SELECT id, status, payload, updated_at FROM outbox").fetchall()
    for record_id, status, payload_text, updated_at in rows:
        payload = json.loads(payload_text)
        if not isinstance(payload, dict):
            continue
        final = status in (OutboxStatus.DELIVERED, OutboxStatus.REJECTED)
        private = {key: payload.pop(key) for key in _LEGACY_PRIVATE_KEYS if key in payload}
        files = payload.get("files")
        changed = bool(private)
        if isinstance(files, list):
            for entry in files:
                if isinstance(entry, dict) and isinstance(entry.get("data_base64"), str):
                    data = base64.b64decode(entry.pop("data_base64"))
                    entry["sha256"], entry["size"] = file_key(data), len(data)
                    changed = True
                    if not final:
                        db.execute(
                            "INSERT OR IGNORE INTO outbox_file (record_id, sha256, data) "
                            "VALUES (?, ?, ?)",
                            (record_id, entry["sha256"], data),
                        )
        if changed:
            db.execute(
                "UPDATE outbox SET payload = ?, private = ?, payload_dropped_at = ? WHERE id = ?",
                (
                    _json(payload),
                    None if final or not private else _json(private),
                    updated_at if final else None,
                    record_id,
                ),
            )


# Version n is reached by running MIGRATIONS[n - 1]; never edit a released step, add one.
MIGRATIONS: Final[tuple[tuple[Step, ...], ...]] = (
    (
        """
        CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            request_fingerprint TEXT NOT NULL,
            viewer_key TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            -- PENDING: when the next attempt is due; DELIVERING: when the lease expires.
            -- One column for both makes "due" a single range scan of one index.
            next_attempt_at REAL NOT NULL,
            lease_until REAL,
            lease_token TEXT,
            last_error TEXT,
            result TEXT,
            progress TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            delivered_at REAL,
            UNIQUE (viewer_key, kind, idempotency_key)
        )
        """,
        """
        CREATE INDEX outbox_due ON outbox (next_attempt_at)
            WHERE status IN ('PENDING', 'DELIVERING')
        """,
        "CREATE INDEX outbox_viewer ON outbox (viewer_key, created_at)",
    ),
    # 2: poison records. Claims whose lease expired are counted, and a record is parked with
    # status 'FAILED' (status is free text here: no table change for the new value).
    (
        "ALTER TABLE outbox ADD COLUMN lost_leases INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX outbox_failed ON outbox (created_at) WHERE status = 'FAILED'",
    ),
    # 3: keeping less. Private data apart from the receipt's payload, dropped when final; each
    # distinct file of a record stored once, as a BLOB; an index for the retention purge.
    (
        "ALTER TABLE outbox ADD COLUMN private TEXT",
        "ALTER TABLE outbox ADD COLUMN payload_dropped_at REAL",
        """
        CREATE TABLE outbox_file (
            record_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (record_id, sha256)
        )
        """,
        "CREATE INDEX outbox_final ON outbox (updated_at) "
        "WHERE status IN ('DELIVERED', 'REJECTED')",
        _split_legacy_payloads,
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)

COLUMNS: Final = (
    "id, kind, idempotency_key, request_fingerprint, viewer_key, payload, status, attempts, "
    "next_attempt_at, lease_until, lease_token, last_error, result, progress, created_at, "
    "updated_at, delivered_at, lost_leases, private, payload_dropped_at"
)
# Dropping a record's private data: these assignments, then _DELETE_FILES for the record.
_DROP_PRIVATE: Final = "private = NULL, payload_dropped_at = ?"
_DELETE_FILES: Final = "DELETE FROM outbox_file WHERE record_id = ?"


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return moment.timestamp()


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _record(row: sqlite3.Row) -> OutboxRecord:
    return OutboxRecord(
        id=uuid.UUID(row["id"]),
        kind=OutboxKind(row["kind"]),
        idempotency_key=row["idempotency_key"],
        request_fingerprint=row["request_fingerprint"],
        viewer_key=row["viewer_key"],
        payload=json.loads(row["payload"]),
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=datetime.fromtimestamp(row["next_attempt_at"], UTC),
        lease_until=_moment(row["lease_until"]),
        lease_token=row["lease_token"],
        last_error=row["last_error"],
        result=None if row["result"] is None else json.loads(row["result"]),
        progress=json.loads(row["progress"]),
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        updated_at=datetime.fromtimestamp(row["updated_at"], UTC),
        delivered_at=_moment(row["delivered_at"]),
        lost_leases=row["lost_leases"],
        private=None if row["private"] is None else json.loads(row["private"]),
        payload_dropped_at=_moment(row["payload_dropped_at"]),
    )


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SqliteOutbox(SqliteStore):
    """:class:`stores.outbox.Outbox` on an SQLite file (see the module docstring).

    Open with :meth:`open` (creates or migrates the schema) and :meth:`close` it in the app's
    lifespan. ``clock`` stamps ``created_at``/``updated_at`` (tests inject it); the times that
    drive delivery (``now`` of :meth:`claim_due`, ``next_attempt_at``) are the caller's.
    """

    _name = "outbox"
    _unavailable = OutboxUnavailable

    def __init__(
        self,
        connection: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(connection, executor)
        self._clock = clock

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> SqliteOutbox:
        """Open (creating if needed) the outbox file at ``path`` and bring its schema up to date."""
        connection, executor = await open_connection(
            path,
            busy_timeout_s=busy_timeout_s,
            thread_name="outbox-sqlite",
            what="the outbox",
            synchronous="FULL",
            pragmas=(
                # A new file gives freed pages back to the disk (at each purge,
                # _give_back_space); no effect on an existing file made without it (VACUUM it
                # once, offline, to convert).
                "auto_vacuum = INCREMENTAL",
                # After a checkpoint the WAL is cut back to this, not left at its largest (a
                # big application's insert) for ever.
                f"journal_size_limit = {WAL_SIZE_LIMIT}",
            ),
            migrate_tables=_migrate,
        )
        return cls(connection, executor, clock)

    # --- accept and read -------------------------------------------------------------------

    async def accept(
        self,
        kind: OutboxKind,
        idempotency_key: str,
        fingerprint: str,
        viewer_key: str,
        payload: Mapping[str, Any],
        *,
        private: Mapping[str, Any] | None = None,
        files: Collection[bytes] = (),
    ) -> AcceptResult:
        """See :meth:`stores.outbox.Outbox.accept`."""
        check_idempotency_key(idempotency_key)
        kind = OutboxKind(kind)
        payload_text = _json(payload)
        private_text = None if private is None else _json(private)
        now = _epoch(self._clock())
        new_id = str(uuid.uuid4())

        def write(db: sqlite3.Connection) -> AcceptResult:
            row = db.execute(
                f"SELECT {COLUMNS} FROM outbox "  # noqa: S608 - fixed column list
                "WHERE viewer_key = ? AND kind = ? AND idempotency_key = ?",
                (viewer_key, kind.value, idempotency_key),
            ).fetchone()
            if row is not None:
                if row["request_fingerprint"] != fingerprint:
                    raise OutboxConflict(uuid.UUID(row["id"]))
                return AcceptResult(_record(row), created=False)
            row = db.execute(
                f"INSERT INTO outbox ({COLUMNS}) VALUES "  # noqa: S608 - fixed column list
                "(?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, NULL, NULL, NULL, NULL, '{}', ?, ?, NULL, 0,"
                f" ?, NULL) RETURNING {COLUMNS}",
                (
                    new_id,
                    kind.value,
                    idempotency_key,
                    fingerprint,
                    viewer_key,
                    payload_text,
                    now,
                    now,
                    now,
                    private_text,
                ),
            ).fetchone()
            _insert_files(db, new_id, files)
            return AcceptResult(_record(row), created=True)

        return await self._run(write)

    async def read_files(self, record_id: uuid.UUID) -> dict[str, bytes]:
        """See :meth:`stores.outbox.Outbox.read_files`."""

        def read(db: sqlite3.Connection) -> dict[str, bytes]:
            rows = db.execute(
                "SELECT sha256, data FROM outbox_file WHERE record_id = ?", (str(record_id),)
            ).fetchall()
            return {sha: bytes(data) for sha, data in rows}

        return await self._run(read)

    async def purge(self, now: datetime, retention: OutboxRetention) -> PurgeResult:
        """See :meth:`stores.outbox.Outbox.purge`."""
        at = _epoch(now)
        payload_before = at - retention.payload_s
        doomed = (
            "(status = 'DELIVERED' AND delivered_at <= ?) "
            "OR (status = 'REJECTED' AND updated_at <= ?)"
        )
        doomed_params = (at - retention.delivered_s, at - retention.rejected_s)
        # A final record's updated_at is when it became final (nothing changes it afterwards).
        droppable = (
            "status IN ('DELIVERED', 'REJECTED') AND updated_at <= ? AND payload_dropped_at IS NULL"
        )

        def write(db: sqlite3.Connection) -> PurgeResult:
            db.execute(
                "DELETE FROM outbox_file WHERE record_id IN "  # noqa: S608 - fixed SQL
                f"(SELECT id FROM outbox WHERE {doomed})",
                doomed_params,
            )
            deleted = db.execute(f"DELETE FROM outbox WHERE {doomed}", doomed_params).rowcount  # noqa: S608
            db.execute(
                "DELETE FROM outbox_file WHERE record_id IN "  # noqa: S608 - fixed SQL
                f"(SELECT id FROM outbox WHERE {droppable})",
                (payload_before,),
            )
            dropped = db.execute(
                f"UPDATE outbox SET private = NULL, payload_dropped_at = ? WHERE {droppable}",  # noqa: S608
                (at, payload_before),
            ).rowcount
            return PurgeResult(payloads_dropped=dropped, deleted=deleted)

        result = await self._run(write)
        await self._give_back_space()
        return result

    async def _give_back_space(self) -> None:
        """Return the pages freed by dropped files and deleted records to the file system
        (``auto_vacuum=INCREMENTAL`` files; run outside a transaction, as SQLite needs)."""

        def vacuum(db: sqlite3.Connection) -> None:
            # executescript steps the pragma to the end (execute() frees one page per step).
            db.executescript("PRAGMA incremental_vacuum;")

        await self._run(vacuum, transaction=False)

    async def get(self, record_id: uuid.UUID) -> OutboxRecord | None:
        """See :meth:`stores.outbox.Outbox.get`."""

        def read(db: sqlite3.Connection) -> OutboxRecord | None:
            row = db.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE id = ?",  # noqa: S608 - fixed columns
                (str(record_id),),
            ).fetchone()
            return None if row is None else _record(row)

        return await self._run(read)

    async def find(
        self, viewer_key: str, kind: OutboxKind, idempotency_key: str
    ) -> OutboxRecord | None:
        """See :meth:`stores.outbox.Outbox.find`."""
        kind = OutboxKind(kind)

        def read(db: sqlite3.Connection) -> OutboxRecord | None:
            row = db.execute(
                f"SELECT {COLUMNS} FROM outbox "  # noqa: S608 - fixed column list
                "WHERE viewer_key = ? AND kind = ? AND idempotency_key = ?",
                (viewer_key, kind.value, idempotency_key),
            ).fetchone()
            return None if row is None else _record(row)

        return await self._run(read)

    async def list_for_viewer(
        self,
        viewer_key: str,
        kinds: Collection[OutboxKind] | None = None,
        statuses: Collection[OutboxStatus] | None = None,
    ) -> list[OutboxRecord]:
        """See :meth:`stores.outbox.Outbox.list_for_viewer`."""
        where = ["viewer_key = ?"]
        params: list[Any] = [viewer_key]
        # Placeholders only: the values themselves are always bound parameters.
        if kinds is not None:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})" if kinds else "0")
            params.extend(OutboxKind(kind).value for kind in kinds)
        if statuses is not None:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})" if statuses else "0")
            params.extend(OutboxStatus(status).value for status in statuses)
        query = (
            f"SELECT {COLUMNS} FROM outbox WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY created_at DESC, id"
        )

        def read(db: sqlite3.Connection) -> list[OutboxRecord]:
            return [_record(row) for row in db.execute(query, params).fetchall()]

        return await self._run(read)

    # --- delivery --------------------------------------------------------------------------

    async def claim_due(
        self,
        now: datetime,
        lease_s: float,
        limit: int,
        *,
        max_lost_leases: int = DEFAULT_MAX_LOST_LEASES,
    ) -> list[OutboxRecord]:
        """See :meth:`stores.outbox.Outbox.claim_due`."""
        check_claim(lease_s, max_lost_leases)
        if limit < 1:
            return []
        at = _epoch(now)
        until = _epoch(now + timedelta(seconds=lease_s))
        stamp = _epoch(self._clock())

        def claim(db: sqlite3.Connection) -> list[OutboxRecord]:
            due = db.execute(
                "SELECT id, status, lost_leases FROM outbox "
                "WHERE status IN ('PENDING', 'DELIVERING') "
                "AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
                (at, limit),
            ).fetchall()
            claimed = []
            for record_id, status, lost_leases in due:
                # DELIVERING and due: its lease expired, the claim before this one was lost.
                lost = lost_leases + (status == OutboxStatus.DELIVERING)
                if lost >= max_lost_leases:
                    db.execute(
                        "UPDATE outbox SET status = 'FAILED', lost_leases = ?, last_error = ?, "
                        "lease_until = NULL, lease_token = NULL, updated_at = ? WHERE id = ?",
                        (lost, parked_reason(lost), stamp, record_id),
                    )
                    continue
                row = db.execute(
                    "UPDATE outbox SET status = 'DELIVERING', attempts = attempts + 1, "  # noqa: S608
                    "next_attempt_at = ?, lease_until = ?, lease_token = ?, updated_at = ?, "
                    f"lost_leases = ? WHERE id = ? RETURNING {COLUMNS}",
                    (until, until, uuid.uuid4().hex, stamp, lost, record_id),
                ).fetchone()
                claimed.append(_record(row))
            return claimed

        return await self._run(claim)

    async def renew_lease(
        self, record_id: uuid.UUID, lease_token: str, until: datetime
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.renew_lease`."""
        moment = _epoch(until)
        return await self._update_claimed(
            record_id,
            lease_token,
            "lease_until = ?, next_attempt_at = ?",
            (moment, moment),
        )

    async def next_due_at(self) -> datetime | None:
        """See :meth:`stores.outbox.Outbox.next_due_at`."""

        def read(db: sqlite3.Connection) -> datetime | None:
            (earliest,) = db.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE status IN ('PENDING', 'DELIVERING')"
            ).fetchone()
            return _moment(earliest)

        return await self._run(read)

    async def stats(self) -> OutboxStats:
        """See :meth:`stores.outbox.Outbox.stats`."""

        def read(db: sqlite3.Connection) -> OutboxStats:
            pending, delivering, oldest = db.execute(
                "SELECT COALESCE(SUM(status = 'PENDING'), 0), "
                "COALESCE(SUM(status = 'DELIVERING'), 0), MIN(created_at) "
                "FROM outbox WHERE status IN ('PENDING', 'DELIVERING')"
            ).fetchone()
            (failed,) = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'FAILED'").fetchone()
            return OutboxStats(int(pending), int(delivering), _moment(oldest), int(failed))

        return await self._run(read)

    async def _update_claimed(
        self,
        record_id: uuid.UUID,
        lease_token: str,
        assignments: str,
        params: tuple[Any, ...],
        *,
        drop_private: bool = False,
    ) -> OutboxRecord:
        stamp = _epoch(self._clock())
        if drop_private:
            assignments, params = f"{assignments}, {_DROP_PRIVATE}", (*params, stamp)

        def write(db: sqlite3.Connection) -> OutboxRecord:
            row = db.execute(
                f"UPDATE outbox SET {assignments}, updated_at = ? "  # noqa: S608 - callers' SQL
                "WHERE id = ? AND lease_token = ? AND status = 'DELIVERING' "
                f"RETURNING {COLUMNS}",
                (*params, stamp, str(record_id), lease_token),
            ).fetchone()
            if row is not None:
                if drop_private:
                    db.execute(_DELETE_FILES, (str(record_id),))
                return _record(row)
            exists = db.execute("SELECT 1 FROM outbox WHERE id = ?", (str(record_id),)).fetchone()
            if exists is None:
                raise RecordNotFound("no outbox record with this id")
            raise LeaseLost("the claim of this record is no longer current")

        return await self._run(write)

    async def mark_progress(
        self, record_id: uuid.UUID, step_result: Mapping[str, Any], lease_token: str
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_progress`."""
        return await self._update_claimed(
            record_id, lease_token, "progress = json_patch(progress, ?)", (_json(step_result),)
        )

    async def mark_delivered(
        self,
        record_id: uuid.UUID,
        result: Mapping[str, Any],
        lease_token: str,
        *,
        drop_private: bool = True,
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_delivered`."""
        stamp = _epoch(self._clock())
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'DELIVERED', result = ?, delivered_at = ?, last_error = NULL, "
            "lease_until = NULL, lease_token = NULL",
            (_json(result), stamp),
            drop_private=drop_private,
        )

    async def mark_retry(
        self, record_id: uuid.UUID, error: str, next_attempt_at: datetime, lease_token: str
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_retry`."""
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'PENDING', last_error = ?, next_attempt_at = ?, "
            "lease_until = NULL, lease_token = NULL",
            (short_error(error), _epoch(next_attempt_at)),
        )

    async def mark_rejected(
        self, record_id: uuid.UUID, reason: str, lease_token: str, *, drop_private: bool = True
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_rejected`."""
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'REJECTED', last_error = ?, lease_until = NULL, lease_token = NULL",
            (short_error(reason),),
            drop_private=drop_private,
        )


def _insert_files(db: sqlite3.Connection, record_id: str, files: Iterable[bytes]) -> None:
    for data in files:
        db.execute(
            "INSERT OR IGNORE INTO outbox_file (record_id, sha256, data) VALUES (?, ?, ?)",
            (record_id, file_key(data), data),
        )


def _migrate(db: sqlite3.Connection) -> None:
    migrate(db, table="schema_version", steps=MIGRATIONS, what="the outbox file")
