"""MatrikkelClient against the Matrikkel simulator over loopback: every operation and failure.

Faults are injected through the simulator's real admin control; every failure must surface as a
ConnectorError subclass (never a zeep/aiohttp/lxml exception) and never carry the fødselsnummer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.errors import (
    CircuitOpen,
    ConnectorError,
    MalformedResponse,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.matrikkel import MatrikkelClient, Matrikkelnummer
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap import SoapFault
from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, SimulatorControl
from simulators.matrikkel import build_app
from simulators.population import Population
from tests.clocks import FakeClock

USER, PASSWORD = "minside", "secret"
API = "/matrikkelapi/wsapi/v1"
# A deadline no ordinary call misses on a loaded machine; the timeout test asks for 0.5 s.
POLICY = ResiliencePolicy(
    deadline_s=20.0,
    retries=1,
    backoff_base_s=0.001,
    backoff_max_s=0.002,
    breaker_failure_threshold=3,
    breaker_reset_s=30.0,
)


@dataclass
class Stack:
    population: Population
    control: SimulatorControl
    url: str
    session: aiohttp.ClientSession
    clock: FakeClock
    broken_url: str  # a server at the same paths answering broken XML

    def client(
        self,
        *,
        password: str = PASSWORD,
        batch: int = 1000,
        url: str | None = None,
        deadline_s: float = POLICY.deadline_s,
    ):
        policy = dataclasses.replace(POLICY, deadline_s=deadline_s)
        resilience = Resilience("matrikkel", policy, clock=self.clock)
        return MatrikkelClient(
            self.session, url or self.url + API, USER, password, resilience, batch
        )


async def garbage(request: Request) -> Response:
    return Response(b"<S:Envelope><not-closed>", media_type="text/xml")


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    population = Population(seed=2026, size=300)
    control = SimulatorControl("matrikkel", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    broken = Starlette(routes=[Route(f"{API}/{{name}}", garbage, methods=["POST"])])
    specs = [ServerSpec("matrikkel", app), ServerSpec("broken", broken)]
    async with running_servers(specs) as servers, aiohttp.ClientSession() as session:
        yield Stack(population, control, servers[0].url, session, FakeClock(), servers[1].url + API)


def owner_with_properties(population: Population, *, shared: bool = False):
    for index in range(population.size):
        person = population.person(index)
        owned = population.properties_of(person.pid)
        if owned and (not shared or any(o.share == "1/2" for o in owned)):
            return person, owned
    raise AssertionError("the population has no such owner")


async def test_find_person_id_known_and_unknown(stack: Stack) -> None:
    client = stack.client()
    person, _ = owner_with_properties(stack.population)
    person_id = await client.find_person_id(person.pid)
    assert isinstance(person_id, int)
    assert await client.find_person_id(person.pid) == person_id  # stable
    assert await client.find_person_id("01010112345") is None  # not in the population


async def test_owned_properties_match_the_register(stack: Stack) -> None:
    client = stack.client()
    person, owned = owner_with_properties(stack.population, shared=True)
    person_id = await client.find_person_id(person.pid)
    assert person_id is not None
    refs = await client.owned_properties(person_id)
    expected = {o.property.matrikkelenhet_id: o for o in owned}
    assert [r.property_id for r in refs] == list(expected)
    for ref in refs:
        truth = expected[ref.property_id]
        assert ref.share == truth.share
        assert ref.property is not None
        assert str(ref.property.matrikkelnummer) == truth.property.matrikkelnummer
        assert ref.property.kind == truth.property.kind
    assert "1/2" in {r.share for r in refs}


async def test_get_properties_is_aligned_and_batched(stack: Stack) -> None:
    client = stack.client(batch=2)
    _, owned = owner_with_properties(stack.population)
    known = [o.property.matrikkelenhet_id for o in owned]
    ids = [*known, 1, known[0]]  # an unknown id and a duplicate
    stack.control.reset()
    properties = await client.get_properties(ids)
    assert len(properties) == len(ids)
    assert properties[-2] is None
    assert properties[0] == properties[-1]
    for prop, truth in zip(properties, owned, strict=False):
        assert prop is not None and prop.id == truth.property.matrikkelenhet_id
    batches = -(-len(ids) // 2)
    # One getObjects per batch; the batch holding the unknown id is asked again leniently.
    assert stack.control.calls["getObjects"] == batches
    assert stack.control.calls["getObjectsIgnoreMissing"] == 1


async def test_addresses_and_buildings_match_the_register(stack: Stack) -> None:
    client = stack.client(batch=3)
    _, owned = owner_with_properties(stack.population)
    ids = [o.property.matrikkelenhet_id for o in owned]
    stack.control.reset()
    addresses = await client.addresses_for(ids)
    buildings = await client.buildings_for(ids)
    assert len(addresses) == len(buildings) == len(ids)
    for pid_, rows, bygg in zip(ids, addresses, buildings, strict=True):
        truth = stack.population.addresses_of(pid_)
        assert [(a.street, a.number, a.letter or "", a.postnummer, a.poststed) for a in rows] == [
            (t.street, t.number, t.letter, t.postnummer, t.poststed) for t in truth
        ]
        for a, t in zip(rows, truth, strict=True):
            assert a.east == pytest.approx(t.east) and a.north == pytest.approx(t.north)
        building_truth = stack.population.buildings_of(pid_)
        assert [(b.id, b.bygningsnummer, b.type_code, b.built_year, b.floors) for b in bygg] == [
            (t.bygg_id, t.bygningsnummer, t.type_code, t.built_year, t.floors)
            for t in building_truth
        ]
    # A fixed number of round trips, whatever the number of properties.
    assert stack.control.calls["findAdresserForMatrikkelenheter"] == 1
    assert stack.control.calls["findByggForMatrikkelenheter"] == 1
    assert await client.addresses_for([]) == [] and await client.buildings_for([]) == []


async def test_ping(stack: Stack) -> None:
    await stack.client().ping()


async def test_latency_beyond_the_deadline_is_a_timeout(stack: Stack) -> None:
    stack.control.set_fault("findPersonIdForIdent", Fault(latency_ms=1000))
    person, _ = owner_with_properties(stack.population)
    with pytest.raises(SystemTimeout) as caught:
        await stack.client(deadline_s=0.5).find_person_id(person.pid)
    assert person.pid not in str(caught.value) and person.pid not in repr(caught.value)


async def test_injected_error_is_a_service_exception_fault(stack: Stack) -> None:
    stack.control.set_fault("*", Fault(error_rate=1.0))
    person, _ = owner_with_properties(stack.population)
    with pytest.raises(SoapFault) as caught:
        await stack.client().find_person_id(person.pid)
    assert isinstance(caught.value, RemoteFault)
    assert caught.value.code == "ServiceException"
    assert person.pid not in str(caught.value)
    # A remote fault is not retried: the system answered.
    assert stack.control.calls["findPersonIdForIdent"] == 1


async def test_wrong_password_is_unauthorized(stack: Stack) -> None:
    with pytest.raises(RemoteFault) as caught:
        await stack.client(password="wrong").ping()
    assert caught.value.code == "unauthorized"


async def test_malformed_xml_is_malformed_response(stack: Stack) -> None:
    client = stack.client(url=stack.broken_url)
    with pytest.raises(MalformedResponse):
        await client.get_properties([1])


async def test_outage_opens_the_breaker_then_recovers(stack: Stack) -> None:
    client = stack.client()
    _, owned = owner_with_properties(stack.population)
    ids = [owned[0].property.matrikkelenhet_id]
    stack.control.set_fault("*", Fault(outage=True))
    failures: list[ConnectorError] = []
    for _ in range(POLICY.breaker_failure_threshold):
        with pytest.raises(SystemUnavailable) as caught:
            await client.get_properties(ids)
        failures.append(caught.value)
    calls_while_open = stack.control.calls["getObjects"]
    with pytest.raises(CircuitOpen):
        await client.get_properties(ids)
    assert stack.control.calls["getObjects"] == calls_while_open  # failed fast, not called

    stack.control.clear_faults()
    stack.clock.now += POLICY.breaker_reset_s + 1
    properties = await client.get_properties(ids)
    assert properties[0] is not None
    assert properties[0].matrikkelnummer == Matrikkelnummer(
        owned[0].property.kommunenummer,
        owned[0].property.gnr,
        owned[0].property.bnr,
        owned[0].property.fnr,
        owned[0].property.snr,
    )


async def test_slow_body_still_parses(stack: Stack) -> None:
    stack.control.set_fault("getObjects", Fault(slow_body_ms=100))
    _, owned = owner_with_properties(stack.population)
    properties = await stack.client().get_properties([owned[0].property.matrikkelenhet_id])
    assert properties[0] is not None


def test_matrikkelnummer_prints_the_national_form() -> None:
    assert str(Matrikkelnummer("3030", 12, 45)) == "3030-12/45/0/0"
    assert str(Matrikkelnummer("0301", 207, 3, 0, 14)) == "0301-207/3/0/14"
