"""The access log's store contract, run against the SQLite file and the real PostgreSQL.

Writing batches, paging newest first with keyset cursors, filtering by kind, time and client,
purging by age, keying by the viewer's pseudonym (no fødselsnummer in any stored row), and
living beside the outbox (the same file, the same database, ``minside migrate``).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta

import psycopg
import pytest

from kernel.server_secret import ServerSecret
from kernel.settings import load_settings
from stores import migrate_outbox, open_access_log, open_outbox, purge_access_log
from stores.access_log import (
    AccessCriteria,
    AccessCursor,
    AccessEntry,
    AccessKind,
    AccessLog,
)
from tests.clocks import T0

SECRET = ServerSecret("test-secret-" + "x" * 32)
PID = "13818097953"  # synthetic (month + 80)
OTHER_PID = "02889012345"
VIEWER = SECRET.viewer_key(PID)
OTHER = SECRET.viewer_key(OTHER_PID)


def entry(
    at_s: float = 0,
    kind: AccessKind = AccessKind.CASE,
    ids: tuple[str, ...] = ("Q2FzZToyMDI2LzE=",),
    viewer: str = VIEWER,
    client: str = "minside-gateway",
    download: bool = False,
) -> AccessEntry:
    return AccessEntry(
        viewer_key=viewer,
        at=T0 + timedelta(seconds=at_s),
        client_id=client,
        client_name="Min side" if client == "minside-gateway" else client,
        kind=kind,
        object_ids=ids,
        download=download,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("database_url")
    return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"


@pytest.fixture
async def log(url) -> AsyncIterator[AccessLog]:
    store = await open_access_log(url)
    yield store
    await store.close()


def rows_of(url: str) -> list[tuple[object, ...]]:
    """Every stored row, read past the store."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute("SELECT * FROM access_log").fetchall()
    with psycopg.connect(url) as db:
        return db.execute("SELECT * FROM access_log").fetchall()


async def test_written_entries_come_back_newest_first(log):
    await log.write([entry(0), entry(10, AccessKind.INVOICE, ("SW52b2ljZToxMDAx",))])
    await log.write([entry(5, AccessKind.DOCUMENT, ("a", "b"), download=True)])
    page = await log.page(VIEWER, AccessCriteria(), 10)
    assert [e.at for e in page.entries] == [T0 + timedelta(seconds=s) for s in (10, 5, 0)]
    newest, middle, _ = page.entries
    assert newest.kind is AccessKind.INVOICE
    assert newest.object_ids == ("SW52b2ljZToxMDAx",)
    assert middle.object_ids == ("a", "b")
    assert middle.download is True
    assert newest.download is False
    assert newest.client_id == "minside-gateway"
    assert newest.client_name == "Min side"
    assert newest.viewer_key == VIEWER
    assert page.total_count == 3
    assert not page.has_next_page


async def test_pages_follow_their_cursors_and_keep_their_place(log):
    # Several entries at the same instant: the id breaks the tie.
    await log.write([entry(i // 2, ids=(f"id-{i}",)) for i in range(7)])
    first = await log.page(VIEWER, AccessCriteria(), 3)
    assert first.has_next_page and first.total_count == 7
    # An entry written between pages is newer: the next page does not shift.
    await log.write([entry(100, ids=("late",))])
    cursor = AccessCursor.decode(first.entries[-1].cursor.encode())
    assert cursor == first.entries[-1].cursor
    second = await log.page(VIEWER, AccessCriteria(), 3, cursor)
    third = await log.page(VIEWER, AccessCriteria(), 3, second.entries[-1].cursor)
    seen = [e.object_ids[0] for e in (*first.entries, *second.entries, *third.entries)]
    assert sorted(seen) == [f"id-{i}" for i in range(7)]
    assert len(set(seen)) == 7
    assert not third.has_next_page
    assert [e.object_ids[0] for e in first.entries] == ["id-6", "id-5", "id-4"]


async def test_only_the_viewers_own_entries(log):
    await log.write([entry(0), entry(1, viewer=OTHER, ids=("theirs",))])
    mine = await log.page(VIEWER, AccessCriteria(), 10)
    theirs = await log.page(OTHER, AccessCriteria(), 10)
    assert [e.object_ids for e in theirs.entries] == [("theirs",)]
    assert len(mine.entries) == 1 and mine.entries[0].object_ids != ("theirs",)
    assert (await log.page("nobody", AccessCriteria(), 10)).total_count == 0


async def test_filters_by_kind_time_and_client(log):
    await log.write(
        [
            entry(0, AccessKind.CASE),
            entry(3600, AccessKind.INVOICE, client="partner-portal"),
            entry(7200, AccessKind.PROPERTY),
        ]
    )

    async def kinds(criteria: AccessCriteria) -> list[AccessKind]:
        page = await log.page(VIEWER, criteria, 10)
        assert page.total_count == len(page.entries)
        return [e.kind for e in page.entries]

    wanted = frozenset({AccessKind.CASE, AccessKind.PROPERTY})
    assert await kinds(AccessCriteria(kinds=wanted)) == [AccessKind.PROPERTY, AccessKind.CASE]
    assert await kinds(AccessCriteria(kinds=frozenset())) == []
    hour = timedelta(hours=1)
    # since inclusive, until exclusive
    assert await kinds(AccessCriteria(since=T0 + hour)) == [AccessKind.PROPERTY, AccessKind.INVOICE]
    assert await kinds(AccessCriteria(until=T0 + hour)) == [AccessKind.CASE]
    assert await kinds(AccessCriteria(client_id="partner-portal")) == [AccessKind.INVOICE]


async def test_purge_deletes_only_what_is_older(log, url):
    await log.write([entry(-86400 * 600), entry(-86400 * 549, viewer=OTHER), entry(-60)])
    assert await log.purge(T0 - timedelta(days=548)) == 2
    assert await log.purge(T0 - timedelta(days=548)) == 0
    left = await log.page(VIEWER, AccessCriteria(), 10)
    assert [e.at for e in left.entries] == [T0 - timedelta(seconds=60)]
    assert len(rows_of(url)) == 1


async def test_purge_by_the_settings_retention(url):
    settings = load_settings(
        outbox_url=url if url.startswith("sqlite") else "sqlite:///unused",
        database_url=url if url.startswith("postgres") else None,
        access_log_retention_days=30,
    )
    store = await open_access_log(url)
    try:
        await store.write([entry(-86400 * 31), entry(-86400 * 29)])
    finally:
        await store.close()
    assert await purge_access_log(settings, now=lambda: T0) == 1


async def test_rows_hold_the_pseudonym_never_the_pid(log, url):
    await log.write([entry(0), entry(1, viewer=OTHER, download=True)])
    rows = rows_of(url)
    assert len(rows) == 2
    text = repr(rows)
    assert PID not in text and OTHER_PID not in text
    assert VIEWER in text and OTHER in text


async def test_a_purged_entry_leaves_no_trace_in_the_sqlite_file(tmp_path):
    """Deleted rows are overwritten, not left readable in the file's free pages, as the
    outbox's dropped private data is (the log shares its file: PRAGMA secure_delete is per
    connection, so the log's own connection must set it too)."""
    path = tmp_path / "outbox.sqlite3"
    url = f"sqlite:///{path}"
    marker = "UHVyZ2VkOm1hcmtlcg"  # a global id only the purged entry names
    store = await open_access_log(url)
    try:
        await store.write([entry(-86400 * 600, ids=(marker,), viewer=OTHER), entry(-60)])
    finally:
        await store.close()  # the last connection: the WAL is folded into the file
    assert marker.encode() in path.read_bytes()  # the check below can see it
    store = await open_access_log(url)
    try:
        assert await store.purge(T0 - timedelta(days=548)) == 1
    finally:
        await store.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    assert marker.encode() not in stored
    assert OTHER.encode() not in stored


async def test_bad_entries_are_refused(log):
    with pytest.raises(ValueError):
        await log.write([entry(ids=())])
    with pytest.raises(ValueError):
        await log.write([dataclasses.replace(entry(), at=T0.replace(tzinfo=None))])
    await log.write([])  # nothing to do


async def test_it_lives_beside_the_outbox(url):
    outbox = await open_outbox(url)
    store = await open_access_log(url)
    try:
        await store.write([entry()])
        assert await outbox.next_due_at() is None  # the outbox is unharmed beside it
        assert (await store.page(VIEWER, AccessCriteria(), 1)).total_count == 1
    finally:
        await store.close()
        await outbox.close()
    # `minside migrate` (the outbox's migration) leaves the table in place and migrated.
    await migrate_outbox(url)
    assert len(rows_of(url)) == 1


def test_cursors_refuse_anything_not_theirs():
    assert AccessCursor.decode("bm90LWEtY3Vyc29y") is None
    assert AccessCursor.decode("!!!") is None
    assert AccessCursor.decode("") is None
    huge = AccessCursor(T0, 10**19)
    assert AccessCursor.decode(huge.encode()) is None
    cursor = AccessCursor(T0 + timedelta(microseconds=7), 42)
    assert AccessCursor.decode(cursor.encode()) == cursor
