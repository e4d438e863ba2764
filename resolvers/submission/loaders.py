"""Per-request loaders of the viewer's own submissions (the gateway's outbox).

The outbox is the gateway's own store, no back-office system: its failures are faults
(``SUBMISSIONS_UNAVAILABLE``), not a source's outage. Still, each list is read once per request
and filter, however many fields (aliases, every meter's ``pendingReadings``) ask for it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from resolvers.context import Context
from resolvers.loaders import RequestLoader
from resolvers.submission.outbox import viewer_records
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus

__all__ = ["PendingReadingsByMeterNumberLoader", "SubmissionsByFilterLoader", "viewer_submissions"]

#: Which submissions: the kinds and the statuses (None: any), as ``viewer_records`` takes them.
SubmissionFilter = tuple[frozenset[OutboxKind] | None, frozenset[OutboxStatus] | None]


class SubmissionsByFilterLoader(RequestLoader[SubmissionFilter, list[OutboxRecord]]):
    """The viewer's submissions, newest first, per filter: one outbox read per filter."""

    async def fetch(self, filters: Sequence[SubmissionFilter]) -> list[list[OutboxRecord]]:
        viewer = self.context.viewer
        if viewer is None:
            return [[] for _ in filters]
        return [
            await viewer_records(self.context, viewer, kinds, statuses)
            for kinds, statuses in filters
        ]


async def viewer_submissions(
    context: Context,
    kinds: Collection[OutboxKind] | None = None,
    statuses: Collection[OutboxStatus] | None = None,
) -> list[OutboxRecord]:
    """The viewer's submissions of `kinds` in `statuses` (None: any), newest first
    (:func:`resolvers.submission.outbox.viewer_records`), read once per request and filter."""
    key: SubmissionFilter = (
        None if kinds is None else frozenset(kinds),
        None if statuses is None else frozenset(statuses),
    )
    return await context.loader(SubmissionsByFilterLoader).value(key)


class PendingReadingsByMeterNumberLoader(RequestLoader[str, list[OutboxRecord]]):
    """The viewer's pending meter readings, per meter number: one outbox read per request."""

    async def fetch(self, meter_numbers: Sequence[str]) -> list[list[OutboxRecord]]:
        if self.context.viewer is None:
            return [[] for _ in meter_numbers]
        key: SubmissionFilter = (
            frozenset({OutboxKind.METER_READING}),
            frozenset({OutboxStatus.PENDING}),
        )
        records = await self.context.loader(SubmissionsByFilterLoader).load(key)
        return [
            [r for r in records if r.payload.get("meter_number") == number]
            for number in meter_numbers
        ]
