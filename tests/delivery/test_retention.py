"""The delivery worker as ``build_worker`` makes it from the settings: a finite maximum age by
default, the private data dropped at the final mark, and the retention purge run periodically.

The handler here is a stand-in that answers at once: what is tested is the worker and the
outbox around it, not a back-office (tests/delivery/test_worker.py does that over loopback).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.errors import SystemUnavailable
from delivery.runner import build_worker
from kernel.settings import Settings
from stores.outbox import OutboxKind, OutboxStatus
from stores.outbox_sqlite import SqliteOutbox
from tests.clocks import FakeDateTimeClock

VIEWER = "viewer-key"


class Answers:
    """Delivers every record at once, as a healthy back-office would."""

    async def deliver(self, record: Any, record_step: Any) -> Mapping[str, Any]:
        return {"receipt_id": "r-1"}


@pytest.fixture
def past() -> FakeDateTimeClock:
    # Records are stamped by the store's clock; the worker runs on the real one.
    return FakeDateTimeClock(datetime.now(UTC) - timedelta(days=8))


@pytest.fixture
async def outbox(tmp_path, past):
    store = await SqliteOutbox.open(tmp_path / "outbox.sqlite3", clock=past)
    yield store
    await store.close()


async def accept(outbox, key: str):
    return (
        await outbox.accept(
            OutboxKind.APPLICATION,
            key,
            key,
            VIEWER,
            {"title": "x"},
            private={"applicant_pid": "13818097953"},
            files=[b"attachment " + key.encode()],
        )
    ).record


async def test_by_default_a_record_still_failing_after_seven_days_is_rejected(outbox):
    record = await accept(outbox, "old")  # accepted eight days ago
    worker = build_worker(Settings(), outbox, connectors=None, handlers={})  # type: ignore[arg-type]
    (done,) = await worker.run_once()
    assert done.id == record.id
    assert done.status is OutboxStatus.REJECTED
    assert done.last_error == "gave_up: no_handler: application"
    assert done.private is None and await outbox.read_files(record.id) == {}


async def test_with_payload_retention_the_private_data_stays_until_the_purge(outbox, past):
    record = await accept(outbox, "kept")
    settings = Settings(outbox_payload_retention_s=3600)
    worker = build_worker(
        settings, outbox, connectors=None, handlers={OutboxKind.APPLICATION: Answers()}
    )  # type: ignore[arg-type]
    (done,) = await worker.run_once()
    assert done.status is OutboxStatus.DELIVERED
    assert done.private is not None and len(await outbox.read_files(record.id)) == 1
    past.advance(2 * 3600)  # delivered (by the store's clock) two hours ago
    await worker.purge_now()
    kept = await outbox.get(record.id)
    assert kept is not None and kept.private is None
    assert await outbox.read_files(record.id) == {}


async def test_the_running_worker_purges_old_receipts(outbox, past):
    record = await accept(outbox, "delivered")
    settings = Settings(outbox_receipt_retention_s=86400, purge_interval_s=10)
    worker = build_worker(
        settings, outbox, connectors=None, handlers={OutboxKind.APPLICATION: Answers()}
    )  # type: ignore[arg-type]
    (done,) = await worker.run_once()  # delivered eight days ago by the store's clock
    assert done.status is OutboxStatus.DELIVERED
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(10):
            while True:  # the store is polled: another process could be the purger
                if await outbox.get(record.id) is None:
                    break
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class DownWithACase:
    """Made the case, then the document step keeps failing transiently (360 down)."""

    def __init__(self) -> None:
        self.explained: list[tuple[Any, str]] = []

    async def deliver(self, record: Any, record_step: Any) -> Mapping[str, Any]:
        await record_step({"case_number": "2026/00042"})
        raise SystemUnavailable("down", system="p360", operation="CreateDocument")

    async def rejected(self, record: Any, reason: str, record_step: Any) -> None:
        self.explained.append((record.progress.get("case_number"), reason))


async def test_giving_up_after_the_maximum_age_explains_the_case_too(outbox):
    record = await accept(outbox, "gives-up")  # accepted eight days ago
    handler = DownWithACase()
    worker = build_worker(
        Settings(), outbox, connectors=None, handlers={OutboxKind.APPLICATION: handler}
    )  # type: ignore[arg-type]
    (done,) = await worker.run_once()
    assert done.id == record.id and done.status is OutboxStatus.REJECTED
    assert handler.explained == [
        ("2026/00042", "gave_up: SystemUnavailable: p360.CreateDocument: down")
    ]
