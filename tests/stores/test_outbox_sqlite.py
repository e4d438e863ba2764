"""What only the SQLite outbox has: its file (mode, WAL), its URL and its schema versions.

The behaviour every backend shares is in ``test_outbox_contract.py``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid

import pytest

from kernel.server_secret import ServerSecret
from stores import open_outbox, outbox_path
from stores.outbox import (
    OutboxKind,
    OutboxStatus,
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
