"""The Matrikkel API simulator: five of Kartverket's SOAP services on the vendored WSDLs.

Served at ``/matrikkelapi/wsapi/v1/<Name>ServiceWS`` like the real API, with HTTP Basic auth,
data from the synthetic :class:`~simulators.population.Population`, and faults shaped like the
real ``ServiceException`` (category, stack trace text, exception detail).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lxml import etree
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from contracts import wsdl_dir
from simulators.matrikkel.bubbles import (
    ADRESSE,
    BYGNING,
    EXCEPTION,
    MATRIKKELENHET,
    PERSON,
    BubbleFactory,
    person_id,
    person_index,
)
from simulators.population import Population
from simulators.soap import BasicCredentials, FaultHooks, Handler, SoapEndpoint, SoapFault

__all__ = ["BASE_PATH", "MAX_STORE_BATCH", "MatrikkelSimulator", "build_app"]

BASE_PATH = "/matrikkelapi/wsapi/v1"
# The real StoreService tolerates about 1,000 ids per call; beyond that it fails.
MAX_STORE_BATCH = 1000

FINDER = ":ServiceException:ApplicationException:FinderException:"
VALIDATION = ":ServiceException:ApplicationException:ValidationException:"
SYSTEM = ":ServiceException:SystemException:OperationalException:"


class Control(FaultHooks, Protocol):
    """The admin ``SimulatorControl`` as the simulator uses it."""

    def admin_routes(self, extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
        """The ``/_admin/*`` routes."""


class MatrikkelSimulator:
    """The five services' handlers over one population."""

    def __init__(self, population: Population, credentials: BasicCredentials, hooks: FaultHooks):
        self.population = population
        self.endpoints: dict[str, SoapEndpoint] = {}
        services: dict[str, dict[str, Handler]] = {
            "PersonServiceWS": {"findPersonIdForIdent": self.find_person_id_for_ident},
            "MatrikkelenhetServiceWS": {
                "findEideMatrikkelenheterForPerson": self.find_eide_matrikkelenheter_for_person,
                "findMatrikkelenheter": self.find_matrikkelenheter,
            },
            "StoreServiceWS": {
                "getObjects": self.get_objects,
                "getObjectsIgnoreMissing": self.get_objects_ignore_missing,
            },
            "AdresseServiceWS": {
                "findAdresserForMatrikkelenheter": self.find_adresser_for_matrikkelenheter,
                "findAdresseInfoObjekter": self.find_adresse_info_objekter,
            },
            "BygningServiceWS": {
                "findByggForMatrikkelenheter": self.find_bygg_for_matrikkelenheter
            },
        }
        for name, handlers in services.items():
            self.endpoints[name] = SoapEndpoint(
                wsdl_dir("matrikkel") / f"{name}.wsdl",
                handlers,
                credentials=credentials,
                hooks=hooks,
                injected_error=self._injected_error,
                # Every reply is rendered straight with lxml (bubbles are Typed trees).
                plain_replies=tuple(handlers),
            )
        # Every WSDL carries the whole domain model, so one factory serves all services.
        self.bubbles = BubbleFactory(self.endpoints["StoreServiceWS"].client)

    def routes(self) -> list[BaseRoute]:
        """One route per service under :data:`BASE_PATH`."""
        return [ep.route(f"{BASE_PATH}/{name}") for name, ep in self.endpoints.items()]

    # --- faults --------------------------------------------------------------------------

    def service_exception(self, category: str, message: str, class_name: str) -> SoapFault:
        """A fault shaped like the real API's: ``<detail><ServiceException>`` with a category."""
        detail = self.endpoints["StoreServiceWS"].render(
            EXCEPTION + "ServiceException",
            {
                "category": category,
                "stackTraceText": "",
                "exceptionDetail": {
                    "className": class_name,
                    "message": message,
                    "cause": None,
                    "stackTraceElements": {"item": []},
                },
            },
        )
        return SoapFault("Server", message, detail)

    def _injected_error(self, operation: str) -> SoapFault:
        return self.service_exception(
            SYSTEM, "Injected failure", "no.statkart.matrikkel.OperationalException"
        )

    def _not_found(self, message: str) -> SoapFault:
        return self.service_exception(
            FINDER, message, "no.statkart.matrikkel.domene.FinderException"
        )

    # --- handlers ------------------------------------------------------------------------

    async def find_person_id_for_ident(self, personIdent: Any, matrikkelContext: Any) -> Any:
        """PersonServiceWS.findPersonIdForIdent: fødselsnummer -> PersonId (FinderException)."""
        pid = getattr(personIdent, "fodselsnummer", None)
        person = self.population.person_by_pid(pid) if isinstance(pid, str) else None
        if person is None:
            # Like the real API: no echo of the ident in the message.
            raise self._not_found("Fant ikke person for ident")
        return {"return": self.bubbles.id(PERSON + "FysiskPersonId", person_id(person))}

    async def find_eide_matrikkelenheter_for_person(
        self,
        personId: Any,
        matrikkelContext: Any,
    ) -> Any:
        """MatrikkelenhetServiceWS.findEideMatrikkelenheterForPerson: PersonId -> ids."""
        index = person_index(int(personId.value))
        if not 0 <= index < self.population.size:
            raise self._not_found("Fant ikke person")
        person = self.population.person(index)
        ids = [
            self.bubbles.id(MATRIKKELENHET + "MatrikkelenhetId", owned.property.matrikkelenhet_id)
            for owned in self.population.properties_of(person.pid)
        ]
        return {"return": {"item": ids}}

    async def find_matrikkelenheter(
        self, matrikkelenhetsokModel: Any, matrikkelContext: Any
    ) -> Any:
        """MatrikkelenhetServiceWS.findMatrikkelenheter: a search; here by ``nummerForPerson``.

        The simulator answers the one criterion Min side searches by, the owner's
        fødselsnummer: the ids of the properties they own (none for an unknown number, as a
        search that matches nothing). A search by anything else is refused as unsupported.
        """
        pid = self._search_pid(matrikkelenhetsokModel)
        ids = [
            self.bubbles.id(MATRIKKELENHET + "MatrikkelenhetId", owned.property.matrikkelenhet_id)
            for owned in self.population.properties_of(pid)
        ]
        return {"return": {"item": ids}}

    async def find_adresse_info_objekter(self, model: Any, matrikkelContext: Any) -> Any:
        """AdresseServiceWS.findAdresseInfoObjekter: address summaries; here by ``nummerForPerson``.

        The addresses of the properties the person owns, each with its property
        (``matrikkelenhetDTO``), road (``vegDTO``) and house number.
        """
        pid = self._search_pid(model)
        items = []
        for owned in self.population.properties_of(pid):
            prop = owned.property
            for address in self.population.addresses_of(prop.matrikkelenhet_id):
                items.append(self.bubbles.adresse_info(address, prop))
        return {"return": {"item": items}}

    def _search_pid(self, model: Any) -> str:
        pid = getattr(model, "nummerForPerson", None)
        if not isinstance(pid, str) or not pid:
            raise self.service_exception(
                VALIDATION,
                "Simulatoren søker bare etter nummerForPerson",
                "no.statkart.matrikkel.ValidationException",
            )
        return pid

    async def get_objects(self, ids: Any, matrikkelContext: Any) -> Any:
        """StoreServiceWS.getObjects: every id must exist (FinderException otherwise)."""
        return {"return": {"item": self._objects(ids, ignore_missing=False)}}

    async def get_objects_ignore_missing(self, ids: Any, matrikkelContext: Any) -> Any:
        """StoreServiceWS.getObjectsIgnoreMissing: unknown ids are left out."""
        return {"return": {"item": self._objects(ids, ignore_missing=True)}}

    def _objects(self, ids: Any, *, ignore_missing: bool) -> list[Any]:
        items = list(getattr(ids, "item", None) or [])
        if len(items) > MAX_STORE_BATCH:
            raise self.service_exception(
                VALIDATION,
                f"For mange objekter i ett kall (maks {MAX_STORE_BATCH})",
                "no.statkart.matrikkel.ValidationException",
            )
        found: list[Any] = []
        for item in items:
            obj = self._object(_type_name(item), int(item.value))
            if obj is not None:
                found.append(obj)
            elif not ignore_missing:
                raise self._not_found("Fant ikke objekt")
        return found

    def _object(self, type_name: str, value: int) -> Any:
        makers: dict[str, Callable[[int], Any]] = {
            "MatrikkelenhetId": self._matrikkelenhet,
            "GrunneiendomId": self._matrikkelenhet,
            "SeksjonId": self._matrikkelenhet,
            "ByggId": self._bygning,
            "BygningId": self._bygning,
            "AdresseId": self._vegadresse,
            "VegadresseId": self._vegadresse,
            "VegId": self._veg,
            "KretsId": self._postnummeromrade,
            "PostnummeromradeId": self._postnummeromrade,
        }
        maker = makers.get(type_name)
        return None if maker is None else maker(value)

    def _matrikkelenhet(self, value: int) -> Any:
        prop = self.population.property_by_id(value)
        if prop is None:
            return None
        return self.bubbles.matrikkelenhet(prop, self.population.owners_of(value))

    def _bygning(self, value: int) -> Any:
        building = self.population.building_by_id(value)
        return None if building is None else self.bubbles.bygning(building)

    def _vegadresse(self, value: int) -> Any:
        address = self.population.address_by_id(value)
        return None if address is None else self.bubbles.vegadresse(address)

    def _veg(self, value: int) -> Any:
        address = self.population.address_by_id(value)
        return None if address is None else self.bubbles.veg(address)

    def _postnummeromrade(self, value: int) -> Any:
        address = self.population.address_by_id(value)
        return None if address is None else self.bubbles.postnummeromrade(address)

    async def find_adresser_for_matrikkelenheter(
        self,
        matrikkelenhetIds: Any,
        matrikkelContext: Any,
    ) -> Any:
        """AdresseServiceWS.findAdresserForMatrikkelenheter: ids -> {id: [VegadresseId]}."""
        entries = []
        for item in getattr(matrikkelenhetIds, "item", None) or []:
            addresses = self.population.addresses_of(int(item.value))
            entries.append(
                {
                    "key": self.bubbles.id(MATRIKKELENHET + "MatrikkelenhetId", int(item.value)),
                    "value": {
                        "item": [
                            self.bubbles.id(ADRESSE + "VegadresseId", a.adresse_id)
                            for a in addresses
                        ]
                    },
                }
            )
        return {"return": {"entry": entries}}

    async def find_bygg_for_matrikkelenheter(
        self,
        matrikkelenhetIdList: Any,
        matrikkelContext: Any,
    ) -> Any:
        """BygningServiceWS.findByggForMatrikkelenheter: ids -> {id: [BygningId]}."""
        entries = []
        for item in getattr(matrikkelenhetIdList, "item", None) or []:
            buildings = self.population.buildings_of(int(item.value))
            entries.append(
                {
                    "key": self.bubbles.id(MATRIKKELENHET + "MatrikkelenhetId", int(item.value)),
                    "value": {
                        "item": [
                            self.bubbles.id(BYGNING + "BygningId", b.bygg_id) for b in buildings
                        ]
                    },
                }
            )
        return {"return": {"entry": entries}}


def _type_name(value: Any) -> str:
    """The local name of a parsed value's (xsi:)type, e.g. ``MatrikkelenhetId``."""
    xsd_type = getattr(value, "_xsd_type", None)
    qname = getattr(xsd_type, "qname", None)
    return str(etree.QName(qname).localname) if qname is not None else ""


def build_app(
    population: Population,
    control: Control,
    *,
    username: str,
    password: str,
) -> Starlette:
    """The Matrikkel simulator app (HTTP Basic on the services; ``/_admin/*`` open)."""
    simulator = MatrikkelSimulator(population, BasicCredentials(username, password), control)
    return Starlette(routes=[*control.admin_routes(), *simulator.routes()])
