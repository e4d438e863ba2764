"""The hot SOAP replies of one person's dashboard, made in process (no sockets).

Requests are built by the connectors' own :class:`~connectors.soap.SoapService` (zeep, from the
vendored WSDLs) and answered by the simulators' own :class:`~simulators.soap.SoapEndpoint`, so
the bytes are the ones that cross the wire in ``minside serve``. Used by ``python -m
bench.parsing`` to time decoding and rendering, and by the parser-equivalence tests to get
the replies of many persons.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from connectors.matrikkel import MatrikkelClient
from connectors.matrikkel import decoders as matrikkel_decoders
from connectors.matrikkel.client import SERVICES as MATRIKKEL_SERVICES
from connectors.matrikkel.client import UTM33_KODE_ID
from connectors.matrikkel.client import WSDL_DIR as MATRIKKEL_WSDL
from connectors.matrikkel.records import FAMILY_OF_ID
from connectors.p360 import P360Client
from connectors.p360.client import SERVICES as P360_SERVICES
from connectors.p360.client import WSDL_DIR as P360_WSDL
from connectors.p360.decoders import DECODERS as P360_DECODERS
from connectors.soap import ReplyDecoder, SoapService
from simulators.admin import SimulatorControl
from simulators.matrikkel.app import MatrikkelSimulator
from simulators.matrikkel.bubbles import person_id
from simulators.p360.app import endpoints as p360_endpoints
from simulators.p360.handlers import SifService
from simulators.population import Population
from simulators.soap import BasicCredentials, SoapEndpoint

__all__ = [
    "MATRIKKEL_BASE",
    "P360_BASE",
    "Exchange",
    "Replies",
    "decoder_for",
    "from_template",
    "typed_ids",
]

_NS = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain"
_CREDENTIALS = BasicCredentials("bench", "bench")
# Where the connector-side services say they send (the WS-Addressing To of each request).
MATRIKKEL_BASE = "http://matrikkel.invalid"
P360_BASE = "http://p360.invalid"
# The page size the gateway's case loaders ask with (resolvers/case/loaders.py).
PERSON_PAGE_SIZE = 500


@dataclass(frozen=True)
class Exchange:
    """One call: which service and operation, the request body (zeep values) and its bytes."""

    system: str
    service: str
    operation: str
    body: dict[str, Any]
    request: bytes


def decoder_for(exchange: Exchange) -> ReplyDecoder[Any]:
    """The connector's decoder of ``exchange``'s reply (both readings)."""
    if exchange.system == "p360":
        return P360_DECODERS[exchange.operation]
    if exchange.operation == "findPersonIdForIdent":
        return matrikkel_decoders.PERSON_ID
    if exchange.operation in {"findEideMatrikkelenheterForPerson", "findMatrikkelenheter"}:
        return matrikkel_decoders.ID_VALUES
    if exchange.operation == "findAdresseInfoObjekter":
        return matrikkel_decoders.ADDRESS_INFO
    if exchange.operation.startswith("find"):
        return matrikkel_decoders.ID_MAP
    asked = {
        int(item.value): FAMILY_OF_ID[item._xsd_type.qname.localname]
        for item in exchange.body["ids"]["item"]
    }
    return matrikkel_decoders.objects(asked)


def typed_ids(exchange: Exchange) -> list[tuple[str, int]]:
    """The (id type, value) pairs of an id-list request."""
    (parameter,) = (name for name in exchange.body if name != "matrikkelContext")
    return [
        (item._xsd_type.qname.text, int(item.value)) for item in exchange.body[parameter]["item"]
    ]


def from_template(p360: P360Client, matrikkel: MatrikkelClient, exchange: Exchange) -> bytes:
    """``exchange``'s request as the clients render it from their templates."""
    operation = exchange.operation
    if exchange.system == "p360":
        parameter = exchange.body["parameter"]
        if operation == "GetCases":
            return p360._cases_by_person.render(
                pid=parameter["ContactReferenceNumber"],
                size=parameter["MaxReturnedCases"],
                page=parameter["Page"],
            )
        if operation == "GetDocuments":
            return p360._documents_by_person.render(
                pid=parameter["ContactReferenceNumber"],
                size=parameter["MaxReturnedDocuments"],
                page=parameter["Page"],
            )
        return p360._private_persons.render(pid=parameter["PersonalIdNumber"])
    if operation == "findPersonIdForIdent":
        return matrikkel._person_id_request(exchange.body["personIdent"].fodselsnummer)
    if operation == "findEideMatrikkelenheterForPerson":
        return matrikkel._owned_request(int(exchange.body["personId"].value))
    if operation in {"findMatrikkelenheter", "findAdresseInfoObjekter"}:
        (model,) = (v for k, v in exchange.body.items() if k != "matrikkelContext")
        return matrikkel._search_request(operation, model.nummerForPerson)
    return matrikkel._with_ids(operation, typed_ids(exchange))


class Replies:
    """Client-side services and simulator endpoints of Matrikkel and Public 360 over one
    population; :meth:`exchanges` lists a person's hot calls, :meth:`answer` renders a reply."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self.clients: dict[tuple[str, str], SoapService] = {}
        for name in MATRIKKEL_SERVICES:
            self.clients[("matrikkel", name)] = SoapService(
                MATRIKKEL_WSDL / f"{name}.wsdl", f"{MATRIKKEL_BASE}/{name}", "matrikkel"
            )
        for name in P360_SERVICES:
            self.clients[("p360", name)] = SoapService(
                P360_WSDL / f"{name}.wsdl", f"{P360_BASE}/{name}.svc", "p360"
            )
        matrikkel = MatrikkelSimulator(
            population, _CREDENTIALS, SimulatorControl("matrikkel", population)
        )
        sif = SifService(population)
        self.endpoints: dict[tuple[str, str], SoapEndpoint] = {
            **{("matrikkel", name): endpoint for name, endpoint in matrikkel.endpoints.items()},
            **{
                ("p360", name): endpoint
                for name, endpoint in p360_endpoints(
                    sif, _CREDENTIALS, SimulatorControl("p360", population)
                ).items()
            },
        }
        store = self.clients[("matrikkel", "StoreServiceWS")]
        self._context = store.type(f"{{{_NS}}}MatrikkelContext")(
            locale="no_NO_B",
            brukOriginaleKoordinater=False,
            koordinatsystemKodeId={"value": UTM33_KODE_ID},
            systemVersion="trunk",
            klientIdentifikasjon="minside",
        )

    def service(self, exchange: Exchange) -> SoapService:
        """The connector-side service of ``exchange``."""
        return self.clients[(exchange.system, exchange.service)]

    def endpoint(self, exchange: Exchange) -> SoapEndpoint:
        """The simulator endpoint of ``exchange``."""
        return self.endpoints[(exchange.system, exchange.service)]

    def answer(self, exchange: Exchange) -> bytes:
        """The simulator's reply bytes to ``exchange`` (raises if it is not a 200)."""
        response = asyncio.run(self.endpoint(exchange).respond(exchange.request))
        if response.status_code != 200:
            raise RuntimeError(f"{exchange.operation} answered {response.status_code}")
        return bytes(response.body)

    def _exchange(self, system: str, service: str, operation: str, **body: Any) -> Exchange:
        soap = self.clients[(system, service)]
        if system == "matrikkel":
            body["matrikkelContext"] = self._context
        envelope = soap.envelope(operation, **body)
        data = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        return Exchange(system, service, operation, body, data)

    def _ids(self, family: str, qname: str, values: list[int]) -> dict[str, list[Any]]:
        make: Callable[..., Any] = self.clients[("matrikkel", "StoreServiceWS")].type(
            f"{{{_NS}/{family}}}{qname}"
        )
        return {"item": [make(value=value) for value in values]}

    def exchanges(self, index: int) -> Iterator[Exchange]:
        """The hot calls of person ``index``'s dashboard, in the gateway's order."""
        person = self.population.person(index)
        pid = person.pid
        yield self._exchange(
            "p360",
            "CaseService",
            "GetCases",
            parameter={
                "ContactReferenceNumber": pid,
                "MaxReturnedCases": PERSON_PAGE_SIZE,
                "Page": 0,
                "IncludeCaseContacts": False,
            },
        )
        yield self._exchange(
            "p360",
            "DocumentService",
            "GetDocuments",
            parameter={
                "ContactReferenceNumber": pid,
                "MaxReturnedDocuments": PERSON_PAGE_SIZE,
                "Page": 0,
                "IncludeFileData": False,
            },
        )
        yield self._exchange(
            "p360",
            "ContactService",
            "GetPrivatePersons",
            parameter={"PersonalIdNumber": pid, "MaxRows": 2},
        )
        # The searches by owner the dashboard starts with (the chain of issue 10) ...
        search = self.clients[("matrikkel", "MatrikkelenhetServiceWS")].type
        yield self._exchange(
            "matrikkel",
            "MatrikkelenhetServiceWS",
            "findMatrikkelenheter",
            matrikkelenhetsokModel=search(f"{{{_NS}/matrikkelenhet}}MatrikkelenhetsokModel")(
                nummerForPerson=pid
            ),
        )
        yield self._exchange(
            "matrikkel",
            "AdresseServiceWS",
            "findAdresseInfoObjekter",
            model=self.clients[("matrikkel", "AdresseServiceWS")].type(
                f"{{{_NS}/adresse}}AdressesokModel"
            )(nummerForPerson=pid),
        )
        # ... and the PersonId chain before it, which the connector still offers.
        person_ident = self.clients[("matrikkel", "PersonServiceWS")].type(
            f"{{{_NS}/person}}FysiskPersonIdent"
        )(fodselsnummer=pid)
        yield self._exchange(
            "matrikkel", "PersonServiceWS", "findPersonIdForIdent", personIdent=person_ident
        )
        person_key = self.clients[("matrikkel", "StoreServiceWS")].type(
            f"{{{_NS}/person}}PersonId"
        )(value=person_id(person))
        yield self._exchange(
            "matrikkel",
            "MatrikkelenhetServiceWS",
            "findEideMatrikkelenheterForPerson",
            personId=person_key,
        )
        owned = [o.property.matrikkelenhet_id for o in self.population.properties_of(pid)]
        if not owned:
            return
        yield self._exchange(
            "matrikkel",
            "StoreServiceWS",
            "getObjects",
            ids=self._ids("matrikkelenhet", "MatrikkelenhetId", owned),
        )
        id_list = self._ids("matrikkelenhet", "MatrikkelenhetId", owned)
        yield self._exchange(
            "matrikkel",
            "AdresseServiceWS",
            "findAdresserForMatrikkelenheter",
            matrikkelenhetIds=id_list,
        )
        addresses = [a.adresse_id for i in owned for a in self.population.addresses_of(i)]
        if addresses:
            yield self._exchange(
                "matrikkel",
                "StoreServiceWS",
                "getObjects",
                ids=self._ids("adresse", "AdresseId", addresses),
            )
            related = self._ids("adresse", "VegId", addresses)
            related["item"] += self._ids("adresse", "PostnummeromradeId", addresses)["item"]
            yield self._exchange("matrikkel", "StoreServiceWS", "getObjects", ids=related)
        yield self._exchange(
            "matrikkel",
            "BygningServiceWS",
            "findByggForMatrikkelenheter",
            matrikkelenhetIdList=id_list,
        )
        buildings = [b.bygg_id for i in owned for b in self.population.buildings_of(i)]
        if buildings:
            yield self._exchange(
                "matrikkel",
                "StoreServiceWS",
                "getObjects",
                ids=self._ids("bygning", "ByggId", buildings),
            )
