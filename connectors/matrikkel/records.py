"""What the Matrikkel connector reads out of StoreService objects, and zeep's way of reading it.

``getObjects`` answers with "bubble" objects of many types. The client needs a handful of
fields of five kinds of them; each kind is a record here, keyed like the client keys them
(id family and id value). A property is read straight into its model; addresses and buildings
become models only with what the client knows besides the object (the property asked for,
the road and postal area fetched after them).

Two readers produce these records from the same reply: :func:`objects_from_zeep` below (zeep's
parsed objects, the reference) and :func:`connectors.matrikkel.read.read_objects` (lxml,
what production uses). The parser-equivalence tests demand equal records from both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from connectors.matrikkel.models import Matrikkelnummer, Owner, Property

__all__ = [
    "FAMILY_OF_ID",
    "FAMILY_OF_OBJECT",
    "AddressRecord",
    "BuildingRecord",
    "PostalAreaRecord",
    "RoadRecord",
    "StoreRecord",
    "address_info_from_zeep",
    "family_of",
    "id_map_from_zeep",
    "id_values_from_zeep",
    "objects_from_zeep",
    "person_id_from_zeep",
]

#: The id family of each id type the client asks with (a postal area is a krets).
FAMILY_OF_ID: Final[dict[str, str]] = {
    "MatrikkelenhetId": "MatrikkelenhetId",
    "ByggId": "ByggId",
    "AdresseId": "AdresseId",
    "VegId": "VegId",
    "KretsId": "KretsId",
    "PostnummeromradeId": "KretsId",
}
#: The id family of each object type getObjects answers with.
FAMILY_OF_OBJECT: Final[dict[str, str]] = {
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


@dataclass(frozen=True)
class AddressRecord:
    """An address object: its own fields and the ids of its road and districts."""

    id: int
    road_id: int | None  # vegId
    districts: tuple[tuple[str, int], ...]  # kretsIds: (id type, value)
    number: int | None
    letter: str | None
    east: float | None  # None when the object has no representasjonspunkt
    north: float | None


@dataclass(frozen=True)
class RoadRecord:
    """A road (``Veg``): its name."""

    id: int
    name: str | None  # adressenavn


@dataclass(frozen=True)
class PostalAreaRecord:
    """A postal area (``Postnummeromrade``, a krets): its number and place name."""

    id: int
    number: int | None  # kretsnummer
    name: str | None  # kretsnavn


@dataclass(frozen=True)
class BuildingRecord:
    """A building object; :meth:`connectors.matrikkel.models.Building` adds the property."""

    id: int
    bygningsnummer: int
    type_code: str | None
    status_date: date | None  # the date of the last status that has one
    floors: int
    footprint_m2: float | None


StoreRecord = Property | AddressRecord | RoadRecord | PostalAreaRecord | BuildingRecord


def family_of(type_name: str, asked: str | None) -> str:
    """The id family of an object of type ``type_name`` asked for as ``asked`` ("?" if none)."""
    return FAMILY_OF_OBJECT.get(type_name) or asked or "?"


# --- zeep's reading ----------------------------------------------------------------------------


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


def person_id_from_zeep(result: Any) -> int:
    """``findPersonIdForIdent``'s PersonId."""
    return int(_value(result))


def id_values_from_zeep(result: Any) -> list[int]:
    """A list of typed ids (``findEideMatrikkelenheterForPerson``)."""
    return [int(_value(item)) for item in _items(result)]


def id_map_from_zeep(result: Any) -> dict[int, list[int]]:
    """An id-to-ids map (``findAdresserForMatrikkelenheter``, ``findByggForMatrikkelenheter``)."""
    # zeep unwraps a one-field map to its list of entries; accept both shapes.
    if result is None:
        entries = []
    elif isinstance(result, list):
        entries = result
    else:
        entries = result.entry or []
    return {int(e.key.value): id_values_from_zeep(e.value) for e in entries}


def address_info_from_zeep(result: Any) -> dict[int, list[int]]:
    """findAdresseInfoObjekter's AdresseBokInfo list as each property's address ids."""
    found: dict[int, list[int]] = {}
    for item in _items(result):
        address = getattr(item, "adresseId", None)
        prop = getattr(getattr(item, "matrikkelenhetDTO", None), "matrikkelenhetId", None)
        if address is None or prop is None:
            continue
        found.setdefault(int(_value(prop)), []).append(int(_value(address)))
    return found


def objects_from_zeep(result: Any, asked: Mapping[int, str]) -> dict[tuple[str, int], StoreRecord]:
    """getObjects' bubbles as records keyed by (id family, value).

    ``asked`` is the family each id value was asked for as, for objects whose type does not
    tell. Objects of a family the client does not read are left out.
    """
    found: dict[tuple[str, int], StoreRecord] = {}
    for obj in _items(result):
        value = int(obj.id.value)
        family = family_of(_type_name(obj), asked.get(value))
        record = _record(family, obj)
        if record is not None:
            found[(family, value)] = record
    return found


def _record(family: str, obj: Any) -> StoreRecord | None:
    if family == "MatrikkelenhetId":
        return _property(obj)
    if family == "AdresseId":
        return _address(obj)
    if family == "VegId":
        return RoadRecord(int(obj.id.value), obj.adressenavn)
    if family == "KretsId":
        return PostalAreaRecord(int(obj.id.value), obj.kretsnummer, obj.kretsnavn)
    if family == "ByggId":
        return _building(obj)
    return None


def _property(obj: Any) -> Property:
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


def _address(obj: Any) -> AddressRecord:
    road = getattr(obj, "vegId", None)
    point = getattr(obj, "representasjonspunkt", None)
    position = getattr(point, "position", None)
    return AddressRecord(
        id=int(obj.id.value),
        road_id=None if road is None else int(road.value),
        districts=tuple((_type_name(k), int(k.value)) for k in _items(obj.kretsIds)),
        number=getattr(obj, "nummer", None),
        letter=getattr(obj, "bokstav", None) or None,
        east=None if position is None else float(position.x),
        north=None if position is None else float(position.y),
    )


def _building(obj: Any) -> BuildingRecord:
    type_code = getattr(obj, "bygningstypeKodeId", None)
    statuses = [s for s in _items(obj.bygningsstatusHistorikker) if s.dato is not None]
    return BuildingRecord(
        id=int(obj.id.value),
        bygningsnummer=int(obj.bygningsnummer),
        type_code=None if type_code is None else str(type_code.value),
        status_date=statuses[-1].dato.date if statuses else None,
        floors=len(_items(obj.etasjer)),
        footprint_m2=obj.bebygdAreal,
    )
