"""The searches that start from the fødselsnummer, and the reference cache of the address chain.

``findMatrikkelenheter`` and ``findAdresseInfoObjekter`` take ``nummerForPerson``, so neither
needs the PersonId first; roads and postal areas come from the client's reference cache after
the first time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.matrikkel.reference_cache import ReferenceCache
from kernel.servers import ServerSpec, running_servers
from simulators.admin import SimulatorControl
from simulators.matrikkel import build_app
from simulators.population import Population
from tests.clocks import FakeClock
from tests.connectors.matrikkel.test_matrikkel_client import (
    API,
    PASSWORD,
    USER,
    Stack,
    owner_with_properties,
)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    """The Matrikkel simulator over loopback (no broken server needed here)."""
    population = Population(seed=2026, size=300)
    control = SimulatorControl("matrikkel", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    servers = running_servers([ServerSpec("matrikkel", app)])
    async with servers as (server,), aiohttp.ClientSession() as session:
        yield Stack(population, control, server.url, session, FakeClock(), server.url + API)


async def test_property_ids_of_a_person_are_those_they_own(stack: Stack) -> None:
    client = stack.client()
    person, owned = owner_with_properties(stack.population, shared=True)
    stack.control.reset()
    ids = await client.property_ids_of(person.pid)
    assert ids == [o.property.matrikkelenhet_id for o in owned]
    assert dict(stack.control.calls) == {"findMatrikkelenheter": 1}  # no PersonId step
    assert await client.property_ids_of("01010112345") == []  # unknown: owns nothing


async def test_addresses_of_a_person_equal_those_of_their_properties(stack: Stack) -> None:
    client = stack.client()
    person, owned = owner_with_properties(stack.population)
    ids = [o.property.matrikkelenhet_id for o in owned]
    by_property = await client.addresses_for(ids)
    client.reference_cache.clear()
    stack.control.reset()
    by_person = await client.addresses_of_person(person.pid)
    assert dict(stack.control.calls) == {"findAdresseInfoObjekter": 1, "getObjects": 2}
    expected = {i: rows for i, rows in zip(ids, by_property, strict=True) if rows}
    assert by_person == expected
    assert any(a.street and a.postnummer for rows in expected.values() for a in rows)
    assert await client.addresses_of_person("01010112345") == {}


async def test_roads_and_postal_areas_are_asked_once_per_process(stack: Stack) -> None:
    client = stack.client()
    person, _ = owner_with_properties(stack.population)
    first = await client.addresses_of_person(person.pid)
    stack.control.reset()
    assert await client.addresses_of_person(person.pid) == first
    # The addresses themselves are the person's data and are asked again; their roads and
    # postal areas come from the reference cache.
    assert dict(stack.control.calls) == {"findAdresseInfoObjekter": 1, "getObjects": 1}


async def test_the_numbers_of_properties_seen_are_known_without_a_call(stack: Stack) -> None:
    client = stack.client()
    _, owned = owner_with_properties(stack.population)
    ids = [o.property.matrikkelenhet_id for o in owned]
    assert client.known_numbers(ids) == {}
    properties = await client.get_properties(ids)
    stack.control.reset()
    known = client.known_numbers([*ids, 1])
    assert known == {p.id: p.matrikkelnummer for p in properties if p}
    assert len(known) == len(ids)
    assert not stack.control.calls


def test_reference_cache_expires_after_its_ttl() -> None:
    clock = FakeClock(0.0)
    cache: ReferenceCache[str, int] = ReferenceCache(ttl_s=10, clock=clock)
    cache.put_many({"a": 1})
    clock.now = 9.9
    assert cache.get_many(["a", "b"]) == ({"a": 1}, ["b"])
    clock.now = 10.0
    assert cache.get_many(["a"]) == ({}, ["a"])
    assert len(cache) == 0


def test_reference_cache_evicts_the_least_recently_used() -> None:
    cache: ReferenceCache[str, int] = ReferenceCache(max_entries=2, clock=FakeClock(0.0))
    cache.put_many({"a": 1, "b": 2})
    cache.get_many(["a"])  # a is now the most recently used
    cache.put_many({"c": 3})
    assert cache.get_many(["a", "b", "c"]) == ({"a": 1, "c": 3}, ["b"])


def test_reference_cache_refuses_nonsense_bounds() -> None:
    with pytest.raises(ValueError):
        ReferenceCache(ttl_s=0)
    with pytest.raises(ValueError):
        ReferenceCache(max_entries=0)
