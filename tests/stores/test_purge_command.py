"""`minside purge`: the retention settings applied to the configured outbox, counts printed."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from minside.commands import purge as purge_command
from stores.outbox import OutboxKind, OutboxStatus
from stores.outbox_sqlite import SqliteOutbox
from tests.clocks import FakeDateTimeClock

PID = "13818097953"  # synthetic (month + 80)


async def _records(path):
    """One receipt delivered 19 months ago, one delivered yesterday, one still waiting."""
    clock = FakeDateTimeClock(datetime.now(UTC) - timedelta(days=19 * 30))
    store = await SqliteOutbox.open(path, clock=clock)
    try:
        ids = []
        for key in ("old", "recent", "waiting"):
            accepted = await store.accept(
                OutboxKind.APPLICATION,
                key,
                key,
                "viewer",
                {"title": key},
                private={"applicant_pid": PID},
                files=[key.encode()],
            )
            ids.append(accepted.record.id)
            if key == "recent":
                clock.now = datetime.now(UTC) - timedelta(days=1)
            if key != "waiting":
                (claim,) = await store.claim_due(clock(), lease_s=30, limit=1)
                await store.mark_delivered(claim.id, {}, claim.lease_token, drop_private=False)
        return ids
    finally:
        await store.close()


async def test_minside_purge_applies_the_retention_settings(tmp_path, monkeypatch, capsys):
    path = tmp_path / "outbox.sqlite3"
    old, recent, waiting = await _records(path)
    monkeypatch.setenv("MINSIDE_OUTBOX_URL", f"sqlite:///{path}")

    # The command runs asyncio.run() itself: on a thread of its own, as from the shell.
    assert await asyncio.to_thread(purge_command.run, argparse.Namespace()) == 0

    assert capsys.readouterr().out.splitlines() == [
        "outbox: payloads_dropped 1, deleted 1",
        "access_log: deleted 0",  # the other store with personal data, purged by the same run
    ]
    store = await SqliteOutbox.open(path)
    try:
        assert await store.get(old) is None  # past the 18 months of receipts
        kept = await store.get(recent)
        assert kept is not None and kept.status is OutboxStatus.DELIVERED
        assert kept.private is None and await store.read_files(recent) == {}
        still = await store.get(waiting)
        assert still is not None and still.private == {"applicant_pid": PID}
    finally:
        await store.close()


def test_minside_purge_reports_an_unusable_outbox(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINSIDE_OUTBOX_URL", "ftp://nowhere")
    assert purge_command.run(argparse.Namespace()) == 1
    assert capsys.readouterr().err.startswith("minside purge: ")
