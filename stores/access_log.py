"""The citizen's access log: who read which of a citizen's personal data, and when.

Every read of personal data the gateway serves (a page of properties, cases, documents or
invoices, a ``node(id:)`` lookup, a file or invoice PDF download) becomes one
:class:`AccessEntry` per request and object kind: when, which client (Min side, or a partner
portal by its ``client_id``), what kind of data, which objects (their GraphQL global ids) and
whether it was a download. The citizen reads their own entries with ``viewer.accessLog``.

Identity and privacy:

- Entries are keyed by ``viewer_key``, the gateway's pseudonym of the citizen
  (``ServerSecret.viewer_key(pid)`` in :mod:`kernel.server_secret`, the same key the outbox
  uses), never the fødselsnummer. Object ids are the opaque global ids the API handed out.
- The log lives beside the outbox (the same SQLite file, or the same PostgreSQL database) and
  is kept for a configurable time (``MINSIDE_ACCESS_LOG_RETENTION_DAYS``); :meth:`AccessLog.purge`
  deletes what is older.

Writes come in batches from :class:`resolvers.access_recorder.AccessRecorder`, off the request
path. Reading is keyset pagination, newest first: a cursor is the position (``at``, ``id``) of
the last entry seen, so entries written while a citizen pages never shift a page.

Implementations: :class:`stores.access_log_sqlite.SqliteAccessLog` and
:class:`stores.access_log_postgres.PostgresAccessLog`; the same contract tests run against both
(``tests/stores/test_access_log_contract.py``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

__all__ = [
    "MAX_OBJECT_IDS",
    "AccessCriteria",
    "AccessCursor",
    "AccessEntry",
    "AccessKind",
    "AccessLog",
    "AccessLogPage",
    "AccessLogUnavailable",
    "PageQuery",
    "page_query",
]

#: Object ids kept per entry; a read of more objects of one kind in one request keeps the first
#: ones (a page is at most 100 items, so only a query with many aliases reaches it).
MAX_OBJECT_IDS: Final = 500


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime) -> int:
    """Exact microseconds since the epoch of an aware time (no float rounding)."""
    if at.tzinfo is None:
        raise ValueError("access log times must be timezone-aware")
    return (at - _EPOCH) // timedelta(microseconds=1)


def moment(micros_since_epoch: int) -> datetime:
    """The UTC time of :func:`micros`."""
    return _EPOCH + timedelta(microseconds=micros_since_epoch)


class AccessKind(StrEnum):
    """What kind of personal data was read."""

    PROPERTY = "PROPERTY"
    CASE = "CASE"
    DOCUMENT = "DOCUMENT"
    INVOICE = "INVOICE"


@dataclass(frozen=True)
class AccessCursor:
    """A position in a viewer's log (newest first): the entry's time, then its id."""

    at: datetime
    id: int

    def encode(self) -> str:
        """The opaque cursor a client gets."""
        text = f"access:{micros(self.at)}:{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> AccessCursor | None:
        """The position of a cursor from :meth:`encode`, or None for anything else."""
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        prefix, _, rest = text.partition(":")
        at, _, entry_id = rest.partition(":")
        # Digits only, and few enough for a 64-bit integer column.
        if prefix != "access" or not _number(at) or not _number(entry_id):
            return None
        return cls(moment(int(at)), int(entry_id))


def _number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


@dataclass(frozen=True)
class AccessEntry:
    """One request's reads of one kind of a citizen's data.

    ``client_id`` is the OAuth client that asked (Min side's own for its browser session);
    ``client_name`` the name known for it when the entry was written (shown when the client is
    no longer known). ``id`` is the store's (0 before it is written).
    """

    viewer_key: str
    at: datetime
    client_id: str
    client_name: str
    kind: AccessKind
    object_ids: tuple[str, ...]
    download: bool = False
    id: int = 0

    @property
    def cursor(self) -> AccessCursor:
        """This entry's position in its viewer's log."""
        return AccessCursor(self.at, self.id)


@dataclass(frozen=True)
class AccessCriteria:
    """Which entries of a viewer's log to list; ``None`` means "any".

    ``since`` is inclusive, ``until`` exclusive (a day's entries: since its midnight, until the
    next one).
    """

    kinds: frozenset[AccessKind] | None = None
    since: datetime | None = None
    until: datetime | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class AccessLogPage:
    """One page of a viewer's log, newest first, and how many entries the criteria match."""

    entries: list[AccessEntry]
    has_next_page: bool
    total_count: int


class AccessLogUnavailable(Exception):
    """The store did not answer (messages never carry personal data)."""


class AccessLog(Protocol):
    """A store of access entries (see the module docstring). Times are timezone-aware."""

    async def write(self, entries: Sequence[AccessEntry]) -> None:
        """Store a batch of entries in one transaction (their ``id`` is ignored)."""
        ...

    async def page(
        self,
        viewer_key: str,
        criteria: AccessCriteria,
        first: int,
        after: AccessCursor | None = None,
    ) -> AccessLogPage:
        """Up to ``first`` of the viewer's entries matching ``criteria``, newest first, after
        the position ``after`` (None: from the newest)."""
        ...

    async def purge(self, older_than: datetime) -> int:
        """Delete every entry (of every viewer) from before ``older_than``; return how many."""
        ...

    async def close(self) -> None:
        """Release the connection(s); the store is unusable afterwards."""
        ...


def check_entries(entries: Sequence[AccessEntry]) -> None:
    """Raise ``ValueError`` for an entry no store accepts (naive time, no objects)."""
    for entry in entries:
        if entry.at.tzinfo is None:
            raise ValueError("access log times must be timezone-aware")
        if not entry.object_ids:
            raise ValueError("an access entry names at least one object")


@dataclass(frozen=True)
class PageQuery:
    """The SQL conditions of one :meth:`AccessLog.page` call, for either store.

    ``matching``/``params``: the viewer's entries that match the criteria (for the count);
    ``page``/``page_params``: those after the cursor too (for the page itself).
    """

    matching: str
    params: list[Any]
    page: str
    page_params: list[Any]


def page_query(
    viewer_key: str,
    criteria: AccessCriteria,
    after: AccessCursor | None,
    *,
    mark: str,
    at_column: str,
    at_value: Callable[[datetime], Any],
) -> PageQuery:
    """The conditions both stores page by, with their placeholder ``mark`` (``?`` or ``%s``)
    and their time column and its value (so a filter added here applies to both). Values are
    always bound parameters; only placeholders go into the text."""
    where = [f"viewer_key = {mark}"]
    params: list[Any] = [viewer_key]
    if criteria.kinds is not None:
        kinds = sorted(AccessKind(kind).value for kind in criteria.kinds)
        where.append(f"kind IN ({', '.join(mark for _ in kinds)})" if kinds else "1 = 0")
        params.extend(kinds)
    if criteria.since is not None:
        where.append(f"{at_column} >= {mark}")
        params.append(at_value(criteria.since))
    if criteria.until is not None:
        where.append(f"{at_column} < {mark}")
        params.append(at_value(criteria.until))
    if criteria.client_id is not None:
        where.append(f"client_id = {mark}")
        params.append(criteria.client_id)
    matching = " AND ".join(where)
    if after is None:
        return PageQuery(matching, params, matching, list(params))
    return PageQuery(
        matching,
        params,
        f"{matching} AND ({at_column}, id) < ({mark}, {mark})",
        [*params, at_value(after.at), after.id],
    )
