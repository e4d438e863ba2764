"""The simulator's searches by owner (``nummerForPerson``), seen by a stock zeep client on the
reference WSDLs, with the raw replies validated against the vendored XSDs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import zeep
from lxml import etree

from tests.simulators.matrikkel.test_matrikkel_simulator import (  # noqa: F401  (fixtures)
    NS,
    SOAP_ENV,
    Sim,
    close,
    context,
    owner,
    plain_zeep,
    schema,
    sim,
)

SEARCHES = {
    # operation: (service, port, body parameter, search model)
    "findMatrikkelenheter": (
        "MatrikkelenhetServiceWS",
        "matrikkelenhet}MatrikkelenhetServicePortBinding",
        "matrikkelenhetsokModel",
        "matrikkelenhet}MatrikkelenhetsokModel",
    ),
    "findAdresseInfoObjekter": (
        "AdresseServiceWS",
        "adresse}AdresseServicePortBinding",
        "model",
        "adresse}AdressesokModel",
    ),
}


def search(sim_: Sim, operation: str, raw: bool = False, **criteria: Any) -> Any:
    service_name, port, parameter, model = SEARCHES[operation]
    client = plain_zeep(service_name, sim_.url, raw=raw)
    try:
        service = client.create_service(f"{{{NS}/service/{port}", f"{sim_.url}/{service_name}")
        body = {parameter: client.get_type(f"{{{NS}/domain/{model}")(**criteria)}
        return getattr(service, operation)(**body, matrikkelContext=context(client))
    finally:
        close(client)


async def test_find_matrikkelenheter_by_owner_gives_their_property_ids(sim: Sim) -> None:  # noqa: F811
    person, owned = owner(sim.population)
    ids = await asyncio.to_thread(search, sim, "findMatrikkelenheter", nummerForPerson=person.pid)
    assert [int(i.value) for i in ids] == [o.property.matrikkelenhet_id for o in owned]
    nobody = await asyncio.to_thread(
        search, sim, "findMatrikkelenheter", nummerForPerson="01010112345"
    )
    assert not nobody  # a search that matches nothing, not a fault


async def test_find_adresse_info_objekter_by_owner_gives_their_addresses(sim: Sim) -> None:  # noqa: F811
    person, owned = owner(sim.population)
    items = await asyncio.to_thread(
        search, sim, "findAdresseInfoObjekter", nummerForPerson=person.pid
    )
    expected = [
        (o.property.matrikkelenhet_id, a.adresse_id, a.street, a.number)
        for o in owned
        for a in sim.population.addresses_of(o.property.matrikkelenhet_id)
    ]
    got = [
        (
            int(i.matrikkelenhetDTO.matrikkelenhetId.value),
            int(i.adresseId.value),
            i.vegDTO.adressenavn,
            i.nr,
        )
        for i in items
    ]
    assert got == expected and expected


@pytest.mark.parametrize("operation", SEARCHES)
async def test_search_replies_validate_against_the_schema(
    sim: Sim,  # noqa: F811
    schema: etree.XMLSchema,  # noqa: F811
    operation: str,
) -> None:
    person, _ = owner(sim.population)
    reply = await asyncio.to_thread(search, sim, operation, True, nummerForPerson=person.pid)
    body = etree.fromstring(reply.content).find(f"{{{SOAP_ENV}}}Body")[0]
    schema.assertValid(etree.ElementTree(body))
    assert len(body[0]) > 0  # return/item


@pytest.mark.parametrize("operation", SEARCHES)
async def test_a_search_by_anything_else_is_refused(sim: Sim, operation: str) -> None:  # noqa: F811
    def run() -> zeep.exceptions.Fault:
        with pytest.raises(zeep.exceptions.Fault) as caught:
            search(sim, operation, kommunenummer="3030")
        return caught.value

    fault = await asyncio.to_thread(run)
    assert "ValidationException" in etree.tostring(fault.detail).decode()
