"""The skeleton every citizen submission shares: replay an earlier receipt, or check and accept.

A submission (``submitMeterReading``, ``submitApplication``) first checks its input's form on
its own, collecting :class:`Problems`. Then :func:`replay_or_accept` runs the steps they have
in common:

1. a replay: the same idempotency key with the same input (the fingerprint) answers the
   stored receipt without checking again; with another input it is a ``CONFLICT``;
2. the submission's own checks against the back-office (``prepare``), which add problems or
   return the payload to deliver;
3. accept (durable), wake the delivery worker, wait briefly for the outcome; a concurrent
   submission that took the key with another input is a ``CONFLICT`` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from auth.viewer import Viewer
from kernel.errors import SubmissionErrorCode
from resolvers.context import Context
from resolvers.submission import outbox
from resolvers.submission.problems import Problem, Problems
from stores.outbox import (
    OutboxKind,
    OutboxRecord,
    OutboxWrite,
    check_idempotency_key,
    fingerprint,
)

__all__ = ["Outcome", "check_key", "has_lone_surrogate", "replay_or_accept"]


@dataclass(frozen=True)
class Outcome:
    """The accepted (or replayed) record, or the problems that stopped the submission."""

    record: OutboxRecord | None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def refused(cls, problems: Problems) -> Outcome:
        """The submission stopped with these problems; nothing was written."""
        return cls(None, tuple(problems.items))


def check_key(key: str, problems: Problems) -> None:
    """Add a problem when the client's idempotency key is malformed."""
    try:
        check_idempotency_key(key)
    except ValueError:
        problems.add(
            "idempotencyKey", SubmissionErrorCode.INVALID_FORMAT, "1–200 printable characters"
        )


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds a UTF-16 surrogate (JSON's ``"\\ud800"`` decodes to one): no
    character, and not encodable as UTF-8, so the submission's fingerprint, its payload and
    the back office could not take it. Such input is INVALID_FORMAT, refused before any of
    them sees it."""
    return any("\ud800" <= char <= "\udfff" for char in text)


async def replay_or_accept(
    context: Context,
    viewer: Viewer,
    kind: OutboxKind,
    key: str,
    normalized_input: Mapping[str, Any],
    problems: Problems,
    prepare: Callable[[], Awaitable[OutboxWrite | Mapping[str, Any] | None]],
) -> Outcome:
    """Steps 1–3 of the module docstring for an input whose form is already checked.

    ``normalized_input`` is what makes two submissions "the same" (its fingerprint);
    ``prepare`` returns what to accept (a payload alone, or with private data and files), or
    None after adding the problems found.
    """
    request_fingerprint = fingerprint(normalized_input)
    try:
        replayed = await outbox.replay(context, viewer, kind, key, request_fingerprint)
    except outbox.KeyConflict:
        problems.add("idempotencyKey", SubmissionErrorCode.CONFLICT)
        return Outcome.refused(problems)
    if replayed is not None:
        return Outcome(replayed)

    prepared = await prepare()
    if prepared is None or problems:
        return Outcome.refused(problems)
    write = prepared if isinstance(prepared, OutboxWrite) else OutboxWrite(prepared)

    try:
        record = await outbox.accept(context, viewer, kind, key, request_fingerprint, write)
    except outbox.KeyConflict:
        problems.add("idempotencyKey", SubmissionErrorCode.CONFLICT)
        return Outcome.refused(problems)
    return Outcome(record)
