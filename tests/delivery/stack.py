"""Helpers of the delivery tests: the fee/meter and Public 360 simulators on loopback (the local
stack's own builder), connectors pointed at them, an SQLite outbox in ``tmp_path``, payloads."""

from __future__ import annotations

import asyncio
from base64 import b64encode
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from connectors.fees import FeesClient
from connectors.p360.client import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from delivery.payloads import ApplicationPayload
from kernel.server_secret import ServerSecret
from kernel.servers import running_servers
from kernel.settings import Settings
from minside.stack import SimulatorSet, simulator_set
from simulators.population import Population
from simulators.population.documented import HOMEOWNER
from simulators.population.models import Case, Meter
from stores.outbox import OutboxKind, OutboxStatus, fingerprint
from stores.outbox_sqlite import SqliteOutbox
from tests.clocks import T0, FakeDateTimeClock
from tests.simulator_admin import SimulatorAdmin

SECRET = ServerSecret("delivery-tests-" + "x" * 32)
# Deadlines no call misses on a loaded machine (no test here waits for one); a breaker that
# does not open in these tests (outages are counted by the outbox's attempts, not shed by the
# breaker, which has its own tests).
POLICY = ResiliencePolicy(deadline_s=20.0, retries=0, breaker_failure_threshold=1000)
PDF = b"%PDF-1.4\n% form\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\nfake"


@dataclass
class Stack:
    sims: SimulatorSet
    fees_url: str
    p360_url: str
    session: aiohttp.ClientSession

    @property
    def population(self) -> Population:
        return self.sims.population

    def fees(self) -> FeesClient:
        return FeesClient(
            self.session, self.fees_url, "minside", "minside", Resilience("fees", POLICY)
        )

    def p360(self) -> P360Client:
        return P360Client(
            self.session,
            self.p360_url + "/SI.WS.Core/SIF",
            "minside",
            "minside",
            Resilience("p360", POLICY),
        )

    @property
    def admin(self) -> SimulatorAdmin:
        """The simulators' admin surface over HTTP, as an operator would drive it."""
        return SimulatorAdmin(self.session, {"fees": self.fees_url, "p360": self.p360_url})

    async def fault(self, system: str, operation: str, **fault: Any) -> None:
        await self.admin.fault(system, operation=operation, **fault)

    async def clear_faults(self, system: str) -> None:
        await self.admin.clear_faults(system)

    async def calls(self, system: str) -> dict[str, int]:
        return await self.admin.calls(system)

    # --- the citizen and what the simulators hold for them ---------------------------------

    @property
    def pid(self) -> str:
        return self.population.person(HOMEOWNER).pid

    def meter(self) -> Meter:
        for owned in self.population.properties_of(self.pid):
            for meter in self.population.meters(owned.property.matrikkelnummer):
                if meter.is_active:
                    return meter
        raise AssertionError("the homeowner has no active meter")

    def created_cases(self, title: str) -> list[Case]:
        return [case for case in self.population.cases_of(self.pid) if case.title == title]


@pytest.fixture
async def stack():
    settings = Settings(population_size=50)
    sims = simulator_set(settings, free_ports=True)
    wanted = [spec for spec in sims.specs if spec.name in ("fees simulator", "p360 simulator")]
    async with running_servers(wanted) as servers, aiohttp.ClientSession() as session:
        urls = {server.spec.name: server.url for server in servers}
        yield Stack(sims, urls["fees simulator"], urls["p360 simulator"], session)


@pytest.fixture
def clock() -> FakeDateTimeClock:
    return FakeDateTimeClock(T0)


@pytest.fixture
async def outbox(tmp_path, clock):
    store = await SqliteOutbox.open(tmp_path / "outbox.sqlite3", clock=clock)
    yield store
    await store.close()


def reading_payload(stack: Stack, increase: str = "10") -> dict[str, Any]:
    meter = stack.meter()
    last = meter.readings[-1]
    return {
        "meter_number": meter.meter_number,
        "value": format(last.value_m3 + Decimal(increase), "f"),
        "read_on": stack.population.today.isoformat(),
        "comment": None,
    }


def application_payload(
    stack: Stack, title: str = "Søknad om parkeringstillatelse", files: tuple = ()
) -> dict:
    """An application in one piece (the outbox's schema-2 form, still read): ``accept`` splits
    it. ``files``: (name, content type, bytes) after the form PDF; default a small PNG."""
    return {
        "type_code": "PARKING_PERMIT",
        "title": title,
        "case_kind": "APPLICATION",
        "applicant_pid": stack.pid,
        "matrikkelnummer": None,
        "fields": [{"key": "plate", "value": "EL12345"}],
        "files": [
            {"name": name, "content_type": content_type, "data_base64": b64encode(data).decode()}
            for name, content_type, data in (
                ("soknad.pdf", "application/pdf", PDF),
                *(files or (("kart.png", "image/png", PNG),)),
            )
        ],
    }


async def accept(outbox, stack: Stack, kind: OutboxKind, payload: dict, key: str = "key-1"):
    """Accept as the mutations do: an application's dict (the one-piece form above, easy for a
    test to change) is split into the receipt's payload, private data and files."""
    viewer = SECRET.viewer_key(stack.pid)
    if kind is OutboxKind.APPLICATION and "files" in payload:
        write = ApplicationPayload.from_json(payload).to_write()
        return await outbox.accept(
            kind,
            key,
            fingerprint(payload),
            viewer,
            write.payload,
            private=write.private,
            files=write.files,
        )
    return await outbox.accept(kind, key, fingerprint(payload), viewer, payload)


async def wait_for_status(outbox, record_id, status: OutboxStatus, within_s: float):
    """Poll the outbox until the record has ``status``; fail after ``within_s`` seconds."""
    async with asyncio.timeout(within_s):
        while True:
            record = await outbox.get(record_id)
            if record is not None and record.status is status:
                return record
            await asyncio.sleep(0.05)
