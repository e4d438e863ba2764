"""Per-request loaders of the viewer's own not-yet-delivered submissions."""

from __future__ import annotations

from aiodataloader import DataLoader

from resolvers.context import Context
from resolvers.submission.outbox import viewer_records
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus


class PendingReadingsByMeterNumberLoader(DataLoader[str, list[OutboxRecord]]):
    """The viewer's pending meter readings, per meter number: one outbox read per request."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, meter_numbers: list[str]) -> list[list[OutboxRecord]]:
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
