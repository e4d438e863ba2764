"""What only the SQLite outbox has: its file (mode, WAL), its URL and its schema versions.

The behaviour every backend shares is in ``test_outbox_contract.py``.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import uuid
from datetime import timedelta

import pytest

from kernel.server_secret import ServerSecret
from stores import open_outbox, outbox_path
from stores.outbox import (
    OutboxKind,
    OutboxRetention,
    OutboxStatus,
    file_key,
    fingerprint,
)
from stores.outbox_sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteOutbox
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


async def test_accepted_record_survives_reopening_the_file(tmp_path, clock):
    path = tmp_path / "var" / "outbox.sqlite3"
    first = await open_outbox(f"sqlite:///{path}", clock=clock)
    accepted = await accept(first)
    # No close(): the record must be on disk already, as after a crash.
    second = await SqliteOutbox.open(path, clock=clock)
    try:
        assert await second.get(accepted.record.id) == accepted.record
    finally:
        await second.close()
        await first.close()


async def test_a_version_1_file_is_migrated_and_keeps_its_records(tmp_path, clock):
    path = tmp_path / "outbox.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute(
            "INSERT INTO outbox (id, kind, idempotency_key, request_fingerprint, viewer_key, "
            "payload, status, attempts, next_attempt_at, created_at, updated_at) "
            "VALUES (?, 'meter_reading', 'old', 'f', ?, '{}', 'PENDING', 0, ?, ?, ?)",
            (str(uuid.uuid4()), VIEWER, T0.timestamp(), T0.timestamp(), T0.timestamp()),
        )
    db.close()
    store = await SqliteOutbox.open(path, clock=clock)
    try:
        (old,) = await store.list_for_viewer(VIEWER)
        assert old.lost_leases == 0
        assert old.status is OutboxStatus.PENDING
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    db.close()
    assert SCHEMA_VERSION == len(MIGRATIONS) == 3


def _version_2_file(path, records):
    """An outbox file as schema version 2 wrote it, holding ``records`` (id, status, payload)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (2)")
        for step in MIGRATIONS[:2]:
            for statement in step:
                db.execute(statement)
        for number, (record_id, status, payload) in enumerate(records):
            db.execute(
                "INSERT INTO outbox (id, kind, idempotency_key, request_fingerprint, viewer_key, "
                "payload, status, attempts, next_attempt_at, created_at, updated_at) "
                "VALUES (?, 'application', ?, 'f', ?, ?, ?, 0, ?, ?, ?)",
                (
                    str(record_id),
                    f"key-{number}",
                    VIEWER,
                    json.dumps(payload),
                    status,
                    T0.timestamp(),
                    T0.timestamp(),
                    T0.timestamp(),
                ),
            )
    db.close()


async def test_version_2_payloads_are_split_by_the_migration(tmp_path, clock):
    data = b"%PDF-1.4 legacy attachment"
    legacy = {
        "type_code": "PARKING_PERMIT",
        "title": "Søknad",
        "applicant_pid": PID,
        "fields": [],
        "files": [
            {
                "name": "a.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(data).decode(),
            },
        ],
    }
    pending, delivered = uuid.uuid4(), uuid.uuid4()
    path = tmp_path / "outbox.sqlite3"
    _version_2_file(path, [(pending, "PENDING", legacy), (delivered, "DELIVERED", legacy)])

    store = await SqliteOutbox.open(path, clock=clock)
    try:
        waiting = await store.get(pending)
        assert waiting.private == {"applicant_pid": PID}
        assert waiting.payload["files"] == [
            {
                "name": "a.pdf",
                "content_type": "application/pdf",
                "sha256": file_key(data),
                "size": len(data),
            }
        ]
        assert "applicant_pid" not in waiting.payload
        assert await store.read_files(pending) == {file_key(data): data}
        done = await store.get(delivered)
        assert done.private is None and done.payload_dropped_at is not None
        assert await store.read_files(delivered) == {}
    finally:
        await store.close()
    # Only the pending record's private data holds the number any more.
    assert path.read_bytes().count(PID.encode()) == 1


async def test_dropped_private_data_and_files_are_gone_from_the_file(tmp_path, clock):
    path = tmp_path / "outbox.sqlite3"
    attachment = b"ATTACHMENT-MARKER-" + os.urandom(64 * 1024)
    store = await SqliteOutbox.open(path, clock=clock)
    try:
        record = (
            await store.accept(
                OutboxKind.APPLICATION,
                "k",
                "f",
                VIEWER,
                {"title": "x"},
                private={"applicant_pid": PID},
                files=[attachment],
            )
        ).record
        (claim,) = await store.claim_due(clock(), lease_s=30, limit=1)
        await store.mark_delivered(record.id, {"case_number": "2026/1"}, claim.lease_token)
    finally:
        await store.close()
    raw = path.read_bytes()
    assert PID.encode() not in raw
    assert b"ATTACHMENT-MARKER-" not in raw
    assert b"2026/1" in raw  # the receipt stays


async def test_each_attachment_is_stored_once_and_retries_do_not_grow_the_file(tmp_path, clock):
    # The incident: a 21 MB application grew the outbox by 112 MB while it retried (base64 in
    # the JSON payload, rewritten with the row at every claim and retry). Now: raw bytes, once,
    # apart from the row that the delivery attempts update.
    path = tmp_path / "outbox.sqlite3"
    attachments = [os.urandom(1024 * 1024) for _ in range(3)]
    total = sum(map(len, attachments))
    store = await SqliteOutbox.open(path, clock=clock)
    try:
        record = (
            await store.accept(
                OutboxKind.APPLICATION,
                "big",
                "f",
                VIEWER,
                {"title": "stor"},
                private={"applicant_pid": PID},
                files=[*attachments, attachments[0]],
            )
        ).record
        for _ in range(10):
            (claim,) = await store.claim_due(clock(), lease_s=30, limit=1)
            await store.renew_lease(claim.id, claim.lease_token, clock() + timedelta(seconds=60))
            await store.mark_retry(claim.id, "SystemUnavailable", clock(), claim.lease_token)
        assert len(await store.read_files(record.id)) == 3
    finally:
        await store.close()  # folds the WAL into the file
    with sqlite3.connect(path) as db:
        (stored,) = db.execute("SELECT SUM(LENGTH(data)) FROM outbox_file").fetchone()
    db.close()
    assert stored == total  # the duplicate not stored again, no base64
    assert path.stat().st_size <= total * 1.1 + 256 * 1024


async def test_the_purge_gives_the_space_of_dropped_files_back(tmp_path, clock):
    path = tmp_path / "outbox.sqlite3"
    store = await SqliteOutbox.open(path, clock=clock)
    try:
        record = (
            await store.accept(
                OutboxKind.APPLICATION,
                "k",
                "f",
                VIEWER,
                {"title": "x"},
                private={"applicant_pid": PID},
                files=[os.urandom(4 * 1024 * 1024)],
            )
        ).record
        (claim,) = await store.claim_due(clock(), lease_s=30, limit=1)
        await store.mark_delivered(record.id, {}, claim.lease_token)
        await store.purge(clock(), OutboxRetention())
        assert await store.get(record.id) is not None  # the receipt stays
    finally:
        await store.close()
    assert path.stat().st_size < 512 * 1024
    assert not path.with_name(path.name + "-wal").exists() or (
        path.with_name(path.name + "-wal").stat().st_size <= 4 * 1024 * 1024
    )
