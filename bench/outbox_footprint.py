"""Memory and disk of one large application in the outbox while Public 360 keeps failing.

The incident of issue 13: one 21 MB application grew the outbox by 112 MB and the gateway to
1.1 GB while it retried. This replays it on the delivery side of a gateway process (the SQLite
outbox, the delivery worker, the P360 connector) against the P360 simulator in a process of its
own, and prints, after each phase, the process's resident memory (now and peak) and the outbox's
size on disk (file + WAL)::

    .venv/bin/python -m bench.outbox_footprint [--files 3] [--mib 4] [--attempts 10]

Phases: accept the application (``--files`` attachments of ``--mib`` MiB of incompressible
bytes, plus a form PDF); ``--attempts`` delivery attempts while ``CreateDocument`` is down
(retried each time); 20 listings of the viewer's records (what a dashboard's pending
applications read); the outage ends and the record is delivered. With ``--refuse`` the
simulator's archive limit is set below the attachment size first (the simulator must know
``/_admin/limits``) and the attempts count how often the refused record is tried.

Written to run on the code before issue 13 too (the old payload and ``accept``), so the same
script measures before and after: run it from an export of the older commit with this
checkout's virtualenv.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from connectors.p360.client import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from delivery.handlers import ApplicationDelivery
from delivery.payloads import ApplicationField, ApplicationFile, ApplicationPayload
from delivery.worker import DeliveryWorker
from kernel.server_secret import ServerSecret
from kernel.servers import free_port
from kernel.systems import SYSTEM_NAMES
from simulators.population import Population
from simulators.population.documented import HOMEOWNER
from stores.outbox import OutboxKind, fingerprint
from stores.outbox_sqlite import SqliteOutbox

MIB = 1024 * 1024
POLICY = ResiliencePolicy(deadline_s=60.0, retries=0, breaker_failure_threshold=10_000)


def _status(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _outbox_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _report(phase: str, path: Path, **extra: Any) -> None:
    import tracemalloc

    traced = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else (0, 0)
    row = {
        "phase": phase,
        "python_live_mib": round(traced[0] / MIB, 1),
        "python_peak_mib": round(traced[1] / MIB, 1),
        "rss_mib": round(_status("VmRSS") / MIB, 1),
        "peak_rss_mib": round(_status("VmHWM") / MIB, 1),
        "outbox_mib": round(_outbox_bytes(path) / MIB, 1),
        **extra,
    }
    print(json.dumps(row), flush=True)


def _census() -> None:
    """The live objects of 1 MiB or more, by type (what a retry keeps alive)."""
    import gc

    before = _status("VmRSS")
    gc.set_debug(gc.DEBUG_SAVEALL)
    found = gc.collect()
    big = 0
    for thing in gc.garbage:
        if isinstance(thing, dict | list | tuple):
            values = thing.values() if isinstance(thing, dict) else thing
            big += sum(len(v) for v in values if isinstance(v, bytes | str) and len(v) > MIB)
    kinds: dict[str, int] = {}
    for thing in gc.garbage:
        name = type(thing).__qualname__
        kinds[name] = kinds.get(name, 0) + 1
    top = dict(sorted(kinds.items(), key=lambda item: -item[1])[:25])
    gc.set_debug(0)
    gc.garbage.clear()
    gc.collect()
    freed = round((before - _status("VmRSS")) / MIB, 1)
    print(
        json.dumps(
            {"cyclic_garbage": found, "big_mib": big / MIB, "freed_mib": freed, "kinds": top}
        ),
        flush=True,
    )


def _start_simulators(population_size: int) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, MINSIDE_POPULATION_SIZE=str(population_size))
    for name in SYSTEM_NAMES:
        env[f"MINSIDE_{name.upper()}_SIM_PORT"] = str(free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "minside.cli", "simulators"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{env['MINSIDE_P360_SIM_PORT']}"


async def _wait_up(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.get(url + "/_admin/calls") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the simulators did not start")
        await asyncio.sleep(0.2)


def _application(pid: str, files: int, mib: int) -> ApplicationPayload:
    return ApplicationPayload(
        type_code="GRAVETILLATELSE",
        title="Søknad om gravetillatelse (stor)",
        applicant_pid=pid,
        fields=(ApplicationField("location", "Storgata 1"),),
        files=(
            ApplicationFile("skjema.pdf", "application/pdf", b"%PDF-1.4 form\n%%EOF\n"),
            *(
                ApplicationFile(f"vedlegg-{n}.pdf", "application/pdf", os.urandom(mib * MIB))
                for n in range(files)
            ),
        ),
    )


async def _accept(outbox: SqliteOutbox, viewer: str, application: ApplicationPayload) -> Any:
    if hasattr(application, "to_write"):  # after issue 13
        write = application.to_write()
        return await outbox.accept(
            OutboxKind.APPLICATION,
            "big",
            "fp",
            viewer,
            write.payload,
            private=write.private,
            files=write.files,
        )
    payload = application.to_json()  # type: ignore[attr-defined]  # before issue 13
    return await outbox.accept(
        OutboxKind.APPLICATION, "big", fingerprint({"k": 1}), viewer, payload
    )


async def main(args: argparse.Namespace) -> None:
    population = Population(seed=2026, size=50)
    pid = population.person(HOMEOWNER).pid
    viewer = ServerSecret("bench-" + "x" * 32).viewer_key(pid)
    process, p360_url = _start_simulators(50)
    now = [datetime.now(UTC)]
    try:
        with tempfile.TemporaryDirectory() as home:
            path = Path(home) / "outbox.sqlite3"
            async with aiohttp.ClientSession() as session:
                await _wait_up(session, p360_url)
                if args.refuse:
                    limits = {"max_file_bytes": args.mib * MIB // 2}
                    await session.post(p360_url + "/_admin/limits", json=limits)
                outbox = await SqliteOutbox.open(path)
                _report("start", path)
                application = _application(pid, args.files, args.mib)
                record = (await _accept(outbox, viewer, application)).record
                del application
                _report("accepted", path, attachments_mib=args.files * args.mib)

                client = P360Client(
                    session,
                    p360_url + "/SI.WS.Core/SIF",
                    "minside",
                    "minside",
                    Resilience("p360", POLICY),
                )
                worker = DeliveryWorker(
                    outbox,
                    {OutboxKind.APPLICATION: ApplicationDelivery(client)},
                    clock=lambda: now[0],
                    lease_s=600,
                )
                if not args.refuse:
                    fault = {"operation": "CreateDocument", "outage": True}
                    await session.post(p360_url + "/_admin/faults", json=fault)
                tried = 0
                now[0] = datetime.now(UTC)  # the record was accepted just now: due
                for _ in range(args.attempts):
                    outcomes = await worker.run_once()
                    tried += len(outcomes)
                    now[0] += timedelta(hours=1)
                current = await outbox.get(record.id)
                assert current is not None
                if args.census:
                    _census()
                _report(
                    "retried",
                    path,
                    attempts=tried,
                    status=current.status.value,
                    last_error=(current.last_error or "")[:60],
                )
                for _ in range(20):
                    await outbox.list_for_viewer(viewer)
                _report("listed 20 times", path)
                await session.delete(p360_url + "/_admin/faults")
                await worker.run_once()
                current = await outbox.get(record.id)
                assert current is not None
                _report("after the outage", path, status=current.status.value)
                if args.trace and args.census:
                    import tracemalloc

                    for stat in tracemalloc.take_snapshot().statistics("traceback")[:3]:
                        print(stat, *stat.traceback.format()[-12:], sep="\n", flush=True)
                if hasattr(outbox, "purge"):  # after issue 13: the worker's hourly purge
                    from stores.outbox import OutboxRetention

                    await outbox.purge(datetime.now(UTC), OutboxRetention())
                    _report("purged", path)
                await outbox.close()
                _report("closed", path)
    finally:
        process.terminate()
        process.wait(timeout=30)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--mib", type=int, default=4)
    parser.add_argument("--attempts", type=int, default=10)
    parser.add_argument("--refuse", action="store_true")
    parser.add_argument("--census", action="store_true", help="list large live objects")
    parser.add_argument(
        "--trace", action="store_true", help="also trace Python's own allocations (slower)"
    )
    args = parser.parse_args()
    if args.trace:
        import tracemalloc

        tracemalloc.start()
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
