"""Nothing lost, nothing twice: a real worker process killed with SIGKILL mid-delivery.

The simulators run in this test's process; the worker runs in a child process on the same
outbox file (``python -m delivery``, or :mod:`tests.delivery.worker_process` where it must stop
at a precise moment). Each scenario accepts a meter reading and an application, kills the worker
at one moment, restarts the real ``python -m delivery``, and then checks the simulators' state:
one reading, one case, one document, whatever the moment of the kill. Every moment runs on the
SQLite file; the kill after the back-office call (lease expiry, then a replay) also on the real
PostgreSQL (``MINSIDE_DATABASE_URL``), kept to one case for time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.settings import PROJECT_ROOT
from stores import PostgresOutbox
from stores.outbox import OutboxKind, OutboxStatus
from tests.delivery.stack import (
    accept,
    application_payload,
    reading_payload,
    wait_for_status,
)

HELPER = Path(__file__).with_name("worker_process.py")
LEASE_S = 2
CALL_LATENCY_MS = 3000


class WorkerProcess:
    """A delivery worker child process with its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *args],
                env=env,
                cwd=log.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_for(self, condition, within_s: float = 60.0) -> None:
        """Poll ``condition`` (sync or async) until true; fail if the process dies first."""
        async with asyncio.timeout(within_s):
            while True:
                result = condition()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return
                assert self.process.poll() is None, self.log.read_text()
                await asyncio.sleep(0.05)

    async def stop(self, sig: signal.Signals) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        async with asyncio.timeout(30):
            while self.process.poll() is None:  # noqa: ASYNC110 - a child process, no event
                await asyncio.sleep(0.05)
        return self.process.returncode


def worker_env(stack, outbox_path: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    if database_url is not None:
        env["MINSIDE_DATABASE_URL"] = database_url
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        MINSIDE_OUTBOX_URL=f"sqlite:///{outbox_path}",
        MINSIDE_FEES_URL=stack.fees_url,
        MINSIDE_P360_URL=stack.p360_url + "/SI.WS.Core/SIF",
        MINSIDE_DELIVERY_LEASE_S=str(LEASE_S),
        MINSIDE_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture
def database(request, backend) -> str | None:
    """The PostgreSQL URL of the test (a schema of its own), or None on SQLite."""
    return None if backend == "sqlite" else request.getfixturevalue("database_url")


@pytest.fixture
async def store(database, outbox, clock):
    """The test's view of the outbox the worker processes use: the SQLite file of the
    ``outbox`` fixture, or the test's PostgreSQL schema."""
    if database is None:
        yield outbox
        return
    on_postgres = await PostgresOutbox.open(database, clock=clock)
    try:
        yield on_postgres
    finally:
        await on_postgres.close()


@pytest.mark.parametrize(
    ("backend", "moment"),
    [
        ("sqlite", "before_claim"),
        ("sqlite", "during_call"),
        ("sqlite", "after_call"),
        ("postgres", "after_call"),
    ],
)
async def test_sigkill_at_any_moment_loses_nothing_and_delivers_once(
    tmp_path, stack, database, store, moment
):
    outbox = store
    outbox_path = tmp_path / "outbox.sqlite3"
    env = worker_env(stack, outbox_path, database)
    meter = stack.meter()
    readings_before = len(meter.readings)
    reading = reading_payload(stack)
    application = application_payload(stack, title=f"Søknad ({moment})")
    records = [
        (await accept(outbox, stack, OutboxKind.METER_READING, reading)).record,
        (await accept(outbox, stack, OutboxKind.APPLICATION, application)).record,
    ]
    markers = tmp_path / "markers"
    markers.mkdir()

    # --- first worker: killed at the chosen moment ----------------------------------------
    if moment == "during_call":
        await stack.fault("fees", "submitReading", latency_ms=CALL_LATENCY_MS)
        await stack.fault("p360", "CreateDocument", latency_ms=CALL_LATENCY_MS)
        first = WorkerProcess(["-m", "delivery"], env, tmp_path / "first.log")

        async def both_calls_in_flight() -> bool:
            fees, p360 = await stack.calls("fees"), await stack.calls("p360")
            return fees.get("submitReading", 0) >= 1 and p360.get("CreateDocument", 0) >= 1

        await first.wait_for(both_calls_in_flight)
    else:
        args = [str(HELPER), "--pause", moment, "--marker-dir", str(markers)]
        first = WorkerProcess(args, env, tmp_path / "first.log")
        if moment == "before_claim":
            await first.wait_for((markers / "ready").exists)
        else:
            await first.wait_for(lambda: all((markers / str(r.id)).exists() for r in records))
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL

    # What the kill left behind: nothing delivered in the outbox's eyes.
    left = [await outbox.get(record.id) for record in records]
    if moment == "before_claim":
        assert [r.status for r in left] == [OutboxStatus.PENDING] * 2
        assert await stack.calls("fees") == {}
    else:
        assert [r.status for r in left] == [OutboxStatus.DELIVERING] * 2
        # The application's first step was recorded before the second one started.
        assert left[1].progress.get("case_number")
    if moment == "after_call":
        # The back-office has everything already; only the outbox does not know it.
        assert len(stack.population.meter_by_number(meter.meter_number).readings) == (
            readings_before + 1
        )
        (case,) = stack.created_cases(application["title"])
        assert len(case.documents) == 1
    await stack.clear_faults("fees")
    await stack.clear_faults("p360")

    # --- the restarted gateway's worker (the real one) finishes the job -------------------
    second = WorkerProcess(["-m", "delivery"], env, tmp_path / "second.log")
    try:
        done = [
            await wait_for_status(outbox, record.id, OutboxStatus.DELIVERED, within_s=60)
            for record in records
        ]
    finally:
        assert await second.stop(signal.SIGTERM) == 0, (tmp_path / "second.log").read_text()

    # --- exactly once at the back-office -------------------------------------------------
    if moment == "during_call":
        await asyncio.sleep(CALL_LATENCY_MS / 1000)  # let the killed process's calls land
    readings = stack.population.meter_by_number(meter.meter_number).readings
    assert len(readings) == readings_before + 1
    assert format(readings[-1].value_m3, "f") == reading["value"]
    (case,) = stack.created_cases(application["title"])
    assert len(case.documents) == 1
    assert [f.name for f in case.documents[0].files] == ["soknad.pdf", "kart.png"]
    assert done[0].result["value"] == reading["value"]
    assert done[1].result["case_number"] == case.case_number
    assert done[1].result["document_number"] == case.documents[0].document_number
    assert all(record.attempts >= (1 if moment == "before_claim" else 2) for record in done)
    # A kill mid-delivery is one lost lease, far from the parking limit.
    assert all(record.lost_leases == (0 if moment == "before_claim" else 1) for record in done)
