"""Typed async client of Kartverket's Matrikkel API (SOAP, five services).

Each public method costs a fixed number of round trips whatever the number of properties
(ids are looked up in batches through ``StoreServiceWS.getObjects``), so dataloaders can hand it
a whole level of a GraphQL query at once. Every call runs inside :class:`Resilience` (deadline,
retries for these read-only operations, circuit breaker) and fails only with the
:mod:`connectors.errors` tree, ``system="matrikkel"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from connectors.batching import chunked, distinct
from connectors.matrikkel.decoders import (
    ADDRESS_INFO,
    ID_MAP,
    ID_VALUES,
    IGNORED,
    PERSON_ID,
    objects,
)
from connectors.matrikkel.errors import SYSTEM
from connectors.matrikkel.models import (
    Address,
    Building,
    Matrikkelnummer,
    OwnershipRef,
    Property,
)
from connectors.matrikkel.records import (
    FAMILY_OF_ID,
    AddressRecord,
    BuildingRecord,
    PostalAreaRecord,
    RoadRecord,
    StoreRecord,
)
from connectors.matrikkel.reference_cache import ReferenceCache
from connectors.resilience import Resilience
from connectors.soap import ReplyDecoder, SoapFault
from connectors.soap_connector import SoapConnector
from connectors.soap_template import ItemTemplate, RequestTemplate, slot
from contracts import wsdl_dir

__all__ = ["SERVICES", "WSDL_DIR", "MatrikkelClient"]

WSDL_DIR = wsdl_dir("matrikkel")
SERVICES = (
    "PersonServiceWS",
    "MatrikkelenhetServiceWS",
    "StoreServiceWS",
    "AdresseServiceWS",
    "BygningServiceWS",
)
DEFAULT_STORE_BATCH_SIZE = 1000

_NS = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1"
_DOMAIN = f"{{{_NS}/domain}}"
_MATRIKKELENHET = f"{{{_NS}/domain/matrikkelenhet}}"
_ADRESSE = f"{{{_NS}/domain/adresse}}"
_BYGNING = f"{{{_NS}/domain/bygning}}"
_PERSON = f"{{{_NS}/domain/person}}"
_FINDER = "FinderException"
# KoordinatsystemKodeId for EUREF89 UTM zone 33 (EPSG:25833): positions come back in it.
UTM33_KODE_ID = 10

T = TypeVar("T")


class MatrikkelClient(SoapConnector):
    """The Matrikkel API for Min side: a person's properties, their addresses and buildings.

    ``base_url`` is the API root (``.../matrikkelapi/wsapi/v1``); services live below it as
    ``<Name>ServiceWS``. The WSDLs are loaded once here, from the vendored files. Every
    operation used is a read, so every call is retried (:meth:`_read`).

    Roads and postal areas are kept in ``reference_cache`` (per process, long TTL), so the
    address chain asks getObjects for them only the first time they are seen; so are the
    matrikkelnummer of the properties seen (``number_cache``: a property's number changes only
    when the register renumbers it), so a caller can start what is keyed by the number as soon
    as it has the ids (:meth:`known_numbers`).
    """

    system = SYSTEM
    services = SERVICES

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        resilience: Resilience,
        store_batch_size: int = DEFAULT_STORE_BATCH_SIZE,
        *,
        client_id: str = "minside",
        wsdl_dir: Path = WSDL_DIR,
        reference_cache: ReferenceCache[tuple[str, int], StoreRecord] | None = None,
        number_cache: ReferenceCache[int, Matrikkelnummer] | None = None,
    ) -> None:
        if store_batch_size < 1:
            raise ValueError("store_batch_size must be at least 1")
        super().__init__(session, base_url, username, password, resilience, wsdl_dir=wsdl_dir)
        self._batch = store_batch_size
        self.reference_cache: ReferenceCache[tuple[str, int], StoreRecord] = (
            ReferenceCache() if reference_cache is None else reference_cache
        )
        self.number_cache: ReferenceCache[int, Matrikkelnummer] = (
            ReferenceCache() if number_cache is None else number_cache
        )
        store = self._services["StoreServiceWS"]
        self._context = store.type(_DOMAIN + "MatrikkelContext")(
            locale="no_NO_B",
            brukOriginaleKoordinater=False,
            koordinatsystemKodeId={"value": UTM33_KODE_ID},
            systemVersion="trunk",
            klientIdentifikasjon=client_id,
        )
        self._types: dict[str, Any] = {}
        # The hot reads' envelopes and id items, rendered once by zeep on first use
        # (connectors.soap_template): per call only the ids and the fødselsnummer change.
        self._templates: dict[str, RequestTemplate] = {}
        self._items: dict[tuple[str, str], ItemTemplate] = {}

    # --- plumbing --------------------------------------------------------------------------

    def _type(self, qname: str) -> Any:
        found = self._types.get(qname)
        if found is None:
            found = self._types[qname] = self._services["StoreServiceWS"].type(qname)
        return found

    async def _read(
        self,
        service: str,
        operation: str,
        decoder: ReplyDecoder[T],
        *,
        prepared: bytes | None = None,
        **body: Any,
    ) -> T:
        """One resilient read; every Matrikkel call carries the client's MatrikkelContext.

        ``prepared`` is the request rendered from a template (:meth:`_with_ids`); ``body`` is
        then not needed.
        """
        if prepared is not None:
            return await self._call_decoded(
                service, operation, decoder, idempotent=True, prepared=prepared
            )
        return await self._call_decoded(
            service,
            operation,
            decoder,
            idempotent=True,
            **body,
            matrikkelContext=self._context,
        )

    def _template(self, operation: str, **sample: Any) -> RequestTemplate:
        found = self._templates.get(operation)
        if found is None:
            service, parameter = _HOT_REQUESTS[operation]
            path = (parameter,) if parameter in _LIST_PARAMETERS else ()
            found = self._templates[operation] = self._services[service].template(
                operation, path, **sample, matrikkelContext=self._context
            )
        return found

    def _person_id_request(self, pid: str) -> bytes:
        """findPersonIdForIdent's request, rendered from its template."""
        template = self._template(
            "findPersonIdForIdent",
            personIdent=self._type(_PERSON + "FysiskPersonIdent")(fodselsnummer=slot("pid")),
        )
        return template.render(pid=pid)

    def _owned_request(self, person_id: int) -> bytes:
        """findEideMatrikkelenheterForPerson's request, rendered from its template."""
        template = self._template(
            "findEideMatrikkelenheterForPerson",
            personId=self._type(_PERSON + "PersonId")(value=slot("id")),
        )
        return template.render(id=person_id)

    def _search_request(self, operation: str, pid: str) -> bytes:
        """A search by owner (``nummerForPerson``), rendered from its template."""
        _service, parameter = _HOT_REQUESTS[operation]
        # A plain dict takes the parameter's declared search model (no xsi:type needed).
        model = {"nummerForPerson": slot("pid")}
        return self._template(operation, **{parameter: model}).render(pid=pid)

    def _with_ids(self, operation: str, typed_ids: Sequence[tuple[str, int]]) -> bytes:
        """The request of an id-list operation, rendered from its template."""
        service, parameter = _HOT_REQUESTS[operation]
        template = self._template(operation, **{parameter: {"item": []}})
        items = []
        for qname, value in typed_ids:
            item = self._items.get((operation, qname))
            if item is None:
                sample = {parameter: {"item": [self._type(qname)(value=slot("value"))]}}
                item = self._items[(operation, qname)] = self._services[service].item_template(
                    operation, (parameter,), **sample, matrikkelContext=self._context
                )
            items.append(item.render(value=value))
        return template.render(items=items)

    # --- persons and ownership -------------------------------------------------------------

    async def find_person_id(self, pid: str) -> int | None:
        """The Matrikkel PersonId of the person with fødselsnummer ``pid``; None if unknown."""
        try:
            return await self._read(
                "PersonServiceWS",
                "findPersonIdForIdent",
                PERSON_ID,
                prepared=self._person_id_request(pid),
            )
        except SoapFault as fault:
            if _is_finder(fault):
                return None
            raise

    async def owned_properties(self, person_id: int) -> list[OwnershipRef]:
        """The properties ``person_id`` owns, with their share (two round trips)."""
        ids = await self._read(
            "MatrikkelenhetServiceWS",
            "findEideMatrikkelenheterForPerson",
            ID_VALUES,
            prepared=self._owned_request(person_id),
        )
        properties = await self.get_properties(ids)
        return [
            OwnershipRef(pid_, None if p is None else p.share_of(person_id), p)
            for pid_, p in zip(ids, properties, strict=True)
        ]

    async def property_ids_of(self, pid: str) -> list[int]:
        """The MatrikkelenhetIds of the properties the person with fødselsnummer ``pid`` owns.

        One round trip, straight from the fødselsnummer (``findMatrikkelenheter`` searching
        by ``nummerForPerson``): no PersonId lookup first. An unknown person owns nothing.
        """
        return await self._read(
            "MatrikkelenhetServiceWS",
            "findMatrikkelenheter",
            ID_VALUES,
            prepared=self._search_request("findMatrikkelenheter", pid),
        )

    async def addresses_of_person(self, pid: str) -> dict[int, list[Address]]:
        """Street addresses of every property the person owns, by MatrikkelenhetId.

        Starts from the fødselsnummer (``findAdresseInfoObjekter`` by ``nummerForPerson``),
        so it needs neither the PersonId nor the property ids: two round trips, the second
        being the addresses' getObjects, plus one for roads and postal areas not yet in the
        reference cache.
        """
        mapping = await self._read(
            "AdresseServiceWS",
            "findAdresseInfoObjekter",
            ADDRESS_INFO,
            prepared=self._search_request("findAdresseInfoObjekter", pid),
        )
        property_ids = list(mapping)
        found = await self._addresses(property_ids, mapping)
        return dict(zip(property_ids, found, strict=True))

    # --- objects by id ---------------------------------------------------------------------

    async def get_properties(self, ids: Sequence[int]) -> list[Property | None]:
        """Properties by MatrikkelenhetId, aligned with ``ids`` (None where unknown)."""
        typed = [(_MATRIKKELENHET + "MatrikkelenhetId", i) for i in ids]
        found = await self._get_objects(typed)
        properties = [_property(found.get(("MatrikkelenhetId", i))) for i in ids]
        self.number_cache.put_many({p.id: p.matrikkelnummer for p in properties if p})
        return properties

    def known_numbers(self, ids: Sequence[int]) -> dict[int, Matrikkelnummer]:
        """The matrikkelnummer of those of ``ids`` seen lately (no call).

        A hint for starting reads keyed by the number early: the number the properties'
        objects carry is the truth, and may differ after a renumbering.
        """
        found, _missing = self.number_cache.get_many(ids)
        return found

    async def addresses_for(self, property_ids: Sequence[int]) -> list[list[Address]]:
        """Street addresses of each property, aligned with ``property_ids`` (three round trips:
        the id map, the addresses, then their roads and postal areas together)."""
        if not property_ids:
            return []
        typed = [(_MATRIKKELENHET + "MatrikkelenhetId", i) for i in property_ids]
        mapping = await self._read(
            "AdresseServiceWS",
            "findAdresserForMatrikkelenheter",
            ID_MAP,
            prepared=self._with_ids("findAdresserForMatrikkelenheter", typed),
        )
        return await self._addresses(property_ids, mapping)

    async def _addresses(
        self, property_ids: Sequence[int], mapping: dict[int, list[int]]
    ) -> list[list[Address]]:
        """The addresses of ``mapping`` (property id -> address ids) as models, aligned with
        ``property_ids``: their getObjects, then roads and postal areas (reference cache)."""
        address_ids = distinct(a for i in property_ids for a in mapping.get(i, []))
        found = await self._get_objects([(_ADRESSE + "AdresseId", a) for a in address_ids])
        addresses = {a: found.get(("AdresseId", a)) for a in address_ids}
        related: list[tuple[str, int]] = []
        for obj in addresses.values():
            if isinstance(obj, AddressRecord):
                related.extend(_related_ids(obj))
        found_related = await self._reference_objects(distinct(related))
        result: list[list[Address]] = []
        for i in property_ids:
            rows = []
            for a in mapping.get(i, []):
                obj = addresses.get(a)
                if isinstance(obj, AddressRecord):
                    rows.append(_address(obj, i, found_related))
            result.append(rows)
        return result

    async def buildings_for(self, property_ids: Sequence[int]) -> list[list[Building]]:
        """Buildings on each property, aligned with ``property_ids`` (two round trips)."""
        if not property_ids:
            return []
        typed = [(_MATRIKKELENHET + "MatrikkelenhetId", i) for i in property_ids]
        mapping = await self._read(
            "BygningServiceWS",
            "findByggForMatrikkelenheter",
            ID_MAP,
            prepared=self._with_ids("findByggForMatrikkelenheter", typed),
        )
        bygg_ids = distinct(b for i in property_ids for b in mapping.get(i, []))
        found = await self._get_objects([(_BYGNING + "ByggId", b) for b in bygg_ids])
        return [
            [
                _building(obj, i)
                for b in mapping.get(i, [])
                if isinstance(obj := found.get(("ByggId", b)), BuildingRecord)
            ]
            for i in property_ids
        ]

    async def ping(self) -> None:
        """Readiness: one cheap authenticated call that touches no personal data."""
        await self._read("StoreServiceWS", "getObjectsIgnoreMissing", IGNORED, ids={"item": []})

    async def _reference_objects(
        self, typed_ids: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], StoreRecord]:
        """Reference objects (roads, postal areas) by id: the cached ones, the rest from
        getObjects, which are then cached."""
        keys = {(_family(qname), value): (qname, value) for qname, value in typed_ids}
        found, missing = self.reference_cache.get_many(keys)
        if missing:
            fetched = await self._get_objects([keys[key] for key in missing])
            self.reference_cache.put_many(fetched)
            found.update(fetched)
        return found

    async def _get_objects(
        self, typed_ids: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], StoreRecord]:
        """StoreServiceWS.getObjects in batches of ``store_batch_size``.

        Returns records keyed by (id family, value), the family being the id type the caller
        asked with ("MatrikkelenhetId", "ByggId", "AdresseId", "VegId", "KretsId"), whatever
        subtype the reply carries. getObjects fails a whole batch for one unknown id, so such
        a batch is asked again with getObjectsIgnoreMissing.
        """
        found: dict[tuple[str, int], StoreRecord] = {}
        for batch in chunked(typed_ids, self._batch):
            decoder = objects({value: _family(qname) for qname, value in batch})
            try:
                records = await self._read(
                    "StoreServiceWS",
                    "getObjects",
                    decoder,
                    prepared=self._with_ids("getObjects", batch),
                )
            except SoapFault as fault:
                if not _is_finder(fault):
                    raise
                records = await self._read(
                    "StoreServiceWS",
                    "getObjectsIgnoreMissing",
                    decoder,
                    prepared=self._with_ids("getObjectsIgnoreMissing", batch),
                )
            found.update(records)
        return found


# Each hot read: its service and the body parameter that varies (an id list or an ident).
_HOT_REQUESTS: dict[str, tuple[str, str]] = {
    "findPersonIdForIdent": ("PersonServiceWS", "personIdent"),
    "findEideMatrikkelenheterForPerson": ("MatrikkelenhetServiceWS", "personId"),
    "getObjects": ("StoreServiceWS", "ids"),
    "getObjectsIgnoreMissing": ("StoreServiceWS", "ids"),
    "findAdresserForMatrikkelenheter": ("AdresseServiceWS", "matrikkelenhetIds"),
    "findByggForMatrikkelenheter": ("BygningServiceWS", "matrikkelenhetIdList"),
    "findMatrikkelenheter": ("MatrikkelenhetServiceWS", "matrikkelenhetsokModel"),
    "findAdresseInfoObjekter": ("AdresseServiceWS", "model"),
}

_LIST_PARAMETERS = frozenset({"ids", "matrikkelenhetIds", "matrikkelenhetIdList"})


# --- records into models ------------------------------------------------------------------


def _family(qname: str) -> str:
    return FAMILY_OF_ID[qname.rpartition("}")[2]]


def _is_finder(fault: SoapFault) -> bool:
    if fault.code != "ServiceException" or fault.detail is None:
        return False
    for node in fault.detail.iter():
        if isinstance(node.tag, str) and node.tag.endswith("}category"):
            return _FINDER in (node.text or "")
    return False


def _property(record: StoreRecord | None) -> Property | None:
    return record if isinstance(record, Property) else None


def _related_ids(address: AddressRecord) -> list[tuple[str, int]]:
    related = []
    if address.road_id is not None:
        related.append((_ADRESSE + "VegId", address.road_id))
    for type_name, value in address.districts:
        if type_name == "PostnummeromradeId":
            related.append((_ADRESSE + "PostnummeromradeId", value))
    return related


def _address(
    record: AddressRecord, property_id: int, related: dict[tuple[str, int], StoreRecord]
) -> Address:
    road = None if record.road_id is None else related.get(("VegId", record.road_id))
    area = next(
        (
            found
            for _type, value in record.districts
            if isinstance(found := related.get(("KretsId", value)), PostalAreaRecord)
        ),
        None,
    )
    return Address(
        id=record.id,
        property_id=property_id,
        street=(road.name if isinstance(road, RoadRecord) else None) or "",
        number=record.number,
        letter=record.letter,
        postnummer=None if area is None else f"{int(area.number):04d}",  # type: ignore[arg-type]
        poststed=None if area is None else area.name,
        east=record.east,
        north=record.north,
    )


def _building(record: BuildingRecord, property_id: int) -> Building:
    status_date = record.status_date
    return Building(
        id=record.id,
        property_id=property_id,
        bygningsnummer=record.bygningsnummer,
        type_code=record.type_code,
        built_year=None if status_date is None else status_date.year,
        floors=record.floors,
        footprint_m2=record.footprint_m2,
        status_date=status_date,
    )
