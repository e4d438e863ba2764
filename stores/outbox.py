"""The outbox: citizen writes accepted durably, then delivered to the back-office from here.

A write (a meter reading, an application) is *accepted* only once :meth:`Outbox.accept` has
returned: the record is then committed to stable storage, so a process killed at any later moment
loses nothing. A :mod:`delivery` worker takes due records with :meth:`Outbox.claim_due` (which
leases them), delivers them with the idempotency key passed on to the back-office, and ends each
record in ``DELIVERED`` or ``REJECTED`` (never a silent drop) or puts it back to ``PENDING`` for a
later attempt.

Life of a record::

    accept ─► PENDING ─claim_due─► DELIVERING ─mark_delivered─► DELIVERED
                 ▲                   │  │  └──mark_rejected──► REJECTED
                 └────mark_retry─────┘  └─ lease expires (process died) ─► claimable again
                                            └─ ... for the Nth time ─claim_due─► FAILED (parked)

A long delivery keeps its claim with :meth:`Outbox.renew_lease`. A record whose lease expired
(its worker died mid-delivery) counts one *lost lease* when it is claimed again; a record that
lost ``max_lost_leases`` of them (a poison record that kills its worker every time) is parked
``FAILED`` by :meth:`Outbox.claim_due` instead of being claimed for ever.

Identity and privacy:

- ``(viewer_key, kind, idempotency_key)`` is unique. The client chooses the idempotency key;
  the same key with the same ``request_fingerprint`` is a replay and answers the stored record,
  with another fingerprint it is a :class:`OutboxConflict`.
- ``viewer_key`` is the gateway's pseudonym of the viewer (``ServerSecret.viewer_key(pid)`` in
  :mod:`kernel.server_secret`, the same key the Citizen's id and file links use), never the
  clear number: it is what lists a viewer's items and what indexes hold. The store treats it as
  an opaque string.
- ``payload`` is free JSON owned by the delivery handler of the record's kind: what the
  receipt shows (type, title, file names...), kept as long as the record. What only delivery
  needs is kept apart and *dropped* once the record is final (``DELIVERED`` or ``REJECTED``):
  ``private`` (JSON: an application's fødselsnummer, which 360 needs for the Sakspart) and the
  record's *files* (attachment bytes, stored once each, keyed by SHA-256, read with
  :meth:`Outbox.read_files` only by delivery; a record row never carries them, so a retry
  rewrites a few hundred bytes, not the attachments). ``payload_dropped_at`` says when. A parked
  ``FAILED`` record keeps them for the operator. The store keeps its file readable by the owner
  only and never logs or indexes a payload. ``last_error`` must never carry personal data (the
  worker stores connector messages, which are scrubbed by the connectors).

Retention (:meth:`Outbox.purge`, run by every delivery worker and by ``minside purge``):
private data of final records older than ``payload_s`` is dropped (0: already at the final
mark), ``DELIVERED`` receipts are deleted ``delivered_s`` after delivery and ``REJECTED`` records
``rejected_s`` after rejection.

Implementations: :class:`stores.outbox_sqlite.SqliteOutbox` (embedded default, one file) and
:class:`stores.outbox_postgres.PostgresOutbox` (many workers on one PostgreSQL): ``accept`` is
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` then a read, ``claim_due`` an ``UPDATE`` of the
rows a ``SELECT ... FOR UPDATE SKIP LOCKED LIMIT n`` picked, and the lease token check a
``WHERE`` clause. The same contract tests run against both (``tests/stores``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

__all__ = [
    "DEFAULT_MAX_LOST_LEASES",
    "MAX_ERROR_LENGTH",
    "AcceptResult",
    "LeaseLost",
    "Outbox",
    "OutboxConflict",
    "OutboxError",
    "OutboxKind",
    "OutboxRecord",
    "OutboxRetention",
    "OutboxStats",
    "OutboxStatus",
    "OutboxUnavailable",
    "OutboxWrite",
    "PurgeResult",
    "RecordNotFound",
    "check_claim",
    "check_idempotency_key",
    "file_key",
    "fingerprint",
    "parked_reason",
]

#: ``last_error`` and rejection reasons are cut to this length: a short code and message.
MAX_ERROR_LENGTH: Final = 300
#: Longest client idempotency key accepted (the back-office stores keys of up to 200).
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 200
#: Lost leases after which :meth:`Outbox.claim_due` parks a record (``delivery_max_lost_leases``).
DEFAULT_MAX_LOST_LEASES: Final = 3


class OutboxKind(StrEnum):
    """What a record delivers; each kind has one delivery handler."""

    METER_READING = "meter_reading"
    APPLICATION = "application"


class OutboxStatus(StrEnum):
    """Where a record is in its life (see the module docstring)."""

    PENDING = "PENDING"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    #: Parked: its delivery never finished ``max_lost_leases`` times (the worker died each
    #: time); an operator looks at it, no worker claims it again.
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        """True for ``DELIVERED``, ``REJECTED`` and ``FAILED``: nothing changes a final record
        any more."""
        return self in (OutboxStatus.DELIVERED, OutboxStatus.REJECTED, OutboxStatus.FAILED)


def parked_reason(lost_leases: int) -> str:
    """The ``last_error`` of a record parked ``FAILED`` after ``lost_leases`` lost leases."""
    return f"parked: delivery never finished {lost_leases} times"


@dataclass(frozen=True)
class OutboxRecord:
    """One accepted write and its delivery state. Times are timezone-aware (UTC).

    ``progress`` collects :meth:`Outbox.mark_progress` results of a multi-step delivery (an
    application remembers its case number after ``CreateCase``); ``result`` is what the last step
    answered (receipt id, case number...). ``lease_token`` identifies the current claim: the
    ``mark_*`` calls of a worker whose lease was taken over by another are refused with
    :class:`LeaseLost`. ``lost_leases`` counts the claims that ended with their lease expiring
    (the worker died mid-delivery). ``payload`` is excluded from ``repr`` because it may hold
    personal data.
    """

    id: uuid.UUID
    kind: OutboxKind
    idempotency_key: str
    request_fingerprint: str
    viewer_key: str
    payload: Mapping[str, Any] = field(repr=False)
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    lease_token: str | None
    last_error: str | None
    result: Mapping[str, Any] | None
    progress: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    lost_leases: int = 0
    #: Personal data only delivery needs (None once dropped, or when there never was any).
    private: Mapping[str, Any] | None = field(default=None, repr=False)
    #: When ``private`` and the files were dropped (None: still kept).
    payload_dropped_at: datetime | None = None
    #: The record's files by SHA-256 (:func:`file_key`): filled only for delivery (the worker
    #: loads them with :meth:`Outbox.read_files`); empty on every record a store answers.
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def delivery_key(self) -> str:
        """The idempotency key sent to the back-office for this record.

        The client's key is unique only per viewer and kind, while the back-office's key spaces
        are global (360's ``ExternalId``) or per meter, so two citizens choosing the same key must
        not collide there: the record's id is globally unique and as stable as the client key
        (a replay finds the same record).
        """
        return f"minside-{self.id}"


@dataclass(frozen=True)
class AcceptResult:
    """What :meth:`Outbox.accept` answers: the stored record, and whether this call created it
    (``False``: a replay of an earlier accept with the same key and fingerprint)."""

    record: OutboxRecord
    created: bool


@dataclass(frozen=True)
class OutboxStats:
    """How much is waiting in the outbox (for ``/metrics`` and alerts; no personal data).

    ``oldest_waiting_at`` is when the oldest record not yet final was accepted: its age is how
    long a citizen's write has waited for the back-office, the figure to alert on.
    """

    pending: int
    delivering: int
    oldest_waiting_at: datetime | None
    #: Records parked ``FAILED`` (poison records): each needs an operator.
    failed: int = 0


@dataclass(frozen=True)
class OutboxWrite:
    """What a submission gives :meth:`Outbox.accept`: the receipt's ``payload``, the
    ``private`` data and the ``files`` only delivery needs (see the module docstring)."""

    payload: Mapping[str, Any]
    private: Mapping[str, Any] | None = field(default=None, repr=False)
    files: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class OutboxRetention:
    """How long final records and their private data are kept (see the module docstring)."""

    payload_s: float = 0.0
    delivered_s: float = 548 * 86400.0
    rejected_s: float = 90 * 86400.0

    def __post_init__(self) -> None:
        if self.payload_s < 0 or self.delivered_s <= 0 or self.rejected_s <= 0:
            raise ValueError("retention periods must be positive (payload_s may be 0)")


@dataclass(frozen=True)
class PurgeResult:
    """What one :meth:`Outbox.purge` did: records whose private data and files were dropped,
    and records deleted."""

    payloads_dropped: int = 0
    deleted: int = 0


def file_key(data: bytes) -> str:
    """The key of a stored file: its hex SHA-256 (a payload refers to its files by it)."""
    return hashlib.sha256(data).hexdigest()


class OutboxError(Exception):
    """Base of the outbox's own errors (messages never carry personal data)."""


class OutboxConflict(OutboxError):
    """The idempotency key was already used by this viewer for this kind with another input.

    ``existing_id`` is the record the key belongs to (the mutation answers a typed conflict).
    """

    def __init__(self, existing_id: uuid.UUID) -> None:
        super().__init__("idempotency key already used with a different request")
        self.existing_id = existing_id


class OutboxUnavailable(OutboxError):
    """The store did not answer (database down, unreachable, or locked past the busy timeout).

    Raised by any method; for :meth:`Outbox.accept` it means nothing was accepted.
    """


class RecordNotFound(OutboxError):
    """No record has this id."""


class LeaseLost(OutboxError):
    """A ``mark_*`` call came from a claim that is no longer current (its lease expired and the
    record was claimed again, or it already reached a final state)."""


def fingerprint(canonical_input: Any) -> str:
    """Hex SHA-256 of the canonical JSON of a request's input (sorted keys, no spaces).

    Give it the *input* as the client sent it after normalization (decimals and dates as
    strings, files as their SHA-256), not derived data such as a generated PDF with a
    timestamp, or a replay would look like a conflict.
    """
    text = json.dumps(
        canonical_input, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


class Outbox(Protocol):
    """A durable store of accepted writes with lease-based delivery (see the module docstring).

    Every method is a coroutine and every write is committed durably before it returns. A
    store that cannot be reached raises :class:`OutboxUnavailable` (never a driver's error).
    Implementations must be safe to share between the tasks of one process, and between
    processes on the same database: ``claim_due`` never hands one record to two live claims.
    """

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
        """Store a new write as ``PENDING`` and due now, or answer the record of a replay.

        ``private`` and ``files`` are kept until the record is final (module docstring); each
        distinct file is stored once, under :func:`file_key`. Raises :class:`OutboxConflict`
        when the key was used with another fingerprint, and ``ValueError`` for an empty or
        over-long key.
        """
        ...

    async def read_files(self, record_id: uuid.UUID) -> dict[str, bytes]:
        """The record's files by :func:`file_key` (empty once dropped, or if it has none)."""
        ...

    async def purge(self, now: datetime, retention: OutboxRetention) -> PurgeResult:
        """Apply ``retention`` as of ``now``: drop old final records' private data and files,
        delete old ``DELIVERED`` and ``REJECTED`` records (never one that is not final, nor a
        parked ``FAILED`` one)."""
        ...

    async def get(self, record_id: uuid.UUID) -> OutboxRecord | None:
        """The record with this id, or None."""
        ...

    async def find(
        self, viewer_key: str, kind: OutboxKind, idempotency_key: str
    ) -> OutboxRecord | None:
        """The viewer's record of ``kind`` accepted with ``idempotency_key``, or None (lets a
        mutation answer a replay or a conflict before it validates anything again)."""
        ...

    async def list_for_viewer(
        self,
        viewer_key: str,
        kinds: Collection[OutboxKind] | None = None,
        statuses: Collection[OutboxStatus] | None = None,
    ) -> list[OutboxRecord]:
        """A viewer's records, newest first, optionally only some kinds and statuses."""
        ...

    async def claim_due(
        self,
        now: datetime,
        lease_s: float,
        limit: int,
        *,
        max_lost_leases: int = DEFAULT_MAX_LOST_LEASES,
    ) -> list[OutboxRecord]:
        """Lease up to ``limit`` due records for delivery, oldest due first.

        Due: ``PENDING`` with ``next_attempt_at <= now``, or ``DELIVERING`` with an expired
        lease (its worker died). Each claimed record becomes ``DELIVERING`` with
        ``lease_until = now + lease_s``, a fresh ``lease_token`` and ``attempts + 1``, atomically.

        Taking a ``DELIVERING`` record adds one to its ``lost_leases``; when that reaches
        ``max_lost_leases`` the record is parked instead (``FAILED``, ``last_error`` from
        :func:`parked_reason`, no lease) and not returned.
        """
        ...

    async def renew_lease(
        self, record_id: uuid.UUID, lease_token: str, until: datetime
    ) -> OutboxRecord:
        """Extend the current claim's lease to ``until`` (a long delivery keeps its record).

        Raises :class:`LeaseLost` when ``lease_token`` is no longer the record's claim.
        """
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest non-final record becomes claimable (None: nothing to deliver)."""
        ...

    async def mark_progress(
        self, record_id: uuid.UUID, step_result: Mapping[str, Any], lease_token: str
    ) -> OutboxRecord:
        """Merge one step's result into ``progress`` (durably) while the claim is current.

        The merge is a JSON merge patch (RFC 7396): top-level keys are added or replaced, and a
        ``None`` value removes its key.
        """
        ...

    async def mark_delivered(
        self,
        record_id: uuid.UUID,
        result: Mapping[str, Any],
        lease_token: str,
        *,
        drop_private: bool = True,
    ) -> OutboxRecord:
        """End a claimed record as ``DELIVERED`` with the back-office's ``result``; with
        ``drop_private`` its private data and files go in the same transaction."""
        ...

    async def mark_retry(
        self, record_id: uuid.UUID, error: str, next_attempt_at: datetime, lease_token: str
    ) -> OutboxRecord:
        """Give a claimed record back as ``PENDING``, due at ``next_attempt_at``."""
        ...

    async def mark_rejected(
        self, record_id: uuid.UUID, reason: str, lease_token: str, *, drop_private: bool = True
    ) -> OutboxRecord:
        """End a claimed record as ``REJECTED`` with a short reason (no personal data); with
        ``drop_private`` its private data and files go in the same transaction."""
        ...

    async def stats(self) -> OutboxStats:
        """Counts of the records not yet final (and of parked ones) and when the oldest record
        not yet final was accepted."""
        ...

    async def close(self) -> None:
        """Release the connection(s); the store is unusable afterwards."""
        ...


def short_error(text: str) -> str:
    """An error text cut to :data:`MAX_ERROR_LENGTH` on one line."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"


def check_claim(lease_s: float, max_lost_leases: int) -> None:
    """Raise ``ValueError`` for the arguments no :meth:`Outbox.claim_due` accepts."""
    if lease_s <= 0:
        raise ValueError("lease_s must be positive")
    if max_lost_leases < 1:
        raise ValueError("max_lost_leases must be at least 1")


def check_idempotency_key(key: str) -> None:
    """Raise ``ValueError`` for a key that is empty, too long or not printable."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise ValueError(
            f"the idempotency key must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"
        )
