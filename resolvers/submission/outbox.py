"""The mutations' side of the outbox: replay lookup, accept, wake the worker, wait briefly.

A submission is accepted only by :meth:`stores.outbox.Outbox.accept` (durable on return); the
delivery worker of this process is then woken (:attr:`SharedServices.notify_delivery`) and the
mutation waits up to ``submission_wait_s`` for the record to become final, so a healthy
back-office gives a ``DELIVERED`` receipt and a slow or failing one a ``PENDING`` one.
The viewer's records are keyed by the gateway's pseudonym of the pid
(:meth:`Context.viewer_key`), the same key the Citizen's id and the file links use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Iterator
from typing import Final

from graphql import GraphQLError

from auth.viewer import Viewer
from kernel.errors import ErrorCode
from resolvers.context import Context
from stores.outbox import (
    OutboxConflict,
    OutboxKind,
    OutboxRecord,
    OutboxStatus,
    OutboxUnavailable,
    OutboxWrite,
)

__all__ = [
    "KeyConflict",
    "SubmissionsUnavailable",
    "accept",
    "replay",
    "viewer_records",
    "wait_for_outcome",
]

# How often a waiting mutation looks at its record (a local SQLite read).
_POLL_S: Final = 0.05


log = logging.getLogger(__name__)


class KeyConflict(Exception):
    """The idempotency key was used by this viewer for another input of the same kind."""


class SubmissionsUnavailable(GraphQLError):
    """The outbox does not answer: the submission was not accepted (almost surely not saved;
    if the database committed just before the connection broke, sending it again with the same
    idempotency key answers that receipt), or the list is missing; try again shortly."""

    def __init__(self) -> None:
        super().__init__(
            "Submissions cannot be received or shown right now. Please try again in a few "
            "minutes; sending the same submission again is safe.",
            extensions={"code": ErrorCode.SUBMISSIONS_UNAVAILABLE.value},
        )


@contextlib.contextmanager
def _store_answering() -> Iterator[None]:
    try:
        yield
    except OutboxUnavailable as exc:
        log.warning("outbox unavailable: %s", exc)
        raise SubmissionsUnavailable() from None


async def wait_for_outcome(context: Context, record: OutboxRecord) -> OutboxRecord:
    """The record once final, or as it is after ``submission_wait_s`` (then still pending)."""
    outbox = context.services.outbox
    current = record
    try:
        async with asyncio.timeout(context.services.settings.submission_wait_s):
            while not current.status.is_final:
                await asyncio.sleep(_POLL_S)
                current = await outbox.get(record.id) or current
    except TimeoutError:
        pass  # still pending: the receipt says so, the worker keeps delivering
    except OutboxUnavailable:
        pass  # accepted already; the receipt says what was last known
    return current


async def replay(
    context: Context, viewer: Viewer, kind: OutboxKind, key: str, fingerprint: str
) -> OutboxRecord | None:
    """The record an earlier submission with this key made (waited on like a new one), or
    None; raises :class:`KeyConflict` when that submission had another input."""
    with _store_answering():
        found = await context.services.outbox.find(context.viewer_key(viewer), kind, key)
    if found is None:
        return None
    if found.request_fingerprint != fingerprint:
        raise KeyConflict()
    return await wait_for_outcome(context, found)


async def accept(
    context: Context,
    viewer: Viewer,
    kind: OutboxKind,
    key: str,
    fingerprint: str,
    write: OutboxWrite,
) -> OutboxRecord:
    """Accept durably, wake the worker, and wait briefly for the outcome.

    Raises :class:`KeyConflict` when a concurrent submission took the key with another input.
    """
    try:
        with _store_answering():
            result = await context.services.outbox.accept(
                kind,
                key,
                fingerprint,
                context.viewer_key(viewer),
                write.payload,
                private=write.private,
                files=write.files,
            )
    except OutboxConflict:
        raise KeyConflict() from None
    context.services.notify_delivery()
    return await wait_for_outcome(context, result.record)


async def viewer_records(
    context: Context,
    viewer: Viewer,
    kinds: Collection[OutboxKind] | None = None,
    statuses: Collection[OutboxStatus] | None = None,
) -> list[OutboxRecord]:
    """The viewer's submissions, newest first (``DELIVERING`` counts as ``PENDING``, and
    ``FAILED``, parked, as ``REJECTED``: the citizen sees it as not delivered)."""
    wanted: set[OutboxStatus] | None = None
    if statuses is not None:
        wanted = set(statuses)
        if OutboxStatus.PENDING in wanted:
            wanted.add(OutboxStatus.DELIVERING)
        if OutboxStatus.REJECTED in wanted:
            wanted.add(OutboxStatus.FAILED)
    with _store_answering():
        return await context.services.outbox.list_for_viewer(
            context.viewer_key(viewer), kinds, wanted
        )
