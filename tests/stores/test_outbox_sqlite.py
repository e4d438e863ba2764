"""The SQLite outbox on real files: durability, replay/conflict, listing, claims and leases."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import uuid
from datetime import datetime, timedelta

import pytest

from kernel.server_secret import ServerSecret
from stores import open_outbox, outbox_path
from stores.outbox import (
    LeaseLost,
    OutboxConflict,
    OutboxKind,
    OutboxStatus,
    RecordNotFound,
    fingerprint,
)
from stores.outbox_sqlite import SCHEMA_VERSION, SqliteOutbox
from tests.clocks import T0, FakeDateTimeClock

SECRET = ServerSecret("test-secret-" + "x" * 32)
PID = "13818097953"  # synthetic (month + 80)
VIEWER = SECRET.viewer_key(PID)
READING = {"meter_number": "M-1", "value": "10.5", "read_on": "2026-06-01", "comment": None}


@pytest.fixture
def clock() -> FakeDateTimeClock:
    return FakeDateTimeClock(T0)


@pytest.fixture
async def outbox(tmp_path, clock):
    store = await SqliteOutbox.open(tmp_path / "outbox.sqlite3", clock=clock)
    yield store
    await store.close()


async def accept(outbox, key="k1", payload=READING, viewer=VIEWER, kind=OutboxKind.METER_READING):
    return await outbox.accept(kind, key, fingerprint(payload), viewer, payload)


def test_viewer_key_is_the_gateways_pseudonym_without_the_pid():
    key = SECRET.viewer_key(PID)
    assert PID not in key
    assert key == VIEWER
    assert key != ServerSecret("other-secret-" + "y" * 32).viewer_key(PID)


def test_fingerprint_is_canonical():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_outbox_url():
    assert str(outbox_path("sqlite:///var/outbox.sqlite3")) == "var/outbox.sqlite3"
    assert str(outbox_path("sqlite:////srv/outbox.sqlite3")) == "/srv/outbox.sqlite3"
    for bad in ("postgresql://db/minside", "sqlite:///", "outbox.sqlite3"):
        with pytest.raises(ValueError):
            outbox_path(bad)


async def test_accepted_record_survives_reopening_the_file(tmp_path, clock):
    path = tmp_path / "var" / "outbox.sqlite3"
    first = await open_outbox(f"sqlite:///{path}", clock=clock)
    accepted = await accept(first)
    # No close(): the record must be on disk already, as after a crash.
    second = await SqliteOutbox.open(path, clock=clock)
    try:
        found = await second.get(accepted.record.id)
        assert found is not None
        assert found.status is OutboxStatus.PENDING
        assert found.payload == READING
        assert found.viewer_key == VIEWER
        assert found.attempts == 0
        assert found.next_attempt_at == T0
        assert found.created_at == T0
    finally:
        await second.close()
        await first.close()


async def test_file_is_private_and_durably_configured(tmp_path, outbox):
    path = tmp_path / "outbox.sqlite3"
    await accept(outbox)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    wal = tmp_path / "outbox.sqlite3-wal"
    assert wal.exists()
    assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        # The pid is only ever inside the payload: no column or index holds it in clear.
        columns = [row[1] for row in db.execute("PRAGMA table_info(outbox)")]
        assert "pid" not in columns
    db.close()


async def test_new_directory_is_private(tmp_path, clock):
    store = await SqliteOutbox.open(tmp_path / "state" / "outbox.sqlite3", clock=clock)
    await store.close()
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700


async def test_newer_schema_is_refused(tmp_path, clock):
    path = tmp_path / "outbox.sqlite3"
    store = await SqliteOutbox.open(path, clock=clock)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.close()
    with pytest.raises(RuntimeError, match="schema version"):
        await SqliteOutbox.open(path, clock=clock)


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
    # Leased: nobody else gets it while the lease runs.
    assert await outbox.claim_due(T0 + timedelta(seconds=29), lease_s=30, limit=10) == []
    assert await outbox.next_due_at() == T0 + timedelta(seconds=30)


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
    assert second.lease_token != first.lease_token
    with pytest.raises(LeaseLost):
        await outbox.mark_delivered(first.id, {"receipt_id": "x"}, first.lease_token)
    done = await outbox.mark_delivered(second.id, {"receipt_id": "y"}, second.lease_token)
    assert done.status is OutboxStatus.DELIVERED
    assert done.result == {"receipt_id": "y"}
    assert done.lease_token is None


async def test_two_outboxes_on_one_file_never_claim_the_same_record(tmp_path, clock):
    path = tmp_path / "outbox.sqlite3"
    stores = [await SqliteOutbox.open(path, clock=clock) for _ in range(2)]
    try:
        accepted = [await accept(stores[0], key=f"k{i}") for i in range(20)]
        batches = await asyncio.gather(
            *(stores[i % 2].claim_due(T0, lease_s=60, limit=3) for i in range(10))
        )
        claimed = [record.id for batch in batches for record in batch]
        assert len(claimed) == len(set(claimed)) == 20
        assert set(claimed) == {a.record.id for a in accepted}
    finally:
        for store in stores:
            await store.close()


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
    assert again.progress == {"case_number": "2026/1"}
    rejected = await outbox.mark_rejected(again.id, "rejected: no", again.lease_token)
    assert rejected.status is OutboxStatus.REJECTED
    assert rejected.last_error == "rejected: no"
    assert rejected.id == accepted.record.id
    # Final: never claimed again, and nothing is due any more.
    assert await outbox.claim_due(T0 + timedelta(days=1), lease_s=30, limit=10) == []
    assert await outbox.next_due_at() is None


async def test_unknown_record(outbox):
    assert await outbox.get(uuid.uuid4()) is None
    with pytest.raises(RecordNotFound):
        await outbox.mark_delivered(uuid.uuid4(), {}, "token")


async def test_naive_times_are_refused(outbox):
    await accept(outbox)
    with pytest.raises(ValueError):
        await outbox.claim_due(datetime(2026, 6, 15), lease_s=30, limit=1)


async def test_closed_outbox_refuses_work(tmp_path, clock):
    store = await SqliteOutbox.open(tmp_path / "o.sqlite3", clock=clock)
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
    assert (stats.pending, stats.delivering) == (1, 1)
    assert stats.oldest_waiting_at == first.created_at
    await outbox.mark_delivered(claimed.id, {"receipt": "r"}, claimed.lease_token)
    stats = await outbox.stats()
    assert (stats.pending, stats.delivering) == (1, 0)
    assert stats.oldest_waiting_at == first.created_at + timedelta(seconds=30)
