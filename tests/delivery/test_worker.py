"""The delivery worker against the fee/meter and Public 360 simulators over loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from typing import Literal

import pytest

from delivery.handlers import ApplicationDelivery, MeterReadingDelivery
from delivery.worker import DeliveryWorker
from stores.outbox import OutboxKind, OutboxStatus
from tests.delivery.stack import (
    PDF,
    PNG,
    SECRET,
    accept,
    application_payload,
    reading_payload,
    wait_for_status,
)


def make_worker(outbox, stack, clock, **options) -> DeliveryWorker:
    handlers = {
        OutboxKind.METER_READING: MeterReadingDelivery(stack.fees()),
        OutboxKind.APPLICATION: ApplicationDelivery(stack.p360()),
    }
    options.setdefault("lease_s", 30.0)
    return DeliveryWorker(outbox, handlers, clock=clock, **options)


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel a worker's run() and wait until it has ended, cancelled.

    Cancelled again if need be: run() loses a cancellation that arrives while it tidies up
    its waker (test_a_stop_while_the_worker_tidies_its_waker_is_not_lost), and the tests that
    only stop a worker when they are done must not hang on that.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    assert task.cancelled()


def new_readings(stack, meter_number: str, before: int) -> list:
    meter = stack.population.meter_by_number(meter_number)
    return list(meter.readings[before:])


async def test_reading_is_delivered_with_the_receipt(outbox, stack, clock):
    payload = reading_payload(stack)
    before = len(stack.meter().readings)
    accepted = await accept(outbox, stack, OutboxKind.METER_READING, payload)
    worker = make_worker(outbox, stack, clock)

    (record,) = await worker.run_once()

    assert record.id == accepted.record.id
    assert record.status is OutboxStatus.DELIVERED
    assert record.result["receipt_id"]
    assert record.result["value"] == payload["value"]
    assert Decimal(record.result["consumption_since_last"]) == Decimal("10")
    assert record.delivered_at == clock.now
    added = new_readings(stack, payload["meter_number"], before)
    assert [str(r.value_m3) for r in added] == [payload["value"]]
    # A replay of the accept answers the delivered record; nothing is sent again.
    again = await accept(outbox, stack, OutboxKind.METER_READING, payload)
    assert again.record.status is OutboxStatus.DELIVERED and not again.created
    assert await worker.run_once() == []
    assert (await stack.calls("fees"))["submitReading"] == 1


async def test_outage_keeps_the_reading_pending_then_delivers_it_once(outbox, stack, clock):
    payload = reading_payload(stack)
    before = len(stack.meter().readings)
    accepted = await accept(outbox, stack, OutboxKind.METER_READING, payload)
    await stack.fault("fees", "submitReading", outage=True)
    worker = make_worker(outbox, stack, clock)

    for attempt in (1, 2, 3):
        (record,) = await worker.run_once()
        assert record.status is OutboxStatus.PENDING
        assert record.attempts == attempt
        assert "SystemUnavailable" in record.last_error
        assert record.next_attempt_at > clock.now
        # Not due yet: the back-off holds it back.
        assert await worker.run_once() == []
        clock.now = record.next_attempt_at

    await stack.clear_faults("fees")
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.DELIVERED
    assert record.attempts == 4
    assert record.id == accepted.record.id
    assert len(new_readings(stack, payload["meter_number"], before)) == 1
    assert (await stack.calls("fees"))["submitReading"] == 4


async def test_reading_below_the_last_one_is_rejected_with_the_reason(outbox, stack, clock):
    meter = stack.meter()
    payload = reading_payload(stack)
    payload["value"] = format(meter.readings[-1].value_m3 - Decimal("1"), "f")
    await accept(outbox, stack, OutboxKind.METER_READING, payload)

    (record,) = await make_worker(outbox, stack, clock).run_once()

    assert record.status is OutboxStatus.REJECTED
    assert record.last_error.startswith("below_last_reading")
    assert len(stack.population.meter_by_number(meter.meter_number).readings) == len(meter.readings)
    # Final: the next rounds leave it alone.
    clock.advance(3600)
    assert await make_worker(outbox, stack, clock).run_once() == []


async def test_injected_server_errors_are_retried(outbox, stack, clock):
    payload = reading_payload(stack)
    await accept(outbox, stack, OutboxKind.METER_READING, payload)
    await stack.fault("fees", "submitReading", error_rate=1.0)
    worker = make_worker(outbox, stack, clock)
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.PENDING
    assert "RemoteFault" in record.last_error
    await stack.clear_faults("fees")
    clock.now = record.next_attempt_at
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.DELIVERED


async def test_application_creates_one_case_with_one_document(outbox, stack, clock):
    payload = application_payload(stack)
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)

    (record,) = await make_worker(outbox, stack, clock).run_once()

    assert record.status is OutboxStatus.DELIVERED, record.last_error
    (case,) = stack.created_cases(payload["title"])
    assert record.result["case_number"] == case.case_number
    assert record.progress["case_number"] == case.case_number
    assert case.is_unofficial
    (document,) = case.documents
    assert record.result["document_number"] == document.document_number
    assert [f.name for f in document.files] == ["soknad.pdf", "kart.png"]
    contents = [stack.population.file_by_recno(f.recno).data for f in document.files]
    assert contents == [PDF, PNG]


async def test_application_with_property_names_it_in_the_case_title(outbox, stack, clock):
    payload = application_payload(stack, title="Søknad om utslippstillatelse")
    payload["matrikkelnummer"] = "3030-12/45/0/0"
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)
    (record,) = await make_worker(outbox, stack, clock).run_once()
    assert record.status is OutboxStatus.DELIVERED
    assert stack.created_cases("Søknad om utslippstillatelse – 3030-12/45/0/0")


class Crash(BaseException):
    """Stands in for the process dying: nothing after it runs, no outcome is stored."""


@pytest.mark.parametrize("crash_when", ["after_progress", "before_progress"])
async def test_crash_between_the_two_steps_makes_no_second_case(outbox, stack, clock, crash_when):
    payload = application_payload(stack)
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)
    (claim,) = await outbox.claim_due(clock.now, lease_s=30, limit=1)

    async def record_step_then_die(step):
        if crash_when == "after_progress":
            await outbox.mark_progress(claim.id, step, claim.lease_token)
        raise Crash

    loaded = dataclasses.replace(claim, files=await outbox.read_files(claim.id))
    with pytest.raises(Crash):
        await ApplicationDelivery(stack.p360()).deliver(loaded, record_step_then_die)
    assert len(stack.created_cases(payload["title"])) == 1
    stuck = await outbox.get(claim.id)
    assert stuck.status is OutboxStatus.DELIVERING
    assert ("case_number" in stuck.progress) == (crash_when == "after_progress")

    # The "restarted" worker finds the lease expired and finishes the delivery.
    clock.advance(31)
    (record,) = await make_worker(outbox, stack, clock).run_once()

    assert record.status is OutboxStatus.DELIVERED
    assert record.attempts == 2
    (case,) = stack.created_cases(payload["title"])
    assert record.result["case_number"] == case.case_number
    assert len(case.documents) == 1
    calls = await stack.calls("p360")
    assert calls["CreateCase"] == 1
    # Resumed from progress, the case is not even looked up again; without progress, the
    # connector finds it by its ExternalId (the delivery key) instead of creating another.
    assert calls["GetCases"] == (1 if crash_when == "after_progress" else 2)
    assert calls["CreateDocument"] == 1


async def test_document_outage_resumes_on_the_recorded_case(outbox, stack, clock):
    payload = application_payload(stack)
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)
    await stack.fault("p360", "CreateDocument", outage=True)
    worker = make_worker(outbox, stack, clock)
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.PENDING
    assert record.progress["case_number"]
    await stack.clear_faults("p360")
    clock.now = record.next_attempt_at
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.DELIVERED
    (case,) = stack.created_cases(payload["title"])
    assert len(case.documents) == 1


async def test_unreadable_payload_is_rejected_not_dropped(outbox, stack, clock):
    await accept(outbox, stack, OutboxKind.APPLICATION, {"title": "no files"})
    (record,) = await make_worker(outbox, stack, clock).run_once()
    assert record.status is OutboxStatus.REJECTED
    assert record.last_error.startswith("invalid_payload")


async def test_applicant_unknown_to_360_is_rejected(outbox, stack, clock):
    payload = application_payload(stack)
    payload["applicant_pid"] = "01010100000"  # not a person of the population
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)
    (record,) = await make_worker(outbox, stack, clock).run_once()
    assert record.status is OutboxStatus.REJECTED
    assert "01010100000" not in record.last_error


async def test_kind_without_handler_waits_for_one(outbox, stack, clock):
    await accept(outbox, stack, OutboxKind.APPLICATION, application_payload(stack))
    worker = DeliveryWorker(outbox, {}, clock=clock)
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.PENDING
    assert record.last_error == "no_handler: application"


async def test_max_age_turns_an_endless_outage_into_a_rejection(outbox, stack, clock):
    from datetime import timedelta

    await accept(outbox, stack, OutboxKind.METER_READING, reading_payload(stack))
    await stack.fault("fees", "submitReading", outage=True)
    worker = make_worker(outbox, stack, clock, max_age=timedelta(hours=1))
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.PENDING
    clock.advance(3600)
    (record,) = await worker.run_once()
    assert record.status is OutboxStatus.REJECTED
    assert record.last_error.startswith("gave_up: SystemUnavailable")


async def test_run_delivers_a_fresh_record_when_notified(outbox, stack, clock):
    # poll_s far beyond the test's patience: only notify() can make this delivery happen.
    worker = make_worker(outbox, stack, clock, poll_s=600)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.1)  # the loop is idle, waiting
        accepted = await accept(outbox, stack, OutboxKind.METER_READING, reading_payload(stack))
        worker.notify()
        await wait_for_status(outbox, accepted.record.id, OutboxStatus.DELIVERED, within_s=30)
    finally:
        await stop(task)


async def test_run_bounds_concurrency_and_delivers_everything(outbox, stack, clock):
    await stack.fault("p360", "CreateDocument", latency_ms=50)
    ids = []
    for n in range(5):
        payload = application_payload(stack, title=f"Søknad nr. {n}")
        accepted = await accept(outbox, stack, OutboxKind.APPLICATION, payload, f"k{n}")
        ids.append(accepted.record.id)
    worker = make_worker(outbox, stack, clock, concurrency=2, poll_s=600)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while True:
                # One query, so one consistent snapshot: reading the records one by one could
                # count a record still delivering and, moments later, the one started after it.
                records = await outbox.list_for_viewer(SECRET.viewer_key(stack.pid))
                assert {r.id for r in records} == set(ids)
                in_flight = sum(r.status is OutboxStatus.DELIVERING for r in records)
                assert in_flight <= 2
                if all(r.status is OutboxStatus.DELIVERED for r in records):
                    break
                await asyncio.sleep(0.01)
    finally:
        await stop(task)
    for n in range(5):
        (case,) = stack.created_cases(f"Søknad nr. {n}")
        assert len(case.documents) == 1


async def test_stopping_the_worker_gives_in_flight_records_back(outbox, stack, clock):
    await stack.fault("fees", "submitReading", latency_ms=1500)
    accepted = await accept(outbox, stack, OutboxKind.METER_READING, reading_payload(stack))
    worker = make_worker(outbox, stack, clock, poll_s=600)
    task = asyncio.create_task(worker.run())
    await wait_for_status(outbox, accepted.record.id, OutboxStatus.DELIVERING, within_s=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = await outbox.get(accepted.record.id)
    assert record.status is OutboxStatus.PENDING
    assert record.last_error == "interrupted: worker stopped"
    assert record.next_attempt_at <= clock.now  # due at once, no lease to wait out
    await stack.clear_faults("fees")
    (record,) = await make_worker(outbox, stack, clock).run_once()
    assert record.status is OutboxStatus.DELIVERED


class _WakeThatStopsTheWorker(asyncio.Event):
    """The worker's wake-up event; when the worker cancels its wait on it (the tidy-up after
    each round), the worker itself is told to stop at that very moment."""

    run: asyncio.Task[None] | None = None

    async def wait(self) -> Literal[True]:
        try:
            return await super().wait()
        except asyncio.CancelledError:
            if self.run is not None:
                self.run.cancel()
            raise


async def test_a_stop_while_the_worker_tidies_its_waker_is_not_lost(outbox, stack, clock):
    worker = make_worker(outbox, stack, clock, poll_s=0.01)
    wake = _WakeThatStopsTheWorker()
    worker._wake = wake
    run = asyncio.create_task(worker.run())
    wake.run = run
    done, _ = await asyncio.wait({run}, timeout=2.0)
    if not done:  # the stop was lost: the worker polls on; stop it for good
        await stop(run)
    assert done == {run} and run.cancelled()
