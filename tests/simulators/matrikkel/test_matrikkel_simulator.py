"""The Matrikkel simulator seen by a stock SOAP client, and its replies checked against the XSDs.

A plain synchronous zeep client (requests transport) loads the ORIGINAL reference WSDL and calls
the simulator over loopback, so the simulator is proven against the contract rather than against
our own connector. Raw replies are validated with lxml's XMLSchema built from the vendored XSDs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from connectors.matrikkel.client import WSDL_DIR
from kernel.servers import ServerSpec, running_servers
from simulators.admin import SimulatorControl
from simulators.matrikkel import build_app
from simulators.population import Population

# shared/ lies beside the repository (in development and in CI); the vendored files are
# byte-identical copies of it (tests/connectors/matrikkel checks), so they stand in elsewhere.
_SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "matrikkel" / "wsdl"
REFERENCE = _SHARED if _SHARED.is_dir() else WSDL_DIR
USER, PASSWORD = "minside", "secret"
API = "/matrikkelapi/wsapi/v1"
NS = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1"
DOMAIN = f"{{{NS}/domain}}"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Sim:
    population: Population
    control: SimulatorControl
    url: str


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    population = Population(seed=2026, size=200)
    control = SimulatorControl("matrikkel", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    async with running_servers([ServerSpec("matrikkel", app)]) as servers:
        yield Sim(population, control, servers[0].url + API)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    """One schema over every vendored XSD (each namespace lives in one file)."""
    wrapper = etree.Element("{http://www.w3.org/2001/XMLSchema}schema")
    for path in sorted(WSDL_DIR.glob("*.xsd")):
        namespace = etree.parse(str(path)).getroot().get("targetNamespace")
        if namespace in {node.get("namespace") for node in wrapper}:
            continue
        etree.SubElement(
            wrapper,
            "{http://www.w3.org/2001/XMLSchema}import",
            namespace=namespace,
            schemaLocation=path.as_uri(),
        )
    return etree.XMLSchema(wrapper)


def plain_zeep(service: str, url: str, *, raw: bool = False) -> zeep.Client:
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    settings = zeep.Settings(raw_response=raw)
    client = zeep.Client(
        str(REFERENCE / f"{service}.wsdl"), transport=Transport(session=session), settings=settings
    )
    return client


def context(client: zeep.Client) -> object:
    return client.get_type(DOMAIN + "MatrikkelContext")(
        locale="no_NO_B",
        brukOriginaleKoordinater=False,
        koordinatsystemKodeId={"value": 10},
        systemVersion="trunk",
        klientIdentifikasjon="test",
    )


def owner(population: Population):
    for index in range(population.size):
        person = population.person(index)
        owned = population.properties_of(person.pid)
        if owned and population.addresses_of(owned[0].property.matrikkelenhet_id):
            return person, owned
    raise AssertionError("no owner with an address")


def close(client: zeep.Client) -> None:
    client.transport.session.close()


async def test_plain_zeep_client_gets_correct_answers(sim: Sim) -> None:
    person, owned = owner(sim.population)

    def run() -> tuple[int, list[int], list[object]]:
        person_client = plain_zeep("PersonServiceWS", sim.url)
        enhet_client = plain_zeep("MatrikkelenhetServiceWS", sim.url)
        store_client = plain_zeep("StoreServiceWS", sim.url)
        try:
            person_service = person_client.create_service(
                f"{{{NS}/service/person}}PersonServicePortBinding", f"{sim.url}/PersonServiceWS"
            )
            ident = person_client.get_type(f"{{{NS}/domain/person}}FysiskPersonIdent")
            person_id = person_service.findPersonIdForIdent(
                personIdent=ident(fodselsnummer=person.pid),
                matrikkelContext=context(person_client),
            )
            enhet_service = enhet_client.create_service(
                f"{{{NS}/service/matrikkelenhet}}MatrikkelenhetServicePortBinding",
                f"{sim.url}/MatrikkelenhetServiceWS",
            )
            id_type = enhet_client.get_type(f"{{{NS}/domain/person}}PersonId")
            ids = enhet_service.findEideMatrikkelenheterForPerson(
                personId=id_type(value=person_id), matrikkelContext=context(enhet_client)
            )
            store_service = store_client.create_service(
                f"{{{NS}/service/store}}StoreServicePortBinding", f"{sim.url}/StoreServiceWS"
            )
            typed = store_client.get_type(f"{{{NS}/domain/matrikkelenhet}}MatrikkelenhetId")
            objects = store_service.getObjects(
                ids={"item": [typed(value=i.value) for i in ids]},
                matrikkelContext=context(store_client),
            )
            return int(person_id), [int(i.value) for i in ids], list(objects)
        finally:
            for client in (person_client, enhet_client, store_client):
                close(client)

    person_id, ids, objects = await asyncio.to_thread(run)
    assert person_id > 0
    assert ids == [o.property.matrikkelenhet_id for o in owned]
    assert [type(o).__name__ for o in objects] == [o.property.kind for o in owned]
    for obj, truth in zip(objects, owned, strict=True):
        number = obj.matrikkelnummer
        assert (number.kommuneId.value, number.gardsnummer, number.bruksnummer) == (
            int(truth.property.kommunenummer),
            truth.property.gnr,
            truth.property.bnr,
        )


async def test_unknown_person_is_a_service_exception(sim: Sim) -> None:
    def run() -> zeep.exceptions.Fault:
        client = plain_zeep("PersonServiceWS", sim.url)
        try:
            service = client.create_service(
                f"{{{NS}/service/person}}PersonServicePortBinding", f"{sim.url}/PersonServiceWS"
            )
            ident = client.get_type(f"{{{NS}/domain/person}}FysiskPersonIdent")
            with pytest.raises(zeep.exceptions.Fault) as caught:
                service.findPersonIdForIdent(
                    personIdent=ident(fodselsnummer="01010112345"),
                    matrikkelContext=context(client),
                )
            return caught.value
        finally:
            close(client)

    fault = await asyncio.to_thread(run)
    detail = fault.detail
    assert detail is not None
    exception = detail[0]
    assert etree.QName(exception).localname == "ServiceException"
    assert "FinderException" in exception.findtext(f"{{{NS}/exception}}category")
    assert "01010112345" not in etree.tostring(detail).decode()


async def test_replies_validate_against_the_schema(sim: Sim, schema: etree.XMLSchema) -> None:
    _, owned = owner(sim.population)
    prop_id = owned[0].property.matrikkelenhet_id
    buildings = sim.population.buildings_of(prop_id)
    address = sim.population.addresses_of(prop_id)[0]

    def run() -> list[bytes]:
        client = plain_zeep("StoreServiceWS", sim.url, raw=True)
        try:
            service = client.create_service(
                f"{{{NS}/service/store}}StoreServicePortBinding", f"{sim.url}/StoreServiceWS"
            )

            def typed(ns: str, name: str, value: int) -> object:
                return client.get_type(f"{{{NS}/domain/{ns}}}{name}")(value=value)

            items = [
                typed("matrikkelenhet", "MatrikkelenhetId", prop_id),
                typed("adresse", "VegadresseId", address.adresse_id),
                typed("adresse", "VegId", address.adresse_id),
                typed("adresse", "PostnummeromradeId", address.adresse_id),
                *[typed("bygning", "BygningId", b.bygg_id) for b in buildings],
            ]
            reply = service.getObjects(ids={"item": items}, matrikkelContext=context(client))
            missing = service.getObjects(
                ids={"item": [typed("matrikkelenhet", "MatrikkelenhetId", 1)]},
                matrikkelContext=context(client),
            )
            return [reply.content, missing.content]
        finally:
            close(client)

    ok, fault = await asyncio.to_thread(run)
    body = etree.fromstring(ok).find(f"{{{SOAP_ENV}}}Body")[0]
    schema.assertValid(etree.ElementTree(body))
    assert len(body[0]) == 4 + len(buildings)  # return/item per object
    # The check has teeth: a bubble missing a mandatory element is rejected.
    broken = etree.fromstring(etree.tostring(body))
    first_item = broken[0][0]
    first_item.remove(next(c for c in first_item if etree.QName(c).localname == "versjonId"))
    assert not schema.validate(etree.ElementTree(broken))
    detail = etree.fromstring(fault).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/detail")[0]
    schema.assertValid(etree.ElementTree(detail))


async def test_wsdl_and_schemas_are_served_for_stock_clients(sim: Sim) -> None:
    def run() -> list[str]:
        session = requests.Session()
        session.auth = (USER, PASSWORD)
        try:
            client = zeep.Client(
                f"{sim.url}/StoreServiceWS?wsdl", transport=Transport(session=session)
            )
            return [
                port.binding_options["address"]
                for service in client.wsdl.services.values()
                for port in service.ports.values()
            ]
        finally:
            session.close()

    addresses = await asyncio.to_thread(run)
    assert addresses == [f"{sim.url}/StoreServiceWS"]


async def test_services_need_basic_auth_admin_does_not(sim: Sim) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.url}/StoreServiceWS?wsdl") as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Basic")
        base = sim.url.removesuffix(API)
        async with session.get(f"{base}/_admin/calls") as resp:
            assert resp.status == 200


async def test_store_refuses_oversized_batches(sim: Sim) -> None:
    def run() -> zeep.exceptions.Fault:
        client = plain_zeep("StoreServiceWS", sim.url)
        try:
            service = client.create_service(
                f"{{{NS}/service/store}}StoreServicePortBinding", f"{sim.url}/StoreServiceWS"
            )
            id_type = client.get_type(f"{{{NS}/domain/matrikkelenhet}}MatrikkelenhetId")
            with pytest.raises(zeep.exceptions.Fault) as caught:
                service.getObjects(
                    ids={"item": [id_type(value=i) for i in range(1001)]},
                    matrikkelContext=context(client),
                )
            return caught.value
        finally:
            close(client)

    fault = await asyncio.to_thread(run)
    assert "ValidationException" in etree.tostring(fault.detail).decode()
