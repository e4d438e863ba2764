"""Per-request loaders of the viewer's own not-yet-delivered submissions."""

from __future__ import annotations

from collections.abc import Sequence

from resolvers.loaders import RequestLoader
from resolvers.submission.outbox import viewer_records
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus


class PendingReadingsByMeterNumberLoader(RequestLoader[str, list[OutboxRecord]]):
    """The viewer's pending meter readings, per meter number: one outbox read per request.

    The outbox is the gateway's own store, no back-office system: its failures are faults.
    """

    async def fetch(self, meter_numbers: Sequence[str]) -> list[list[OutboxRecord]]:
        viewer = self.context.viewer
        if viewer is None:
            return [[] for _ in meter_numbers]
        records = await viewer_records(
            self.context, viewer, [OutboxKind.METER_READING], [OutboxStatus.PENDING]
        )
        return [
            [r for r in records if r.payload.get("meter_number") == number]
            for number in meter_numbers
        ]
