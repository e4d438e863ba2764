"""A failed attempt lets go of what it held (the record's files, the encoded request) as soon
as it is classified, not when the cyclic garbage collector next runs: the incident's gateway
grew by a copy of the application at every retry. bench/outbox_footprint.py measures it."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Mapping
from typing import Any

from connectors.errors import SystemUnavailable
from delivery.worker import DeliveryWorker
from stores.outbox import OutboxKind, OutboxStatus
from stores.outbox_sqlite import SqliteOutbox
from tests.clocks import FakeDateTimeClock


class Encoded:
    """Stands in for an attempt's large request (bytes cannot be weakly referenced)."""


class FailsLikeAConnector:
    """Raises as the connectors do: a transport error re-raised as a connector error from
    inside the ``except`` that caught it, a frame/exception reference cycle."""

    def __init__(self) -> None:
        self.encoded: list[weakref.ref[Encoded]] = []

    async def deliver(self, record: Any, record_step: Any) -> Mapping[str, Any]:
        envelope = Encoded()
        self.encoded.append(weakref.ref(envelope))
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError as exc:
            raise SystemUnavailable("down", system="p360", operation="CreateDocument") from exc


async def test_a_failed_attempt_frees_its_request_without_waiting_for_the_collector(tmp_path):
    clock = FakeDateTimeClock()
    outbox = await SqliteOutbox.open(tmp_path / "outbox.sqlite3", clock=clock)
    handler = FailsLikeAConnector()
    worker = DeliveryWorker(outbox, {OutboxKind.APPLICATION: handler}, clock=clock)
    try:
        await outbox.accept(OutboxKind.APPLICATION, "k", "f", "v", {}, files=[b"x" * 1024])
        gc.disable()
        try:
            (record,) = await worker.run_once()
            assert record.status is OutboxStatus.PENDING
            assert [ref() for ref in handler.encoded] == [None]
        finally:
            gc.enable()
    finally:
        await outbox.close()
