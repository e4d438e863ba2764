"""Nothing lost, nothing twice — with a real gateway process killed by SIGKILL.

The ID-porten stand-in and the simulators run in this test's process (so they, and the state
we check, survive the kill); the gateway runs alone as ``minside serve`` in a child process with
its outbox file in ``tmp_path``. The citizen submits a meter reading and an application through
GraphQL; the back-office's write operations are slowed down; the gateway is killed either
while both deliveries are in flight or right after the mutations were accepted; a new gateway
process is started on the same outbox; and the simulators must end with exactly one reading,
one case and one document — and the citizen's receipts (same ids) must say DELIVERED.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kernel.server_secret import ServerSecret
from kernel.servers import free_port
from kernel.settings import Settings
from minside.stack import RunningStack, running_stack
from simulators.population import Population, documented
from stores.outbox import OutboxStatus
from stores.outbox_sqlite import SqliteOutbox
from tests.gateway_process import GatewayProcess, backoffice_environment
from tests.graph.submission.helpers import (
    PDF,
    SUBMISSIONS,
    SUBMIT_APPLICATION,
    SUBMIT_READING,
    digging,
    multipart_form,
    reading_input,
    wait_until,
)
from tests.graph.submission.test_application import MAP
from tests.simulator_admin import SimulatorAdmin

LATENCY_MS = 3000
LEASE_S = 2
TITLE = "Søknad om gravetillatelse"
SECRET = "sigkill-test-secret-" + "s" * 32


@dataclass
class Backoffice:
    """Stand-in and simulators in this process (a local stack; its own gateway stays idle),
    and a port for the gateway process under test."""

    stack: RunningStack
    gateway_port: int
    http: aiohttp.ClientSession
    admin: SimulatorAdmin

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def population(self) -> Population:
        return self.stack.population

    def token(self, pid: str) -> str:
        return self.stack.token(pid)


@pytest.fixture
async def backoffice() -> AsyncIterator[Backoffice]:
    async with (
        running_stack(Settings(population_size=50)) as stack,
        aiohttp.ClientSession() as http,
    ):
        yield Backoffice(stack, free_port(), http, SimulatorAdmin(http, stack.urls))


def gateway(backoffice: Backoffice, tmp_path: Path, name: str) -> GatewayProcess:
    """``minside serve`` on the test's port and outbox file, with short leases."""
    return GatewayProcess(
        backoffice.gateway_port,
        {
            **backoffice_environment(backoffice.stack.settings),
            "MINSIDE_OUTBOX_URL": f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
            "MINSIDE_SECRET_KEY": SECRET,
            "MINSIDE_DELIVERY_LEASE_S": str(LEASE_S),
            "MINSIDE_DELIVERY_BACKOFF_MAX_S": "2",
            "MINSIDE_FEES_DEADLINE_S": "15",
            "MINSIDE_P360_DEADLINE_S": "15",
            "MINSIDE_SUBMISSION_WAIT_S": "0",
        },
        tmp_path,
        name,
    )


async def graphql(backoffice: Backoffice, pid: str, query: str, variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {backoffice.token(pid)}"}
    async with backoffice.http.post(
        backoffice.gateway_url + "/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def submit_both(backoffice: Backoffice, pid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The reading (JSON) and the application (multipart), concurrently; their receipts."""
    population = backoffice.population
    (owned,) = population.properties_of(pid)
    (meter,) = population.meters(owned.property.matrikkelnummer)
    reading = graphql(backoffice, pid, SUBMIT_READING, {"input": reading_input(meter, "9")})

    async def application() -> Any:
        form = multipart_form(
            SUBMIT_APPLICATION,
            {"input": digging(idempotencyKey=str(uuid.uuid4()))},
            [(MAP[0], "kart.pdf", "application/pdf", PDF)],
        )
        async with backoffice.http.post(
            backoffice.gateway_url + "/graphql",
            data=form,
            headers={"Authorization": f"Bearer {backoffice.token(pid)}"},
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    first, second = await asyncio.gather(reading, application())
    return first["data"]["submitMeterReading"], second["data"]["submitApplication"]


@pytest.mark.parametrize("moment", ["during_delivery", "right_after_accept"])
async def test_sigkill_of_the_gateway_loses_nothing_and_delivers_once(tmp_path, backoffice, moment):
    population = backoffice.population
    pid = population.person(documented.HOMEOWNER).pid
    (owned,) = population.properties_of(pid)
    (meter,) = population.meters(owned.property.matrikkelnummer)
    readings_before = len(meter.readings)
    cases_before = len(population.cases_of(pid))

    await backoffice.admin.fault("fees", operation="submitReading", latency_ms=LATENCY_MS)
    for operation in ("CreateCase", "CreateDocument"):
        await backoffice.admin.fault("p360", operation=operation, latency_ms=LATENCY_MS)

    first = gateway(backoffice, tmp_path, "first")
    try:
        await first.ready(backoffice.http)
        reading, application = await submit_both(backoffice, pid)
        assert reading["status"] == "PENDING", reading
        assert application["status"] == "PENDING", application
        if moment == "during_delivery":

            async def both_in_flight() -> bool:
                fees = await backoffice.admin.calls("fees")
                p360 = await backoffice.admin.calls("p360")
                return fees.get("submitReading", 0) >= 1 and p360.get("CreateCase", 0) >= 1

            await wait_until(both_in_flight, every_s=0.05)
    finally:
        killed = await first.stop(signal.SIGKILL)
    assert killed == -signal.SIGKILL

    # What the kill left behind: both accepted durably, neither finished in the outbox's eyes.
    outbox = await SqliteOutbox.open(tmp_path / "outbox.sqlite3")
    try:
        viewer_key = ServerSecret(SECRET).viewer_key(pid)
        left = {str(record.id): record for record in await outbox.list_for_viewer(viewer_key)}
    finally:
        await outbox.close()
    assert set(left) == {reading["receiptId"], application["receiptId"]}
    if moment == "during_delivery":
        assert {r.status for r in left.values()} == {OutboxStatus.DELIVERING}
    else:
        assert not any(r.status.is_final for r in left.values())

    await backoffice.admin.clear_faults("fees")
    await backoffice.admin.clear_faults("p360")
    second = gateway(backoffice, tmp_path, "second")
    try:
        await second.ready(backoffice.http)

        async def all_delivered() -> list[dict[str, Any]] | None:
            answer = await graphql(backoffice, pid, SUBMISSIONS, {})
            items = answer["data"]["viewer"]["submissions"]
            done = len(items) == 2 and all(i["status"] == "DELIVERED" for i in items)
            return items if done else None

        items = await wait_until(all_delivered, within_s=90)
    finally:
        assert await second.stop(signal.SIGTERM) == 0, second.output()

    # The killed process's calls may still be running at the simulators: let them land.
    await asyncio.sleep(LATENCY_MS / 1000 + 0.5)
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["METER_READING"]["receiptId"] == reading["receiptId"]
    assert by_kind["APPLICATION"]["receiptId"] == application["receiptId"]
    readings = population.meter_by_number(meter.meter_number).readings
    assert len(readings) == readings_before + 1
    assert format(readings[-1].value_m3, "f") == reading["reading"]["value"]
    new_cases = [case for case in population.cases_of(pid) if case.title == TITLE]
    assert len(population.cases_of(pid)) == cases_before + 1
    (case,) = new_cases
    assert case.case_number == by_kind["APPLICATION"]["caseNumber"]
    assert len(case.documents) == 1
    assert [f.name for f in case.documents[0].files] == ["gravetillatelse-skjema.pdf", "kart.pdf"]
