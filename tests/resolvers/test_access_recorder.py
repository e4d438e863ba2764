"""The access log's recorder: buffers without waiting, writes in batches, drops (counted and
logged) when full or when the store fails, writes what is left on shutdown; Min side and
partner clients told apart."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from kernel.partners import ClientRegistry, load_partners
from kernel.server_secret import ServerSecret
from kernel.settings import DEFAULT_PARTNERS_FILE
from resolvers.access_recorder import AccessReads, AccessRecorder
from stores.access_log import AccessCriteria, AccessKind
from stores.access_log_sqlite import SqliteAccessLog

SECRET = ServerSecret("recorder-secret-" + "r" * 32)
PID = "13818097953"
OWN = "minside-gateway"
PARTNER = "demo-fakturaportal"  # the demo catalogue's invoice portal
CLIENTS = ClientRegistry(OWN, load_partners(DEFAULT_PARTNERS_FILE, own_client_id=OWN).partners)


def viewer(method=AuthMethod.SESSION, client_id=OWN) -> Viewer:
    client = CLIENTS.get(client_id)
    assert client is not None
    return Viewer(pid=PID, sub="s", acr=Acr.SUBSTANTIAL, method=method, client=client)


class Counts:
    """The metrics' side of the observer, counted."""

    def __init__(self) -> None:
        self.written = 0
        self.dropped: Counter[str] = Counter()

    def on_access_log_written(self, count: int) -> None:
        self.written += count

    def on_access_log_dropped(self, count: int, reason: str) -> None:
        self.dropped[reason] += count


def reads(*items: tuple[AccessKind, str, bool]) -> AccessReads:
    collected = AccessReads()
    for kind, object_id, download in items:
        collected.add(kind, object_id, download=download)
    return collected


@pytest.fixture
async def store(tmp_path):
    opened = await SqliteAccessLog.open(tmp_path / "outbox.sqlite3")
    yield opened
    await opened.close()


def recorder(store, counts, **limits) -> AccessRecorder:
    return AccessRecorder(
        store,
        SECRET,
        CLIENTS,
        queue_max=limits.get("queue_max", 100),
        batch_max=limits.get("batch_max", 100),
        observer=counts,
    )


async def test_one_entry_per_kind_and_download_flag(store):
    counts = Counts()
    rec = recorder(store, counts)
    writer = asyncio.create_task(rec.run())
    request = reads(
        (AccessKind.CASE, "c1", False),
        (AccessKind.CASE, "c2", False),
        (AccessKind.CASE, "c1", False),  # once per request
        (AccessKind.DOCUMENT, "d1", False),
        (AccessKind.DOCUMENT, "d1", True),
    )
    assert rec.record(viewer(), request) == 3
    assert not request  # taken
    assert await rec.caught_up()
    await rec.stop(writer)
    page = await store.page(SECRET.viewer_key(PID), AccessCriteria(), 10)
    by_key = {(e.kind, e.download): e.object_ids for e in page.entries}
    assert by_key == {
        (AccessKind.CASE, False): ("c1", "c2"),
        (AccessKind.DOCUMENT, False): ("d1",),
        (AccessKind.DOCUMENT, True): ("d1",),
    }
    assert {e.client_name for e in page.entries} == {"Min side"}
    assert counts.written == 3


async def test_record_never_waits_and_drops_when_full(store, caplog):
    counts = Counts()
    rec = recorder(store, counts, queue_max=2)  # no writer runs: the buffer fills
    caplog.set_level(logging.WARNING, "resolvers.access_recorder")
    first = reads((AccessKind.CASE, "c", False), (AccessKind.INVOICE, "i", False))
    assert rec.record(viewer(), first) == 2
    assert rec.record(viewer(), reads((AccessKind.PROPERTY, "p", False))) == 0
    assert counts.dropped == {"queue_full": 1}
    assert any("dropped" in r.getMessage() for r in caplog.records)
    assert PID not in caplog.text
    # One warning a minute at most, however many drops.
    for _ in range(5):
        rec.record(viewer(), reads((AccessKind.PROPERTY, "p", False)))
    assert counts.dropped == {"queue_full": 6}
    assert sum("dropped" in r.getMessage() for r in caplog.records) == 1


async def test_batches_are_bounded_and_shutdown_writes_what_is_left(store):
    counts = Counts()
    rec = recorder(store, counts, batch_max=2)
    for index in range(5):
        rec.record(viewer(), reads((AccessKind.CASE, f"c{index}", False)))
    writer = asyncio.create_task(rec.run())
    await rec.stop(writer)  # the writer starts, drains the buffer, ends
    assert writer.done()
    page = await store.page(SECRET.viewer_key(PID), AccessCriteria(), 10)
    assert page.total_count == 5
    assert counts.written == 5


async def test_a_store_that_fails_costs_the_batch_not_the_writer(store, monkeypatch):
    counts = Counts()
    rec = recorder(store, counts)
    monkeypatch.setattr("resolvers.access_recorder.RETRY_PAUSE_S", 0.0)
    await store.close()  # every write now fails
    writer = asyncio.create_task(rec.run())
    rec.record(viewer(), reads((AccessKind.CASE, "c", False)))
    assert await rec.caught_up()  # done: dropped, not stuck
    assert counts.dropped == {"store_failed": 1}
    assert not writer.done()  # still serving
    await rec.stop(writer)


async def test_min_side_and_partners_are_told_apart(store):
    """A browser session and a token of Min side's own client are recorded as Min side; a
    partner's token by its client id and nb name."""
    rec = recorder(store, Counts())
    writer = asyncio.create_task(rec.run())
    rec.record(viewer(), reads((AccessKind.CASE, "session", False)))
    rec.record(viewer(AuthMethod.BEARER, OWN), reads((AccessKind.CASE, "own", False)))
    rec.record(viewer(AuthMethod.BEARER, PARTNER), reads((AccessKind.CASE, "partner", False)))
    assert await rec.caught_up()
    await rec.stop(writer)
    page = await store.page(SECRET.viewer_key(PID), AccessCriteria(), 10)
    clients = {entry.object_ids: (entry.client_id, entry.client_name) for entry in page.entries}
    assert clients == {
        ("session",): (OWN, "Min side"),
        ("own",): (OWN, "Min side"),
        ("partner",): (PARTNER, "Fakturaportalen (demo)"),
    }
