"""The outbox contract, run against every backend: the SQLite file and the real PostgreSQL.

Durability of an accept, replay/conflict, listing, claims and leases, lease renewal, parking
of poison records and the stats. Backend-specific tests (SQLite's file mode and WAL,
PostgreSQL's migrations and pools) live in ``test_outbox_sqlite.py`` and
``test_outbox_postgres.py``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from kernel.server_secret import ServerSecret
from stores import open_outbox
from stores.outbox import (
    LeaseLost,
    Outbox,
    OutboxConflict,
    OutboxKind,
    OutboxRetention,
    OutboxStatus,
    PurgeResult,
    RecordNotFound,
    file_key,
    fingerprint,
    parked_reason,
)
from tests.clocks import T0, FakeDateTimeClock

SECRET = ServerSecret("test-secret-" + "x" * 32)
PID = "13818097953"  # synthetic (month + 80)
VIEWER = SECRET.viewer_key(PID)
READING = {"meter_number": "M-1", "value": "10.5", "read_on": "2026-06-01", "comment": None}

Opener = Callable[[], Awaitable[Outbox]]


@pytest.fixture
def clock() -> FakeDateTimeClock:
    return FakeDateTimeClock(T0)


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request, tmp_path, clock) -> AsyncIterator[Opener]:
    """Opens another store on this test's database (closed at the end of the test)."""
    if request.param == "postgres":
        url = request.getfixturevalue("database_url")
    else:
        url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    opened: list[Outbox] = []

    async def opener() -> Outbox:
        store = await open_outbox(url, clock=clock)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
async def outbox(open_store) -> Outbox:
    return await open_store()


async def accept(outbox, key="k1", payload=READING, viewer=VIEWER, kind=OutboxKind.METER_READING):
    return await outbox.accept(kind, key, fingerprint(payload), viewer, payload)


async def test_accepted_record_is_there_for_another_store(open_store):
    first = await open_store()
    accepted = await accept(first)
    # First not closed: the record must be stored already, as after a crash.
    second = await open_store()
    found = await second.get(accepted.record.id)
    assert found is not None
    assert found == accepted.record
    assert found.status is OutboxStatus.PENDING
    assert found.payload == READING
    assert found.viewer_key == VIEWER
    assert found.attempts == 0
    assert found.lost_leases == 0
    assert found.next_attempt_at == T0
    assert found.created_at == T0


async def test_replay_answers_the_same_record(outbox, clock):
    first = await accept(outbox)
    clock.now = T0 + timedelta(minutes=5)
    again = await accept(outbox)
    assert first.created and not again.created
    assert again.record.id == first.record.id
    assert again.record.created_at == T0


async def test_same_key_other_input_is_a_conflict(outbox):
    first = await accept(outbox)
    with pytest.raises(OutboxConflict) as caught:
        await accept(outbox, payload={**READING, "value": "11"})
    assert caught.value.existing_id == first.record.id
    assert PID not in str(caught.value)


async def test_concurrent_accepts_of_one_key_make_one_record(open_store):
    stores = [await open_store() for _ in range(2)]
    results = await asyncio.gather(*(accept(stores[i % 2]) for i in range(6)))
    assert len({r.record.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_key_is_scoped_to_viewer_and_kind(outbox):
    mine = await accept(outbox)
    other_viewer = await accept(outbox, viewer=SECRET.viewer_key("02889012345"))
    other_kind = await accept(outbox, kind=OutboxKind.APPLICATION)
    ids = {mine.record.id, other_viewer.record.id, other_kind.record.id}
    assert len(ids) == 3
    assert all(r.created for r in (mine, other_viewer, other_kind))
    assert mine.record.delivery_key != other_viewer.record.delivery_key


async def test_find_by_viewer_kind_and_key(outbox):
    mine = await accept(outbox)
    assert await outbox.find(VIEWER, OutboxKind.METER_READING, "k1") == mine.record
    assert await outbox.find(VIEWER, OutboxKind.APPLICATION, "k1") is None
    other = SECRET.viewer_key("02889012345")
    assert await outbox.find(other, OutboxKind.METER_READING, "k1") is None
    assert await outbox.find(VIEWER, OutboxKind.METER_READING, "k2") is None


@pytest.mark.parametrize("key", ["", "x" * 201, "line\nbreak"])
async def test_bad_keys_are_refused(outbox, key):
    with pytest.raises(ValueError):
        await accept(outbox, key=key)


async def test_list_for_viewer_filters(outbox, clock):
    reading = await accept(outbox, key="a")
    clock.now = T0 + timedelta(seconds=1)
    application = await accept(outbox, key="b", kind=OutboxKind.APPLICATION)
    await accept(outbox, key="c", viewer=SECRET.viewer_key("02889012345"))
    everything = await outbox.list_for_viewer(VIEWER)
    assert [r.id for r in everything] == [application.record.id, reading.record.id]
    readings = await outbox.list_for_viewer(VIEWER, kinds=[OutboxKind.METER_READING])
    assert [r.id for r in readings] == [reading.record.id]
    assert await outbox.list_for_viewer(VIEWER, statuses=[OutboxStatus.DELIVERED]) == []
    assert await outbox.list_for_viewer(VIEWER, kinds=[]) == []
    assert await outbox.list_for_viewer(VIEWER, statuses=[]) == []
    pending = await outbox.list_for_viewer(VIEWER, statuses={OutboxStatus.PENDING})
    assert len(pending) == 2


async def test_claim_leases_and_marks_attempts(outbox):
    accepted = await accept(outbox)
    claimed = await outbox.claim_due(T0, lease_s=30, limit=10)
    assert [r.id for r in claimed] == [accepted.record.id]
    record = claimed[0]
    assert record.status is OutboxStatus.DELIVERING
    assert record.attempts == 1
    assert record.lease_until == T0 + timedelta(seconds=30)
    assert record.lease_token
    assert record.lost_leases == 0
    # Leased: nobody else gets it while the lease runs.
    assert await outbox.claim_due(T0 + timedelta(seconds=29), lease_s=30, limit=10) == []
    assert await outbox.next_due_at() == T0 + timedelta(seconds=30)


async def test_claims_oldest_due_first_up_to_the_limit(outbox, clock):
    keys = ["a", "b", "c"]
    for second, key in enumerate(keys):
        clock.now = T0 + timedelta(seconds=second)
        await accept(outbox, key=key, payload={**READING, "value": key})
    first = await outbox.claim_due(T0 + timedelta(minutes=1), lease_s=30, limit=2)
    assert [r.idempotency_key for r in first] == ["a", "b"]
    rest = await outbox.claim_due(T0 + timedelta(minutes=1), lease_s=30, limit=2)
    assert [r.idempotency_key for r in rest] == ["c"]


async def test_not_yet_due_is_not_claimed(outbox):
    await accept(outbox)
    assert await outbox.claim_due(T0 - timedelta(seconds=1), lease_s=30, limit=10) == []


async def test_expired_lease_is_reclaimed_and_the_old_claim_is_void(outbox):
    await accept(outbox)
    (first,) = await outbox.claim_due(T0, lease_s=30, limit=10)
    later = T0 + timedelta(seconds=31)
    (second,) = await outbox.claim_due(later, lease_s=30, limit=10)
    assert second.id == first.id
    assert second.attempts == 2
    assert second.lost_leases == 1
    assert second.lease_token != first.lease_token
    with pytest.raises(LeaseLost):
        await outbox.mark_delivered(first.id, {"receipt_id": "x"}, first.lease_token)
    done = await outbox.mark_delivered(second.id, {"receipt_id": "y"}, second.lease_token)
    assert done.status is OutboxStatus.DELIVERED
    assert done.result == {"receipt_id": "y"}
    assert done.lease_token is None
    assert done.delivered_at == T0


async def test_two_stores_on_one_database_never_claim_the_same_record(open_store):
    stores = [await open_store() for _ in range(2)]
    accepted = [await accept(stores[0], key=f"k{i}") for i in range(50)]
    batches = await asyncio.gather(
        *(stores[i % 2].claim_due(T0, lease_s=60, limit=3) for i in range(25))
    )
    claimed = [record.id for batch in batches for record in batch]
    assert len(claimed) == len(set(claimed)) == 50
    assert set(claimed) == {a.record.id for a in accepted}


async def test_retry_progress_and_rejection(outbox):
    accepted = await accept(outbox, kind=OutboxKind.APPLICATION)
    (claim,) = await outbox.claim_due(T0, lease_s=30, limit=1)
    step = await outbox.mark_progress(claim.id, {"case_number": "2026/1"}, claim.lease_token)
    assert step.progress == {"case_number": "2026/1"}
    assert step.status is OutboxStatus.DELIVERING
    retry_at = T0 + timedelta(seconds=10)
    back = await outbox.mark_retry(
        claim.id, "SystemUnavailable: " + "x" * 1000, retry_at, claim.lease_token
    )
    assert back.status is OutboxStatus.PENDING
    assert back.next_attempt_at == retry_at
    assert back.progress == {"case_number": "2026/1"}
    assert back.last_error is not None and len(back.last_error) <= 300
    assert back.lease_token is None
    with pytest.raises(LeaseLost):
        await outbox.mark_progress(claim.id, {"x": 1}, claim.lease_token)
    assert await outbox.claim_due(T0 + timedelta(seconds=9), lease_s=30, limit=1) == []
    (again,) = await outbox.claim_due(retry_at, lease_s=30, limit=1)
    assert again.attempts == 2
    assert again.lost_leases == 0  # given back with mark_retry: not a lost lease
    assert again.progress == {"case_number": "2026/1"}
    rejected = await outbox.mark_rejected(again.id, "rejected: no", again.lease_token)
    assert rejected.status is OutboxStatus.REJECTED
    assert rejected.last_error == "rejected: no"
    assert rejected.id == accepted.record.id
    # Final: never claimed again, and nothing is due any more.
    assert await outbox.claim_due(T0 + timedelta(days=1), lease_s=30, limit=10) == []
    assert await outbox.next_due_at() is None


async def test_progress_is_a_merge_patch(outbox):
    await accept(outbox, kind=OutboxKind.APPLICATION)
    (claim,) = await outbox.claim_due(T0, lease_s=30, limit=1)
    token = claim.lease_token
    await outbox.mark_progress(claim.id, {"case_number": "2026/1", "step": "case"}, token)
    merged = await outbox.mark_progress(
        claim.id, {"step": "document", "document_number": "2026/1-1"}, token
    )
    assert merged.progress == {
        "case_number": "2026/1",
        "step": "document",
        "document_number": "2026/1-1",
    }
    removed = await outbox.mark_progress(claim.id, {"step": None, "absent": None}, token)
    assert removed.progress == {"case_number": "2026/1", "document_number": "2026/1-1"}


async def test_renewing_the_lease_keeps_the_claim(outbox):
    await accept(outbox)
    (claim,) = await outbox.claim_due(T0, lease_s=30, limit=1)
    renewed = await outbox.renew_lease(claim.id, claim.lease_token, T0 + timedelta(seconds=50))
    assert renewed.lease_until == T0 + timedelta(seconds=50)
    assert renewed.lease_token == claim.lease_token
    assert renewed.status is OutboxStatus.DELIVERING
    assert renewed.attempts == 1
    # Past the first lease, but within the renewed one: nobody takes it over.
    assert await outbox.claim_due(T0 + timedelta(seconds=40), lease_s=30, limit=1) == []
    assert await outbox.next_due_at() == T0 + timedelta(seconds=50)
    done = await outbox.mark_delivered(claim.id, {"receipt_id": "r"}, claim.lease_token)
    assert done.status is OutboxStatus.DELIVERED


async def test_renewing_a_lost_claim_is_refused(outbox):
    await accept(outbox)
    (first,) = await outbox.claim_due(T0, lease_s=30, limit=1)
    (second,) = await outbox.claim_due(T0 + timedelta(seconds=31), lease_s=30, limit=1)
    with pytest.raises(LeaseLost):
        await outbox.renew_lease(first.id, first.lease_token, T0 + timedelta(seconds=90))
    assert (await outbox.get(first.id)).lease_until == second.lease_until
    await outbox.mark_retry(second.id, "later", T0 + timedelta(minutes=5), second.lease_token)
    with pytest.raises(LeaseLost):  # given back: no claim to renew
        await outbox.renew_lease(second.id, second.lease_token, T0 + timedelta(seconds=90))
    with pytest.raises(RecordNotFound):
        await outbox.renew_lease(uuid.uuid4(), "token", T0)


async def test_a_record_whose_leases_keep_expiring_is_parked(outbox):
    accepted = await accept(outbox)
    now = T0
    tokens = []
    for lost in range(3):  # claimed; the worker dies; the lease expires; claimed again...
        (claim,) = await outbox.claim_due(now, lease_s=30, limit=10)
        assert claim.lost_leases == lost
        assert claim.attempts == lost + 1
        tokens.append(claim.lease_token)
        now += timedelta(seconds=31)
    # The third lease expired too: taking it again would be its third lost lease.
    assert await outbox.claim_due(now, lease_s=30, limit=10) == []
    parked = await outbox.get(accepted.record.id)
    assert parked.status is OutboxStatus.FAILED
    assert parked.status.is_final
    assert parked.lost_leases == 3
    assert parked.attempts == 3
    assert parked.last_error == parked_reason(3) == "parked: delivery never finished 3 times"
    assert parked.lease_token is None and parked.lease_until is None
    with pytest.raises(LeaseLost):
        await outbox.mark_delivered(parked.id, {}, tokens[-1])
    # Never claimed again, nothing due, and counted for the operators.
    assert await outbox.claim_due(now + timedelta(days=1), lease_s=30, limit=10) == []
    assert await outbox.next_due_at() is None
    stats = await outbox.stats()
    assert (stats.pending, stats.delivering, stats.failed) == (0, 0, 1)
    assert stats.oldest_waiting_at is None
    (listed,) = await outbox.list_for_viewer(VIEWER, statuses=[OutboxStatus.FAILED])
    assert listed.id == accepted.record.id


async def test_the_parking_limit_is_the_callers(outbox, clock):
    first = (await accept(outbox, "k1")).record
    second = (await accept(outbox, "k2", payload={**READING, "value": "2"})).record
    await outbox.claim_due(T0, lease_s=30, limit=10, max_lost_leases=1)
    # Both leases expired: with a limit of 1, the first lost lease parks them.
    later = T0 + timedelta(seconds=31)
    assert await outbox.claim_due(later, lease_s=30, limit=10, max_lost_leases=1) == []
    for record_id in (first.id, second.id):
        parked = await outbox.get(record_id)
        assert parked.status is OutboxStatus.FAILED
        assert parked.last_error == parked_reason(1)
    with pytest.raises(ValueError):
        await outbox.claim_due(later, lease_s=30, limit=10, max_lost_leases=0)


async def test_a_record_delivered_after_lost_leases_is_not_parked(outbox):
    await accept(outbox)
    await outbox.claim_due(T0, lease_s=30, limit=1)
    (second,) = await outbox.claim_due(T0 + timedelta(seconds=31), lease_s=30, limit=1)
    assert second.lost_leases == 1
    done = await outbox.mark_delivered(second.id, {"receipt_id": "r"}, second.lease_token)
    assert done.status is OutboxStatus.DELIVERED
    assert done.lost_leases == 1


async def test_unknown_record(outbox):
    assert await outbox.get(uuid.uuid4()) is None
    with pytest.raises(RecordNotFound):
        await outbox.mark_delivered(uuid.uuid4(), {}, "token")


async def test_naive_times_are_refused(outbox):
    await accept(outbox)
    with pytest.raises(ValueError):
        await outbox.claim_due(datetime(2026, 6, 15), lease_s=30, limit=1)


async def test_closed_outbox_refuses_work(open_store):
    store = await open_store()
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(RuntimeError):
        await store.get(uuid.uuid4())


async def test_stats_count_what_waits_and_date_the_oldest(outbox, clock):
    assert (await outbox.stats()).oldest_waiting_at is None
    first = (await accept(outbox, "k1")).record
    clock.advance(30)
    await accept(outbox, "k2", payload={**READING, "value": "11"})
    (claimed,) = await outbox.claim_due(clock(), 60, 1)
    stats = await outbox.stats()
    assert (stats.pending, stats.delivering, stats.failed) == (1, 1, 0)
    assert stats.oldest_waiting_at == first.created_at
    await outbox.mark_delivered(claimed.id, {"receipt": "r"}, claimed.lease_token)
    stats = await outbox.stats()
    assert (stats.pending, stats.delivering) == (1, 0)
    assert stats.oldest_waiting_at == first.created_at + timedelta(seconds=30)


# --- keeping less: private data and files apart from the receipt, dropped when final ---------

APPLICATION = {"type_code": "PARKING_PERMIT", "title": "Søknad", "files": [{"sha256": "..."}]}
PRIVATE = {"applicant_pid": PID}
ATTACHMENT = b"%PDF-1.4 attachment " + bytes(range(256)) * 64
FORM = b"%PDF-1.4 form"


async def accept_application(outbox, key="a1", files=(FORM, ATTACHMENT)):
    return await outbox.accept(
        OutboxKind.APPLICATION,
        key,
        fingerprint({"key": key}),
        VIEWER,
        APPLICATION,
        private=PRIVATE,
        files=files,
    )


async def claimed(outbox, clock, record_id):
    for record in await outbox.claim_due(clock(), lease_s=30, limit=10):
        if record.id == record_id:
            return record
    raise AssertionError("the record was not claimable")


async def test_private_data_and_files_are_kept_apart_and_each_file_once(outbox):
    # The same attachment twice (the citizen attached one file to two slots): stored once.
    record = (await accept_application(outbox, files=(FORM, ATTACHMENT, ATTACHMENT))).record
    assert record.private == PRIVATE
    assert record.payload == APPLICATION  # the receipt part, without the pid or any bytes
    assert record.files == {}  # a record row never carries the files
    assert await outbox.read_files(record.id) == {
        file_key(FORM): FORM,
        file_key(ATTACHMENT): ATTACHMENT,
    }
    listed = await outbox.list_for_viewer(VIEWER)
    assert [item.files for item in listed] == [{}]


@pytest.mark.parametrize("final", ["delivered", "rejected"])
async def test_a_final_record_drops_private_data_and_files_and_keeps_its_receipt(
    outbox, clock, final
):
    record = (await accept_application(outbox)).record
    claim = await claimed(outbox, clock, record.id)
    assert claim.private == PRIVATE
    await outbox.mark_progress(record.id, {"case_number": "2026/00001"}, claim.lease_token)
    if final == "delivered":
        done = await outbox.mark_delivered(
            record.id, {"case_number": "2026/00001"}, claim.lease_token
        )
    else:
        done = await outbox.mark_rejected(record.id, "rejected: too large", claim.lease_token)
    assert done.private is None
    assert done.payload_dropped_at == clock()
    assert await outbox.read_files(record.id) == {}
    # The receipt: ids, status, case number, times, the reason.
    again = await outbox.get(record.id)
    assert again is not None and again.payload == APPLICATION and again.private is None
    assert again.progress == {"case_number": "2026/00001"}
    assert again.idempotency_key == "a1" and again.created_at == record.created_at


async def test_a_retried_record_keeps_private_data_and_files(outbox, clock):
    record = (await accept_application(outbox)).record
    claim = await claimed(outbox, clock, record.id)
    retried = await outbox.mark_retry(record.id, "SystemUnavailable", clock(), claim.lease_token)
    assert retried.private == PRIVATE and retried.payload_dropped_at is None
    assert len(await outbox.read_files(record.id)) == 2


async def test_purge_applies_each_retention(outbox, clock):
    retention = OutboxRetention(payload_s=3600, delivered_s=30 * 86400, rejected_s=7 * 86400)
    parked = (await accept_application(outbox, "parked")).record
    for _ in range(4):  # the parked one: its worker died three times
        await outbox.claim_due(clock(), lease_s=30, limit=10, max_lost_leases=3)
        clock.advance(31)
    delivered = (await accept_application(outbox, "delivered")).record
    rejected = (await accept_application(outbox, "rejected")).record
    pending = (await accept_application(outbox, "pending")).record
    claims = {r.id: r for r in await outbox.claim_due(clock(), lease_s=30, limit=10)}
    assert (await outbox.get(parked.id)).status is OutboxStatus.FAILED
    # Kept for a while after the end (payload_s > 0): the worker does not drop at once.
    await outbox.mark_delivered(
        delivered.id, {}, claims[delivered.id].lease_token, drop_private=False
    )
    await outbox.mark_rejected(
        rejected.id, "no", claims[rejected.id].lease_token, drop_private=False
    )
    await outbox.mark_retry(
        pending.id, "down", clock() + timedelta(days=400), claims[pending.id].lease_token
    )

    clock.advance(1800)
    assert await outbox.purge(clock(), retention) == PurgeResult(0, 0)
    assert (await outbox.get(delivered.id)).private == PRIVATE

    clock.advance(3600)
    assert await outbox.purge(clock(), retention) == PurgeResult(payloads_dropped=2, deleted=0)
    for record in (delivered, rejected):
        assert (await outbox.get(record.id)).private is None
        assert await outbox.read_files(record.id) == {}
    for record in (pending, parked):  # not final, or parked for an operator: all kept
        assert (await outbox.get(record.id)).private == PRIVATE
        assert len(await outbox.read_files(record.id)) == 2

    clock.advance(7 * 86400)
    assert await outbox.purge(clock(), retention) == PurgeResult(0, deleted=1)
    assert await outbox.get(rejected.id) is None
    assert await outbox.get(delivered.id) is not None

    clock.advance(30 * 86400)
    assert await outbox.purge(clock(), retention) == PurgeResult(0, deleted=1)
    assert await outbox.get(delivered.id) is None
    assert {r.id for r in await outbox.list_for_viewer(VIEWER)} == {pending.id, parked.id}
