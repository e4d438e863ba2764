"""The shared simulator admin surface, over a real loopback server with aiohttp as the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, FaultOutcome, SimulatorControl, parse_fault
from simulators.population import Population, Reading, ReadingSource


def _tiny_app(control: SimulatorControl) -> Starlette:
    """A stand-in simulator with one operation that obeys the control like the real ones."""

    async def operation(request: Request) -> Response:
        name = request.path_params["name"]
        control.record(name)
        outcome = await control.apply(name)
        if outcome.result == "outage":
            return Response(status_code=503)
        if outcome.result == "error":
            return JSONResponse({"error": "injected"}, status_code=500)
        return JSONResponse({"ok": name, "slow_body_ms": outcome.slow_body_ms})

    return Starlette(routes=[*control.admin_routes(), Route("/op/{name}", operation)])


@pytest.fixture
def control() -> SimulatorControl:
    return SimulatorControl("test", Population(seed=1, size=10, today=date(2026, 3, 1)))


@pytest.fixture
async def client(control: SimulatorControl) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with (
        running_servers([ServerSpec("admin-test", _tiny_app(control))]) as (server,),
        aiohttp.ClientSession() as session,
    ):
        yield session, server.url


async def test_calls_are_counted_per_operation(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, url = client
    for name in ("GetCases", "GetCases", "GetDocuments"):
        async with session.get(f"{url}/op/{name}") as response:
            assert response.status == 200
    async with session.get(f"{url}/_admin/calls") as response:
        assert await response.json() == {"GetCases": 2, "GetDocuments": 1}


async def test_faults_per_operation_and_wildcard(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, url = client
    async with session.post(
        f"{url}/_admin/faults", json={"operation": "GetCases", "error_rate": 1.0}
    ) as response:
        assert response.status == 200
        assert (await response.json())["error_rate"] == 1.0
    async with session.post(
        f"{url}/_admin/faults", json={"operation": "*", "outage": True}
    ) as response:
        assert response.status == 200
    async with session.get(f"{url}/op/GetCases") as response:
        assert response.status == 500
    async with session.get(f"{url}/op/Other") as response:
        assert response.status == 503 and await response.read() == b""
    async with session.get(f"{url}/_admin/faults") as response:
        assert set(await response.json()) == {"GetCases", "*"}

    async with session.delete(f"{url}/_admin/faults", params={"operation": "*"}) as response:
        assert set(await response.json()) == {"GetCases"}
    async with session.get(f"{url}/op/Other") as response:
        assert response.status == 200
    async with session.delete(f"{url}/_admin/faults") as response:
        assert await response.json() == {}
    async with session.get(f"{url}/op/GetCases") as response:
        assert response.status == 200


async def test_slow_body_and_latency_reach_the_simulator(
    client: tuple[aiohttp.ClientSession, str],
) -> None:
    session, url = client
    fault = {"operation": "GetFile", "latency_ms": 20, "slow_body_ms": 150}
    async with session.post(f"{url}/_admin/faults", json=fault) as response:
        assert response.status == 200
    async with session.get(f"{url}/op/GetFile") as response:
        assert (await response.json())["slow_body_ms"] == 150


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"error_rate": 0.5}', "operation"),
        (b'{"operation": "", "outage": true}', "operation"),
        (b'{"operation": "X", "error_rate": 1.5}', "error_rate"),
        (b'{"operation": "X", "error_rate": "high"}', "error_rate"),
        (b'{"operation": "X", "latency_ms": -1}', "latency_ms"),
        (b'{"operation": "X", "latency_ms": true}', "latency_ms"),
        (b'{"operation": "X", "slow_body_ms": 1.5}', "slow_body_ms"),
        (b'{"operation": "X", "outage": "yes"}', "outage"),
        (b'{"operation": "X", "latency": 5}', "unknown field"),
    ],
)
async def test_bad_fault_requests_get_400_and_change_nothing(
    client: tuple[aiohttp.ClientSession, str], body: bytes, message: str
) -> None:
    session, url = client
    async with session.post(
        f"{url}/_admin/faults", data=body, headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        answer = await response.json()
        assert message in answer["message"]
    async with session.get(f"{url}/_admin/faults") as response:
        assert await response.json() == {}


async def test_reset_clears_counters_faults_and_optionally_state(
    client: tuple[aiohttp.ClientSession, str], control: SimulatorControl
) -> None:
    session, url = client
    population = control.population
    owned = population.properties_of(population.person(1).pid)[0].property
    meter = population.meters(owned.matrikkelnummer)[0]
    reading = Reading(population.today, meter.readings[-1].value_m3 + 1, ReadingSource.CITIZEN)

    population.add_reading(meter.meter_number, reading)
    await (await session.get(f"{url}/op/GetCases")).release()
    await (
        await session.post(f"{url}/_admin/faults", json={"operation": "*", "outage": True})
    ).release()
    async with session.post(f"{url}/_admin/reset") as response:
        assert response.status == 200 and (await response.json())["state"] is False
    async with session.get(f"{url}/_admin/calls") as response:
        assert await response.json() == {}
    async with session.get(f"{url}/_admin/faults") as response:
        assert await response.json() == {}
    assert population.meters(owned.matrikkelnummer)[0].readings[-1] == reading

    async with session.post(f"{url}/_admin/reset", params={"state": "maybe"}) as response:
        assert response.status == 400
    async with session.post(f"{url}/_admin/reset", params={"state": "true"}) as response:
        assert response.status == 200
    assert population.meters(owned.matrikkelnummer)[0] == meter


async def test_apply_without_a_server(control: SimulatorControl) -> None:
    assert await control.apply("X") == FaultOutcome("ok")
    control.set_fault("X", Fault(error_rate=0.5))
    results = {(await control.apply("X")).result for _ in range(200)}
    assert results == {"ok", "error"}
    control.set_fault("X", Fault(slow_body_ms=30))
    outcome = await control.apply("X")
    assert outcome.ok and outcome.slow_body_ms == 30


def test_parse_fault_defaults() -> None:
    assert parse_fault({"operation": "GetCases"}) == ("GetCases", Fault())
