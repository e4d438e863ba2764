"""A running delivery keeps its record: the worker renews the lease while the handler works,
stops renewing when the delivery ends or is cancelled, and abandons a delivery whose claim was
taken over. Also: the parking limit reaches ``claim_due`` from the settings.

Unit tests: an SQLite outbox in ``tmp_path``, a fake clock for the stored times, handlers that
wait on events (the renewals themselves run on short real intervals).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from delivery.handlers import StepRecorder
from delivery.runner import build_worker
from delivery.worker import DeliveryWorker
from kernel.settings import load_settings
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus, fingerprint
from tests.clocks import T0

LEASE_S = 30.0  # fake seconds: the stored lease
RENEW_EVERY_S = 0.02  # real seconds between renewals
PAYLOAD = {"meter_number": "M-1", "value": "10", "read_on": "2026-06-01"}


class HeldHandler:
    """Delivers once ``release`` is set; remembers whether it was cancelled meanwhile."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    async def deliver(self, record: OutboxRecord, record_step: StepRecorder) -> Mapping[str, Any]:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return {"receipt_id": "r-1"}


class CountingOutbox:
    """The real outbox, counting the renewals and remembering claim_due's keyword arguments."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.renewals = 0
        self.claim_kwargs: list[dict[str, Any]] = []

    async def renew_lease(self, *args: Any) -> OutboxRecord:
        self.renewals += 1
        return await self.inner.renew_lease(*args)

    async def claim_due(self, *args: Any, **kwargs: Any) -> list[OutboxRecord]:
        self.claim_kwargs.append(kwargs)
        return await self.inner.claim_due(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def counting(outbox) -> CountingOutbox:
    return CountingOutbox(outbox)


def worker_on(outbox, clock, handler, **options) -> DeliveryWorker:
    return DeliveryWorker(
        outbox,
        {OutboxKind.METER_READING: handler},
        clock=clock,
        lease_s=LEASE_S,
        renew_every_s=RENEW_EVERY_S,
        **options,
    )


async def claimed_record(outbox) -> OutboxRecord:
    await outbox.accept(OutboxKind.METER_READING, "k1", fingerprint(PAYLOAD), "viewer", PAYLOAD)
    (record,) = await outbox.claim_due(T0, lease_s=LEASE_S, limit=1)
    return record


async def until(condition, within_s: float = 5.0) -> None:
    async with asyncio.timeout(within_s):
        while not await condition():  # noqa: ASYNC110 - polls the store, no event to wait on
            await asyncio.sleep(0.01)


async def test_a_long_delivery_renews_its_lease_and_keeps_the_record(counting, clock):
    handler = HeldHandler()
    worker = worker_on(counting, clock, handler)
    record = await claimed_record(counting)
    delivery = asyncio.create_task(worker.deliver(record))
    await handler.started.wait()

    clock.advance(25)  # the handler is slow: most of the first lease is gone

    async def renewed() -> bool:
        current = await counting.get(record.id)
        return current.lease_until == clock() + timedelta(seconds=LEASE_S)

    await until(renewed)
    clock.advance(25)  # past the first lease: without the renewal another worker could take it
    assert await counting.claim_due(clock(), lease_s=LEASE_S, limit=1) == []

    handler.release.set()
    done = await delivery
    assert done is not None and done.status is OutboxStatus.DELIVERED
    assert done.attempts == 1 and done.lost_leases == 0
    # The renewals stop with the delivery.
    renewals = counting.renewals
    assert renewals >= 1
    await asyncio.sleep(RENEW_EVERY_S * 5)
    assert counting.renewals == renewals


async def test_a_delivery_whose_claim_was_taken_over_is_abandoned(outbox, clock):
    handler = HeldHandler()
    worker = worker_on(outbox, clock, handler)
    record = await claimed_record(outbox)
    delivery = asyncio.create_task(worker.deliver(record))
    await handler.started.wait()

    # Another worker, whose clock is far ahead, finds the lease expired and takes the record.
    (other,) = await outbox.claim_due(T0 + timedelta(days=1), lease_s=LEASE_S, limit=1)
    assert other.lease_token != record.lease_token

    # The next renewal finds the claim lost: the handler is cancelled, nothing is stored.
    assert await asyncio.wait_for(delivery, timeout=5) is None
    assert handler.cancelled
    current = await outbox.get(record.id)
    assert current.status is OutboxStatus.DELIVERING
    assert current.lease_token == other.lease_token
    assert current.lost_leases == 1


async def test_stopping_a_delivery_stops_its_renewals_and_gives_the_record_back(counting, clock):
    handler = HeldHandler()
    worker = worker_on(counting, clock, handler)
    record = await claimed_record(counting)
    delivery = asyncio.create_task(worker.deliver(record))
    await handler.started.wait()
    await until(lambda: asyncio.sleep(0, counting.renewals >= 1))

    delivery.cancel()
    with pytest.raises(asyncio.CancelledError):
        await delivery
    assert handler.cancelled
    renewals = counting.renewals
    await asyncio.sleep(RENEW_EVERY_S * 5)
    assert counting.renewals == renewals
    current = await counting.get(record.id)
    assert current.status is OutboxStatus.PENDING
    assert current.last_error == "interrupted: worker stopped"


async def test_a_failing_renewal_does_not_end_the_delivery(outbox, clock):
    class FlakyRenewals(CountingOutbox):
        async def renew_lease(self, *args: Any) -> OutboxRecord:
            self.renewals += 1
            raise OSError("database unreachable")

    flaky = FlakyRenewals(outbox)
    handler = HeldHandler()
    worker = worker_on(flaky, clock, handler)
    record = await claimed_record(flaky)
    delivery = asyncio.create_task(worker.deliver(record))
    await until(lambda: asyncio.sleep(0, flaky.renewals >= 2))
    handler.release.set()
    done = await delivery
    assert done is not None and done.status is OutboxStatus.DELIVERED


def test_renewal_interval_must_fit_in_the_lease(outbox):
    with pytest.raises(ValueError):
        DeliveryWorker(outbox, {}, lease_s=1.0, renew_every_s=1.0)
    with pytest.raises(ValueError):
        DeliveryWorker(outbox, {}, max_lost_leases=0)


async def test_the_parking_limit_comes_from_the_settings(counting, clock):
    settings = load_settings(delivery_max_lost_leases=5)
    worker = build_worker(settings, counting, connectors=None, handlers={})  # type: ignore[arg-type]
    await worker.run_once()
    assert counting.claim_kwargs == [{"max_lost_leases": 5}]


async def test_the_worker_parks_a_record_that_lost_its_leases(outbox, clock):
    handler = HeldHandler()
    handler.release.set()
    worker = worker_on(outbox, clock, handler, max_lost_leases=2)
    await outbox.accept(OutboxKind.METER_READING, "k1", fingerprint(PAYLOAD), "viewer", PAYLOAD)
    # Two workers died holding it (claimed, never finished, leases expired).
    await outbox.claim_due(T0, lease_s=LEASE_S, limit=1)
    await outbox.claim_due(T0 + timedelta(seconds=31), lease_s=LEASE_S, limit=1)
    clock.now = T0 + timedelta(seconds=62)
    assert await worker.run_once() == []
    (parked,) = await outbox.list_for_viewer("viewer")
    assert parked.status is OutboxStatus.FAILED
    assert parked.last_error == "parked: delivery never finished 2 times"
