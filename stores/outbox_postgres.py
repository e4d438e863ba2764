"""The shared outbox: one PostgreSQL table, for any number of gateway and delivery processes.

Chosen when ``MINSIDE_DATABASE_URL`` is set (see :func:`stores.open_outbox`). Every method runs
on a connection of a :class:`psycopg_pool.AsyncConnectionPool` in autocommit mode: each write is
one statement, committed (and so durable, with the server's ``synchronous_commit``) before the
method returns.

Concurrency: :meth:`PostgresOutbox.claim_due` picks due rows with ``SELECT ... FOR UPDATE SKIP
LOCKED`` and leases them in the same statement, so two workers claiming at once each get other
records and never wait on each other; every ``mark_*`` call checks its lease token in the
``WHERE`` clause of its ``UPDATE``.

Schema: the numbered files of ``stores/migrations/postgres`` (``0001_outbox.sql``, ...), applied
in order by :func:`migrate` in one transaction under a transaction-scoped advisory lock (two
processes starting at once migrate once), each recorded in ``schema_migrations``. A database of
a newer version than this code knows is refused. Production runs ``minside migrate`` before
starting the new version; :meth:`PostgresOutbox.open` migrates too (a no-op by then).

The tables hold personal data (an undelivered application's ``private`` column carries the
applicant's fødselsnummer, ``outbox_file`` its attachments, dropped once the record is final):
the database must be reachable by the gateway's role only, and no index or log line holds a
payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Final

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from stores.outbox import (
    DEFAULT_MAX_LOST_LEASES,
    AcceptResult,
    LeaseLost,
    OutboxConflict,
    OutboxError,
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
    short_error,
)
from stores.postgres_base import Pool, PostgresStore, open_pool

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresOutbox", "migrate", "schema_version"]

#: Key of the advisory lock that serializes migrations (any constant no other code uses).
MIGRATION_LOCK: Final = 0x6D696E7369646501  # "minside" 01

COLUMN_NAMES: Final = (
    "id",
    "kind",
    "idempotency_key",
    "request_fingerprint",
    "viewer_key",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "lease_until",
    "lease_token",
    "last_error",
    "result",
    "progress",
    "created_at",
    "updated_at",
    "delivered_at",
    "lost_leases",
    "private",
    "payload_dropped_at",
)
COLUMNS: Final = ", ".join(COLUMN_NAMES)
#: The same, qualified by the alias ``o`` (for statements that join another relation).
O_COLUMNS: Final = ", ".join(f"o.{name}" for name in COLUMN_NAMES)


def _load_migrations() -> tuple[tuple[int, str], ...]:
    """The ``NNNN_name.sql`` files of ``stores/migrations/postgres``, by number (1, 2, ... n)."""
    folder = resources.files("stores").joinpath("migrations", "postgres")
    steps = sorted(
        (int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    if [version for version, _ in steps] != list(range(1, len(steps) + 1)):
        raise RuntimeError("the PostgreSQL migrations must be numbered 0001, 0002, ... no gaps")
    return tuple(steps)


#: (version, SQL) of every migration; version n is reached by running the nth.
MIGRATIONS: Final = _load_migrations()
SCHEMA_VERSION: Final = MIGRATIONS[-1][0]


async def schema_version(conn: AsyncConnection[Any]) -> int:
    """The version recorded in ``schema_migrations`` (0: none, or no such table yet)."""
    cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    if row is None or not row[0]:
        return 0
    cursor = await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def migrate(conn: AsyncConnection[Any]) -> int:
    """Bring the schema (of ``conn``'s ``search_path``) up to :data:`SCHEMA_VERSION`; return it.

    All missing steps run in one transaction under ``pg_advisory_xact_lock``: a second process
    migrating at the same time waits, then finds nothing left to do. Raises ``RuntimeError``
    when the database is newer than this code.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = await schema_version(conn)
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"the outbox database has schema version {current}; this code knows "
                f"{SCHEMA_VERSION} (run the newer code, or restore a matching database)"
            )
        for version, script in MIGRATIONS[current:]:
            # bytes: a script of several statements, sent as one simple query (no parameters).
            await conn.execute(script.encode())
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
    return SCHEMA_VERSION


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return moment


def _record(row: Mapping[str, Any]) -> OutboxRecord:
    lease_until = row["lease_until"]
    delivered_at = row["delivered_at"]
    return OutboxRecord(
        id=row["id"],
        kind=OutboxKind(row["kind"]),
        idempotency_key=row["idempotency_key"],
        request_fingerprint=row["request_fingerprint"],
        viewer_key=row["viewer_key"],
        payload=row["payload"],
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=_utc(row["next_attempt_at"]),
        lease_until=None if lease_until is None else _utc(lease_until),
        lease_token=row["lease_token"],
        last_error=row["last_error"],
        result=row["result"],
        progress=row["progress"],
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
        delivered_at=None if delivered_at is None else _utc(delivered_at),
        lost_leases=row["lost_leases"],
        private=row["private"],
        payload_dropped_at=(
            None if row["payload_dropped_at"] is None else _utc(row["payload_dropped_at"])
        ),
    )


class PostgresOutbox(PostgresStore):
    """:class:`stores.outbox.Outbox` on PostgreSQL (see the module docstring).

    Open with :meth:`open` (connects and migrates) and :meth:`close` it in the app's lifespan.
    ``clock`` stamps ``created_at``/``updated_at``/``delivered_at`` (tests inject it); the times
    that drive delivery (``now`` of :meth:`claim_due`, ``next_attempt_at``) are the caller's.
    """

    _name = "outbox"
    _unavailable = OutboxUnavailable

    def __init__(
        self, pool: Pool, clock: Callable[[], datetime], *, op_timeout_s: float = 2.0
    ) -> None:
        super().__init__(pool, op_timeout_s=op_timeout_s)
        self._clock = clock

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        min_size: int = 1,
        max_size: int = 10,
        timeout_s: float = 10.0,
    ) -> PostgresOutbox:
        """Connect a pool to ``url`` (``postgresql://...``) and bring the schema up to date.

        Raises ``psycopg_pool.PoolTimeout`` when no connection is made within ``timeout_s``.
        """
        pool = await open_pool(
            url,
            name="minside-outbox",
            min_size=min_size,
            max_size=max_size,
            timeout_s=timeout_s,
            prepare=migrate,
        )
        return cls(pool, clock)

    def _stamp(self) -> datetime:
        return _aware(self._clock())

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
        now = self._stamp()
        async with self._cursor() as cur, cur.connection.transaction():
            # One transaction: the record and its files are accepted together or not at all.
            await cur.execute(
                "INSERT INTO outbox (id, kind, idempotency_key, request_fingerprint, viewer_key, "  # noqa: S608
                "payload, status, attempts, next_attempt_at, progress, created_at, updated_at, "
                "private) VALUES (%s, %s, %s, %s, %s, %s, 'PENDING', 0, %s, '{}', %s, %s, %s) "
                "ON CONFLICT (viewer_key, kind, idempotency_key) DO NOTHING "
                f"RETURNING {COLUMNS}",
                (
                    uuid.uuid4(),
                    kind.value,
                    idempotency_key,
                    fingerprint,
                    viewer_key,
                    Jsonb(dict(payload)),
                    now,
                    now,
                    now,
                    None if private is None else Jsonb(dict(private)),
                ),
            )
            row = await cur.fetchone()
            if row is not None:
                record = _record(row)
                await _insert_files(cur, record.id, files)
                return AcceptResult(record, created=True)
            # The key exists (a committed row: ON CONFLICT waited for a concurrent insert).
            existing = await self._find(cur, viewer_key, kind, idempotency_key)
        if existing is None:
            raise OutboxError("the record of this idempotency key vanished")
        if existing.request_fingerprint != fingerprint:
            raise OutboxConflict(existing.id)
        return AcceptResult(existing, created=False)

    @staticmethod
    async def _find(
        cur: AsyncCursor[DictRow], viewer_key: str, kind: OutboxKind, idempotency_key: str
    ) -> OutboxRecord | None:
        await cur.execute(
            f"SELECT {COLUMNS} FROM outbox "  # noqa: S608 - fixed column list
            "WHERE viewer_key = %s AND kind = %s AND idempotency_key = %s",
            (viewer_key, kind.value, idempotency_key),
        )
        row = await cur.fetchone()
        return None if row is None else _record(row)

    async def read_files(self, record_id: uuid.UUID) -> dict[str, bytes]:
        """See :meth:`stores.outbox.Outbox.read_files`."""
        async with self._cursor() as cur:
            await cur.execute(
                "SELECT sha256, data FROM outbox_file WHERE record_id = %s", (record_id,)
            )
            rows = await cur.fetchall()
        return {row["sha256"]: bytes(row["data"]) for row in rows}

    async def purge(self, now: datetime, retention: OutboxRetention) -> PurgeResult:
        """See :meth:`stores.outbox.Outbox.purge`."""
        _aware(now)
        async with self._cursor() as cur, cur.connection.transaction():
            # outbox_file rows go with their record (ON DELETE CASCADE).
            await cur.execute(
                "DELETE FROM outbox WHERE (status = 'DELIVERED' AND delivered_at <= %s) "
                "OR (status = 'REJECTED' AND updated_at <= %s)",
                (
                    now - timedelta(seconds=retention.delivered_s),
                    now - timedelta(seconds=retention.rejected_s),
                ),
            )
            deleted = cur.rowcount
            # A final record's updated_at is when it became final (nothing changes it after).
            await cur.execute(
                "WITH dropped AS (UPDATE outbox SET private = NULL, payload_dropped_at = %s "
                "WHERE status IN ('DELIVERED', 'REJECTED') AND updated_at <= %s "
                "AND payload_dropped_at IS NULL RETURNING id), "
                "gone AS (DELETE FROM outbox_file WHERE record_id IN (SELECT id FROM dropped)) "
                "SELECT count(*) AS n FROM dropped",
                (now, now - timedelta(seconds=retention.payload_s)),
            )
            row = await cur.fetchone()
        return PurgeResult(payloads_dropped=0 if row is None else int(row["n"]), deleted=deleted)

    async def get(self, record_id: uuid.UUID) -> OutboxRecord | None:
        """See :meth:`stores.outbox.Outbox.get`."""
        async with self._cursor() as cur:
            await cur.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE id = %s",  # noqa: S608 - fixed columns
                (record_id,),
            )
            row = await cur.fetchone()
        return None if row is None else _record(row)

    async def find(
        self, viewer_key: str, kind: OutboxKind, idempotency_key: str
    ) -> OutboxRecord | None:
        """See :meth:`stores.outbox.Outbox.find`."""
        async with self._cursor() as cur:
            return await self._find(cur, viewer_key, OutboxKind(kind), idempotency_key)

    async def list_for_viewer(
        self,
        viewer_key: str,
        kinds: Collection[OutboxKind] | None = None,
        statuses: Collection[OutboxStatus] | None = None,
    ) -> list[OutboxRecord]:
        """See :meth:`stores.outbox.Outbox.list_for_viewer`."""
        # NULL array: no filter; an empty array: nothing matches (as the SQLite store).
        kind_values = None if kinds is None else [OutboxKind(k).value for k in kinds]
        status_values = None if statuses is None else [OutboxStatus(s).value for s in statuses]
        async with self._cursor() as cur:
            await cur.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE viewer_key = %s "  # noqa: S608
                "AND (%s::text[] IS NULL OR kind = ANY(%s::text[])) "
                "AND (%s::text[] IS NULL OR status = ANY(%s::text[])) "
                "ORDER BY created_at DESC, id",
                (viewer_key, kind_values, kind_values, status_values, status_values),
            )
            rows = await cur.fetchall()
        return [_record(row) for row in rows]

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
        _aware(now)
        if limit < 1:
            return []
        until = now + timedelta(seconds=lease_s)
        async with self._cursor() as cur:
            # One statement: the rows picked (skipping those another claim holds locked) are
            # leased, or parked if taking them would be their max_lost_leases-th lost lease.
            # The parked text is stores.outbox.parked_reason's.
            await cur.execute(
                "WITH due AS ("  # noqa: S608 - fixed column list
                "  SELECT id, next_attempt_at AS due_at,"
                "    lost_leases + CASE WHEN status = 'DELIVERING' THEN 1 ELSE 0 END AS lost"
                "  FROM outbox WHERE status IN ('PENDING', 'DELIVERING')"
                "  AND next_attempt_at <= %(now)s"
                "  ORDER BY next_attempt_at, created_at LIMIT %(limit)s"
                "  FOR UPDATE SKIP LOCKED"
                "), judged AS ("
                "  SELECT id, due_at, lost, lost >= %(max_lost)s AS parked FROM due"
                ") "
                "UPDATE outbox AS o SET"
                "  lost_leases = j.lost,"
                "  status = CASE WHEN j.parked THEN 'FAILED' ELSE 'DELIVERING' END,"
                "  attempts = CASE WHEN j.parked THEN o.attempts ELSE o.attempts + 1 END,"
                "  next_attempt_at = CASE WHEN j.parked THEN o.next_attempt_at"
                "    ELSE %(until)s END,"
                "  lease_until = CASE WHEN j.parked THEN NULL ELSE %(until)s END,"
                "  lease_token = CASE WHEN j.parked THEN NULL"
                "    ELSE replace(gen_random_uuid()::text, '-', '') END,"
                "  last_error = CASE WHEN j.parked"
                "    THEN 'parked: delivery never finished ' || j.lost || ' times'"
                "    ELSE o.last_error END,"
                "  updated_at = %(stamp)s "
                "FROM judged AS j WHERE o.id = j.id "
                f"RETURNING {O_COLUMNS}, j.due_at AS due_at",
                {
                    "now": now,
                    "limit": limit,
                    "max_lost": max_lost_leases,
                    "until": until,
                    "stamp": self._stamp(),
                },
            )
            rows = await cur.fetchall()
        rows.sort(key=lambda row: (row["due_at"], row["created_at"]))
        return [_record(row) for row in rows if row["status"] == OutboxStatus.DELIVERING]

    async def renew_lease(
        self, record_id: uuid.UUID, lease_token: str, until: datetime
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.renew_lease`."""
        _aware(until)
        return await self._update_claimed(
            record_id, lease_token, "lease_until = %s, next_attempt_at = %s", (until, until)
        )

    async def next_due_at(self) -> datetime | None:
        """See :meth:`stores.outbox.Outbox.next_due_at`."""
        async with self._cursor() as cur:
            await cur.execute(
                "SELECT MIN(next_attempt_at) AS due FROM outbox "
                "WHERE status IN ('PENDING', 'DELIVERING')"
            )
            row = await cur.fetchone()
        due = None if row is None else row["due"]
        return None if due is None else _utc(due)

    async def stats(self) -> OutboxStats:
        """See :meth:`stores.outbox.Outbox.stats`."""
        async with self._cursor() as cur:
            await cur.execute(
                "SELECT count(*) FILTER (WHERE status = 'PENDING') AS pending, "
                "count(*) FILTER (WHERE status = 'DELIVERING') AS delivering, "
                "min(created_at) FILTER (WHERE status <> 'FAILED') AS oldest, "
                "count(*) FILTER (WHERE status = 'FAILED') AS failed "
                "FROM outbox WHERE status IN ('PENDING', 'DELIVERING', 'FAILED')"
            )
            row = await cur.fetchone()
        if row is None:  # an aggregate always answers one row
            return OutboxStats(0, 0, None)
        oldest = row["oldest"]
        return OutboxStats(
            int(row["pending"]),
            int(row["delivering"]),
            None if oldest is None else _utc(oldest),
            int(row["failed"]),
        )

    async def _update_claimed(
        self,
        record_id: uuid.UUID,
        lease_token: str,
        assignments: str,
        params: tuple[Any, ...],
        *,
        drop_private: bool = False,
    ) -> OutboxRecord:
        stamp = self._stamp()
        if drop_private:
            assignments = f"{assignments}, private = NULL, payload_dropped_at = %s"
            params = (*params, stamp)
        async with self._cursor() as cur, cur.connection.transaction():
            await cur.execute(
                f"UPDATE outbox SET {assignments}, updated_at = %s "  # noqa: S608 - callers' SQL
                "WHERE id = %s AND lease_token = %s AND status = 'DELIVERING' "
                f"RETURNING {COLUMNS}",
                (*params, stamp, record_id, lease_token),
            )
            row = await cur.fetchone()
            if row is not None:
                if drop_private:
                    await cur.execute("DELETE FROM outbox_file WHERE record_id = %s", (record_id,))
                return _record(row)
            await cur.execute("SELECT 1 FROM outbox WHERE id = %s", (record_id,))
            if await cur.fetchone() is None:
                raise RecordNotFound("no outbox record with this id")
        raise LeaseLost("the claim of this record is no longer current")

    async def mark_progress(
        self, record_id: uuid.UUID, step_result: Mapping[str, Any], lease_token: str
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_progress`."""
        # RFC 7396 on the top level: jsonb || adds or replaces keys, `- text[]` drops the keys
        # the step sets to None.
        kept = {key: value for key, value in step_result.items() if value is not None}
        removed = [key for key, value in step_result.items() if value is None]
        return await self._update_claimed(
            record_id,
            lease_token,
            "progress = (progress || %s) - %s::text[]",
            (Jsonb(kept), removed),
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
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'DELIVERED', result = %s, delivered_at = %s, last_error = NULL, "
            "lease_until = NULL, lease_token = NULL",
            (Jsonb(dict(result)), self._stamp()),
            drop_private=drop_private,
        )

    async def mark_retry(
        self, record_id: uuid.UUID, error: str, next_attempt_at: datetime, lease_token: str
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_retry`."""
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'PENDING', last_error = %s, next_attempt_at = %s, "
            "lease_until = NULL, lease_token = NULL",
            (short_error(error), _aware(next_attempt_at)),
        )

    async def mark_rejected(
        self, record_id: uuid.UUID, reason: str, lease_token: str, *, drop_private: bool = True
    ) -> OutboxRecord:
        """See :meth:`stores.outbox.Outbox.mark_rejected`."""
        return await self._update_claimed(
            record_id,
            lease_token,
            "status = 'REJECTED', last_error = %s, lease_until = NULL, lease_token = NULL",
            (short_error(reason),),
            drop_private=drop_private,
        )


async def _insert_files(
    cur: AsyncCursor[DictRow], record_id: uuid.UUID, files: Iterable[bytes]
) -> None:
    for data in files:
        await cur.execute(
            "INSERT INTO outbox_file (record_id, sha256, data) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (record_id, file_key(data), data),
        )
