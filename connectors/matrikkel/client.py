"""Typed async client of Kartverket's Matrikkel API (SOAP, five services).

Each public method costs a fixed number of round trips whatever the number of properties
(ids are looked up in batches through ``StoreServiceWS.getObjects``), so dataloaders can hand it
a whole level of a GraphQL query at once. Every call runs inside :class:`Resilience` (deadline,
retries for these read-only operations, circuit breaker) and fails only with the
:mod:`connectors.errors` tree, ``system="matrikkel"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from connectors.batching import chunked, distinct
from connectors.matrikkel.errors import SYSTEM
from connectors.matrikkel.models import (
    Address,
    Building,
    Matrikkelnummer,
    Owner,
    OwnershipRef,
    Property,
)
from connectors.resilience import Resilience
from connectors.soap import SoapFault
from connectors.soap_connector import SoapConnector
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
    ) -> None:
        if store_batch_size < 1:
            raise ValueError("store_batch_size must be at least 1")
        super().__init__(session, base_url, username, password, resilience, wsdl_dir=wsdl_dir)
        self._batch = store_batch_size
        store = self._services["StoreServiceWS"]
        self._context = store.type(_DOMAIN + "MatrikkelContext")(
            locale="no_NO_B",
            brukOriginaleKoordinater=False,
            koordinatsystemKodeId={"value": UTM33_KODE_ID},
            systemVersion="trunk",
            klientIdentifikasjon=client_id,
        )
        self._types: dict[str, Any] = {}

    # --- plumbing --------------------------------------------------------------------------

    def _type(self, qname: str) -> Any:
        found = self._types.get(qname)
        if found is None:
            found = self._types[qname] = self._services["StoreServiceWS"].type(qname)
        return found

    def _id(self, qname: str, value: int) -> Any:
        return self._type(qname)(value=value)

    async def _read(
        self, service: str, operation: str, parse: Callable[[Any], T], **body: Any
    ) -> T:
        """One resilient read; every Matrikkel call carries the client's MatrikkelContext."""
        return await self._call(
            service,
            operation,
            idempotent=True,
            parse=parse,
            **body,
            matrikkelContext=self._context,
        )

    # --- persons and ownership -------------------------------------------------------------

    async def find_person_id(self, pid: str) -> int | None:
        """The Matrikkel PersonId of the person with fødselsnummer ``pid``; None if unknown."""
        ident = self._type(_PERSON + "FysiskPersonIdent")(fodselsnummer=pid)
        try:
            return await self._read(
                "PersonServiceWS",
                "findPersonIdForIdent",
                lambda result: int(_value(result)),
                personIdent=ident,
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
            _id_values,
            personId=self._id(_PERSON + "PersonId", person_id),
        )
        properties = await self.get_properties(ids)
        return [
            OwnershipRef(pid_, None if p is None else p.share_of(person_id), p)
            for pid_, p in zip(ids, properties, strict=True)
        ]

    # --- objects by id ---------------------------------------------------------------------

    async def get_properties(self, ids: Sequence[int]) -> list[Property | None]:
        """Properties by MatrikkelenhetId, aligned with ``ids`` (None where unknown)."""
        typed = [(_MATRIKKELENHET + "MatrikkelenhetId", i) for i in ids]
        found = await self._get_objects(typed)
        return [_property(found.get(("MatrikkelenhetId", i))) for i in ids]

    async def addresses_for(self, property_ids: Sequence[int]) -> list[list[Address]]:
        """Street addresses of each property, aligned with ``property_ids`` (three round trips:
        the id map, the addresses, then their roads and postal areas together)."""
        if not property_ids:
            return []
        id_list = self._property_id_list(property_ids)
        mapping = await self._read(
            "AdresseServiceWS",
            "findAdresserForMatrikkelenheter",
            _id_map,
            matrikkelenhetIds=id_list,
        )
        address_ids = distinct(a for i in property_ids for a in mapping.get(i, []))
        found = await self._get_objects([(_ADRESSE + "AdresseId", a) for a in address_ids])
        addresses = {a: found.get(("AdresseId", a)) for a in address_ids}
        related: list[tuple[str, int]] = []
        for obj in addresses.values():
            if obj is not None:
                related.extend(_related_ids(obj))
        found_related = await self._get_objects(distinct(related))
        result: list[list[Address]] = []
        for i in property_ids:
            rows = []
            for a in mapping.get(i, []):
                obj = addresses.get(a)
                if obj is not None:
                    rows.append(_address(obj, i, found_related))
            result.append(rows)
        return result

    async def buildings_for(self, property_ids: Sequence[int]) -> list[list[Building]]:
        """Buildings on each property, aligned with ``property_ids`` (two round trips)."""
        if not property_ids:
            return []
        id_list = self._property_id_list(property_ids)
        mapping = await self._read(
            "BygningServiceWS",
            "findByggForMatrikkelenheter",
            _id_map,
            matrikkelenhetIdList=id_list,
        )
        bygg_ids = distinct(b for i in property_ids for b in mapping.get(i, []))
        found = await self._get_objects([(_BYGNING + "ByggId", b) for b in bygg_ids])
        return [
            [
                _building(obj, i)
                for b in mapping.get(i, [])
                if (obj := found.get(("ByggId", b))) is not None
            ]
            for i in property_ids
        ]

    async def ping(self) -> None:
        """Readiness: one cheap authenticated call that touches no personal data."""
        await self._read(
            "StoreServiceWS", "getObjectsIgnoreMissing", lambda result: None, ids={"item": []}
        )

    def _property_id_list(self, property_ids: Sequence[int]) -> dict[str, list[Any]]:
        return {"item": [self._id(_MATRIKKELENHET + "MatrikkelenhetId", i) for i in property_ids]}

    async def _get_objects(
        self, typed_ids: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], Any]:
        """StoreServiceWS.getObjects in batches of ``store_batch_size``.

        Returns bubbles keyed by (id family, value), the family being the id type the caller
        asked with ("MatrikkelenhetId", "ByggId", "AdresseId", "VegId", "KretsId"), whatever
        subtype the reply carries. getObjects fails a whole batch for one unknown id, so such
        a batch is asked again with getObjectsIgnoreMissing.
        """
        found: dict[tuple[str, int], Any] = {}
        for batch in chunked(typed_ids, self._batch):
            ids = {"item": [self._id(qname, value) for qname, value in batch]}
            try:
                objects = await self._read("StoreServiceWS", "getObjects", _items, ids=ids)
            except SoapFault as fault:
                if not _is_finder(fault):
                    raise
                objects = await self._read(
                    "StoreServiceWS", "getObjectsIgnoreMissing", _items, ids=ids
                )
            families = {value: _family(qname) for qname, value in batch}
            for obj in objects:
                value = int(obj.id.value)
                family = _family_of_object(obj, families.get(value))
                found[(family, value)] = obj
        return found


# --- parsing zeep values into records ------------------------------------------------------

_FAMILIES = {
    "MatrikkelenhetId": "MatrikkelenhetId",
    "ByggId": "ByggId",
    "AdresseId": "AdresseId",
    "VegId": "VegId",
    "KretsId": "KretsId",
    "PostnummeromradeId": "KretsId",
}
_OBJECT_FAMILIES = {
    "Grunneiendom": "MatrikkelenhetId",
    "Seksjon": "MatrikkelenhetId",
    "Festegrunn": "MatrikkelenhetId",
    "Jordsameie": "MatrikkelenhetId",
    "Anleggseiendom": "MatrikkelenhetId",
    "AnnenMatrikkelenhet": "MatrikkelenhetId",
    "Bygning": "ByggId",
    "Bygningsendring": "ByggId",
    "Vegadresse": "AdresseId",
    "Matrikkeladresse": "AdresseId",
    "Veg": "VegId",
    "Postnummeromrade": "KretsId",
}


def _family(qname: str) -> str:
    return _FAMILIES[qname.rpartition("}")[2]]


def _family_of_object(obj: Any, asked: str | None) -> str:
    return _OBJECT_FAMILIES.get(_type_name(obj)) or asked or "?"


def _type_name(value: Any) -> str:
    qname = getattr(getattr(value, "_xsd_type", None), "qname", None)
    return "" if qname is None else str(qname.localname)


def _value(result: Any) -> Any:
    """zeep unwraps a one-field id to its value; accept both shapes."""
    return result.value if hasattr(result, "value") else result


def _items(result: Any) -> list[Any]:
    if result is None:
        return []
    items = result.item if hasattr(result, "item") else result
    return list(items or [])


def _id_values(result: Any) -> list[int]:
    return [int(_value(item)) for item in _items(result)]


def _id_map(result: Any) -> dict[int, list[int]]:
    # zeep unwraps a one-field map to its list of entries; accept both shapes.
    if result is None:
        entries = []
    elif isinstance(result, list):
        entries = result
    else:
        entries = result.entry or []
    return {int(e.key.value): _id_values(e.value) for e in entries}


def _is_finder(fault: SoapFault) -> bool:
    if fault.code != "ServiceException" or fault.detail is None:
        return False
    for node in fault.detail.iter():
        if isinstance(node.tag, str) and node.tag.endswith("}category"):
            return _FINDER in (node.text or "")
    return False


def _property(obj: Any) -> Property | None:
    if obj is None:
        return None
    number = obj.matrikkelnummer
    owners = tuple(
        Owner(int(e.eierId.value), f"{e.andel.teller}/{e.andel.nevner}")
        for e in _items(obj.eierforhold)
        if getattr(e, "eierId", None) is not None and getattr(e, "andel", None) is not None
    )
    return Property(
        id=int(obj.id.value),
        matrikkelnummer=Matrikkelnummer(
            kommunenummer=f"{int(number.kommuneId.value):04d}",
            gardsnummer=int(number.gardsnummer),
            bruksnummer=int(number.bruksnummer),
            festenummer=int(number.festenummer or 0),
            seksjonsnummer=int(number.seksjonsnummer or 0),
        ),
        kind=_type_name(obj) or "Matrikkelenhet",
        area_m2=obj.historiskOppgittAreal,
        owners=owners,
    )


def _related_ids(address: Any) -> list[tuple[str, int]]:
    related = []
    if getattr(address, "vegId", None) is not None:
        related.append((_ADRESSE + "VegId", int(address.vegId.value)))
    for krets in _items(address.kretsIds):
        if _type_name(krets) == "PostnummeromradeId":
            related.append((_ADRESSE + "PostnummeromradeId", int(krets.value)))
    return related


def _address(obj: Any, property_id: int, related: dict[tuple[str, int], Any]) -> Address:
    veg = None
    if getattr(obj, "vegId", None) is not None:
        veg = related.get(("VegId", int(obj.vegId.value)))
    area = next(
        (
            related[("KretsId", int(k.value))]
            for k in _items(obj.kretsIds)
            if ("KretsId", int(k.value)) in related
        ),
        None,
    )
    point = getattr(obj, "representasjonspunkt", None)
    position = getattr(point, "position", None)
    return Address(
        id=int(obj.id.value),
        property_id=property_id,
        street=(veg.adressenavn if veg is not None else None) or "",
        number=getattr(obj, "nummer", None),
        letter=getattr(obj, "bokstav", None) or None,
        postnummer=None if area is None else f"{int(area.kretsnummer):04d}",
        poststed=None if area is None else area.kretsnavn,
        east=None if position is None else float(position.x),
        north=None if position is None else float(position.y),
    )


def _building(obj: Any, property_id: int) -> Building:
    type_code = getattr(obj, "bygningstypeKodeId", None)
    statuses = [s for s in _items(obj.bygningsstatusHistorikker) if s.dato is not None]
    status_date: date | None = statuses[-1].dato.date if statuses else None
    return Building(
        id=int(obj.id.value),
        property_id=property_id,
        bygningsnummer=int(obj.bygningsnummer),
        type_code=None if type_code is None else str(type_code.value),
        built_year=None if status_date is None else status_date.year,
        floors=len(_items(obj.etasjer)),
        footprint_m2=obj.bebygdAreal,
        status_date=status_date,
    )
