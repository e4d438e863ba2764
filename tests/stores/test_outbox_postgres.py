"""What only the PostgreSQL outbox has: versioned migrations under an advisory lock, pools of
many connections claiming at once, and the choice of backend by the settings.

The behaviour every backend shares is in ``test_outbox_contract.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import uuid
from datetime import timedelta

import psycopg
import pytest

from kernel.servers import free_port
from kernel.settings import load_settings
from minside.commands import migrate as migrate_command
from stores import PostgresOutbox, SqliteOutbox, migrate_outbox, open_outbox, outbox_url
from stores.outbox import OutboxKind, file_key, fingerprint
from stores.outbox_postgres import MIGRATIONS, SCHEMA_VERSION
from tests.clocks import T0, FakeDateTimeClock

VIEWER = "viewer-key"


def recorded_versions(url: str) -> list[int]:
    with psycopg.connect(url) as db:
        return [row[0] for row in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]


async def test_migrations_are_numbered_and_recorded_once(database_url):
    assert [version for version, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION >= 2
    for _ in range(2):  # idempotent: the second open finds nothing to do
        store = await PostgresOutbox.open(database_url)
        await store.close()
    assert recorded_versions(database_url) == list(range(1, SCHEMA_VERSION + 1))
    with psycopg.connect(database_url) as db:
        columns = {
            row[0]
            for row in db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'outbox' AND table_schema = current_schema()"
            )
        }
    assert "lost_leases" in columns
    assert "pid" not in columns  # the pid is only ever inside the payload


async def test_concurrent_opens_migrate_once(database_url):
    stores = await asyncio.gather(*(PostgresOutbox.open(database_url) for _ in range(4)))
    try:
        assert recorded_versions(database_url) == list(range(1, SCHEMA_VERSION + 1))
        accepted = await stores[0].accept(OutboxKind.METER_READING, "k", "f", VIEWER, {})
        assert await stores[3].get(accepted.record.id) == accepted.record
    finally:
        for store in stores:
            await store.close()


async def test_a_newer_schema_is_refused(database_url):
    store = await PostgresOutbox.open(database_url)
    await store.close()
    with psycopg.connect(database_url) as db:
        db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(RuntimeError, match="schema version"):
        await PostgresOutbox.open(database_url)
    with pytest.raises(RuntimeError, match="schema version"):
        await migrate_outbox(database_url)


async def test_two_pools_claiming_in_loops_share_the_records_exactly(database_url):
    clock = FakeDateTimeClock(T0)
    stores = [await PostgresOutbox.open(database_url, clock=clock, max_size=4) for _ in range(2)]
    try:
        ids = set()
        for i in range(50):
            payload = {"n": i}
            accepted = await stores[0].accept(
                OutboxKind.METER_READING, f"k{i}", fingerprint(payload), VIEWER, payload
            )
            ids.add(accepted.record.id)

        async def drain(store: PostgresOutbox) -> list:
            mine = []
            while batch := await store.claim_due(T0, lease_s=60, limit=2):
                mine.extend(batch)
                await asyncio.sleep(0)
            return mine

        claims = await asyncio.gather(*(drain(stores[i % 2]) for i in range(8)))
        claimed = [record.id for batch in claims for record in batch]
        assert len(claimed) == len(set(claimed)) == 50
        assert set(claimed) == ids
        assert sum(1 for batch in claims if batch) > 1  # the work was really shared
        stats = await stores[1].stats()
        assert (stats.pending, stats.delivering) == (0, 50)
        # Expired together: the next claims take them over once each, counting a lost lease.
        later = T0 + timedelta(seconds=61)
        again = await asyncio.gather(
            *(stores[i % 2].claim_due(later, lease_s=60, limit=10) for i in range(8))
        )
        retaken = [record for batch in again for record in batch]
        assert len(retaken) == len({r.id for r in retaken}) == 50
        assert {r.lost_leases for r in retaken} == {1}
    finally:
        for store in stores:
            await store.close()


async def test_the_settings_choose_the_backend(database_url, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    on_file = load_settings(outbox_url=sqlite_url)
    on_postgres = load_settings(outbox_url=sqlite_url, database_url=database_url)
    assert outbox_url(on_file) == sqlite_url
    assert outbox_url(on_postgres) == database_url
    for settings, kind in ((on_file, SqliteOutbox), (on_postgres, PostgresOutbox)):
        store = await open_outbox(settings)
        try:
            assert isinstance(store, kind)
        finally:
            await store.close()
    other_scheme = database_url.replace("postgresql://", "postgres://", 1)
    store = await open_outbox(other_scheme)
    await store.close()


def test_minside_migrate_prints_the_version(database_url, monkeypatch, capsys):
    monkeypatch.setenv("MINSIDE_DATABASE_URL", database_url)
    assert migrate_command.run(argparse.Namespace()) == 0
    assert f"outbox schema (PostgreSQL) is at version {SCHEMA_VERSION}" in capsys.readouterr().out
    assert recorded_versions(database_url) == list(range(1, SCHEMA_VERSION + 1))
    with psycopg.connect(database_url) as db:
        db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    assert migrate_command.run(argparse.Namespace()) == 1
    assert "schema version" in capsys.readouterr().err


def test_minside_migrate_on_the_sqlite_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "state" / "outbox.sqlite3"
    monkeypatch.setenv("MINSIDE_OUTBOX_URL", f"sqlite:///{path}")
    assert migrate_command.run(argparse.Namespace()) == 0
    assert "(SQLite, sqlite:///" in capsys.readouterr().out
    assert path.exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://minside:hunter2@127.0.0.1:{port}/minside?connect_timeout=2",
        "postgresql://minside:hunter2@127.0.0.1:{port}/minside?bogus=1",
        "host=127.0.0.1 port={port} password=hunter2 user",
    ],
)
def test_minside_migrate_never_prints_the_database_password(url, monkeypatch, capsys):
    # Nothing listens there (or the URL does not parse): the error is printed, the password
    # the URL carries is not.
    monkeypatch.setenv("MINSIDE_DATABASE_URL", url.format(port=free_port()))
    assert migrate_command.run(argparse.Namespace()) == 1
    captured = capsys.readouterr()
    assert "minside migrate: PostgreSQL outbox:" in captured.err
    assert "hunter2" not in captured.err + captured.out


async def test_version_2_payloads_are_split_by_migration_3(database_url):
    # Records accepted before "keeping less": the pid and base64 files inside the payload.
    data = b"%PDF-1.4 legacy attachment"
    legacy = {
        "type_code": "PARKING_PERMIT",
        "title": "Søknad",
        "applicant_pid": "13818097953",
        "fields": [],
        "files": [
            {
                "name": "a.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(data).decode(),
            },
            {
                "name": "b.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(data).decode(),
            },
        ],
    }
    pending, delivered = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, script in MIGRATIONS[:2]:
            db.execute(script.encode())
            db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        for record_id, status in ((pending, "PENDING"), (delivered, "DELIVERED")):
            db.execute(
                "INSERT INTO outbox (id, kind, idempotency_key, request_fingerprint, viewer_key, "
                "payload, status, next_attempt_at, created_at, updated_at) VALUES "
                "(%s, 'application', %s, 'f', %s, %s, %s, now(), now(), now())",
                (record_id, str(record_id), VIEWER, json.dumps(legacy), status),
            )
    store = await PostgresOutbox.open(database_url)
    try:
        waiting = await store.get(pending)
        assert waiting is not None
        assert waiting.private == {"applicant_pid": "13818097953"}
        assert "applicant_pid" not in waiting.payload
        entry = {
            "name": "a.pdf",
            "content_type": "application/pdf",
            "sha256": file_key(data),
            "size": len(data),
        }
        assert waiting.payload["files"] == [entry, {**entry, "name": "b.pdf"}]
        assert await store.read_files(pending) == {file_key(data): data}  # once
        done = await store.get(delivered)
        assert done is not None and done.private is None and done.payload_dropped_at is not None
        assert "applicant_pid" not in done.payload
        assert await store.read_files(delivered) == {}
    finally:
        await store.close()
