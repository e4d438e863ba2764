"""Read the Matrikkel replies the dashboard needs straight from lxml.

The same records as :mod:`connectors.matrikkel.records` reads from zeep's objects, for the
same bytes, at a fraction of the CPU: ``getObjects`` bubbles (properties, addresses, roads,
postal areas, buildings), the id lists and id maps of the ``find*`` operations, and the
PersonId. Each reader takes the operation's output element (``getObjectsResponse`` ...);
scalars are read as zeep reads them (:mod:`connectors.xmlread`). The parser-equivalence
tests (tests/connectors/matrikkel/test_read_equivalence.py) hold the two readers to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from lxml import etree

from connectors.matrikkel.models import Matrikkelnummer, Owner, Property
from connectors.matrikkel.records import (
    AddressRecord,
    BuildingRecord,
    PostalAreaRecord,
    RoadRecord,
    StoreRecord,
    family_of,
)
from connectors.xmlread import child, children, date_value, double, integer, local_type, text

__all__ = [
    "read_address_info",
    "read_id_map",
    "read_id_values",
    "read_objects",
    "read_person_id",
]

_V1: Final = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1"
D: Final = f"{{{_V1}/domain}}"
M: Final = f"{{{_V1}/domain/matrikkelenhet}}"
A: Final = f"{{{_V1}/domain/adresse}}"
B: Final = f"{{{_V1}/domain/bygning}}"
G: Final = f"{{{_V1}/domain/geometri}}"
U: Final = f"{{{_V1}/domain/util}}"


def _return(output: etree._Element) -> etree._Element | None:
    # ``return`` is in each service's own namespace; its children in the namespace of the
    # domain package that defines the list or map, hence the wildcards below.
    return child(output, "{*}return")


def _id_value(element: etree._Element | None) -> int:
    """A typed id's value (``<id><value>7</value></id>``); a missing one is a shape error."""
    value = integer(element, D + "value")
    if value is None:
        raise TypeError("id without value")
    return value


def _entries(parent: etree._Element | None) -> list[etree._Element]:
    """The children of a list or map (``item`` or ``entry``, in whatever namespace)."""
    if parent is None:
        return []
    return [node for node in parent if isinstance(node.tag, str)]


def read_person_id(output: etree._Element) -> int:
    """``findPersonIdForIdentResponse``: the PersonId."""
    return _id_value(_return(output))


def read_id_values(output: etree._Element) -> list[int]:
    """``findEideMatrikkelenheterForPersonResponse``: the ids in the list."""
    return [_id_value(item) for item in _entries(_return(output))]


def read_id_map(output: etree._Element) -> dict[int, list[int]]:
    """``findAdresserForMatrikkelenheterResponse`` / ``findByggForMatrikkelenheterResponse``."""
    found: dict[int, list[int]] = {}
    for entry in _entries(_return(output)):
        namespace = etree.QName(entry).namespace
        key = child(entry, f"{{{namespace}}}key")
        values = child(entry, f"{{{namespace}}}value")
        found[_id_value(key)] = [_id_value(item) for item in _entries(values)]
    return found


def read_address_info(output: etree._Element) -> dict[int, list[int]]:
    """``findAdresseInfoObjekterResponse``: each property's address ids, in reply order.

    Only ``adresseId`` and ``matrikkelenhetDTO/matrikkelenhetId`` are read (the addresses'
    own fields come from getObjects, as for findAdresserForMatrikkelenheter); an item without
    either is left out.
    """
    found: dict[int, list[int]] = {}
    for item in _entries(_return(output)):
        address = child(item, A + "adresseId")
        prop = child(child(item, A + "matrikkelenhetDTO"), M + "matrikkelenhetId")
        if address is None or prop is None:
            continue
        found.setdefault(_id_value(prop), []).append(_id_value(address))
    return found


def read_objects(
    output: etree._Element, asked: Mapping[int, str]
) -> dict[tuple[str, int], StoreRecord]:
    """``getObjectsResponse``: the bubbles as records keyed by (id family, value).

    ``asked`` is the family each id value was asked for as, for objects whose type does not
    tell; objects of a family the client does not read are left out.
    """
    found: dict[tuple[str, int], StoreRecord] = {}
    for obj in _entries(_return(output)):
        value = _id_value(child(obj, D + "id"))
        type_name = local_type(obj) or "MatrikkelBubbleObject"  # the declared type
        family = family_of(type_name, asked.get(value))
        record = _record(family, type_name, value, obj)
        if record is not None:
            found[(family, value)] = record
    return found


def _record(family: str, type_name: str, value: int, obj: etree._Element) -> StoreRecord | None:
    if family == "MatrikkelenhetId":
        return _property(type_name, value, obj)
    if family == "AdresseId":
        return _address(value, obj)
    if family == "VegId":
        return RoadRecord(value, text(obj, A + "adressenavn"))
    if family == "KretsId":
        return PostalAreaRecord(value, integer(obj, A + "kretsnummer"), text(obj, A + "kretsnavn"))
    if family == "ByggId":
        return _building(value, obj)
    return None


def _required_int(parent: etree._Element | None, tag: str) -> int:
    value = integer(parent, tag)
    if value is None:
        raise TypeError("missing number")
    return value


def _property(type_name: str, value: int, obj: etree._Element) -> Property:
    number = child(obj, M + "matrikkelnummer")
    if number is None:
        raise AttributeError("no matrikkelnummer")
    owners = []
    for item in children(child(obj, M + "eierforhold"), M + "item"):
        if item is None:
            continue  # zeep reads an empty item as None, which has no owner
        owner = child(item, M + "eierId")
        share = child(item, M + "andel")
        if owner is not None and share is not None:
            teller, nevner = integer(share, U + "teller"), integer(share, U + "nevner")
            owners.append(Owner(_id_value(owner), f"{teller}/{nevner}"))
    return Property(
        id=value,
        matrikkelnummer=Matrikkelnummer(
            kommunenummer=f"{_id_value(child(number, M + 'kommuneId')):04d}",
            gardsnummer=_required_int(number, M + "gardsnummer"),
            bruksnummer=_required_int(number, M + "bruksnummer"),
            festenummer=integer(number, M + "festenummer") or 0,
            seksjonsnummer=integer(number, M + "seksjonsnummer") or 0,
        ),
        kind=type_name or "Matrikkelenhet",
        area_m2=double(obj, M + "historiskOppgittAreal"),
        owners=tuple(owners),
    )


def _address(value: int, obj: etree._Element) -> AddressRecord:
    road = child(obj, A + "vegId")
    position = child(child(obj, A + "representasjonspunkt"), G + "position")
    districts = []
    for krets in children(child(obj, A + "kretsIds"), A + "item"):
        if krets is None:
            raise AttributeError("empty krets id")
        # Untyped, zeep names an id by its declared type.
        districts.append((local_type(krets) or "KretsId", _id_value(krets)))
    east = north = None
    if position is not None:
        east, north = double(position, G + "x"), double(position, G + "y")
        if east is None or north is None:
            raise TypeError("position without coordinates")
    return AddressRecord(
        id=value,
        road_id=None if road is None else _id_value(road),
        districts=tuple(districts),
        number=integer(obj, A + "nummer"),
        letter=text(obj, A + "bokstav") or None,
        east=east,
        north=north,
    )


def _building(value: int, obj: etree._Element) -> BuildingRecord:
    type_code = child(obj, B + "bygningstypeKodeId")
    statuses = []
    for status in children(child(obj, B + "bygningsstatusHistorikker"), B + "item"):
        if status is None:
            raise AttributeError("empty status")
        dato = child(status, B + "dato")
        if dato is not None:
            statuses.append(dato)
    return BuildingRecord(
        id=value,
        bygningsnummer=_required_int(obj, B + "bygningsnummer"),
        type_code=None if type_code is None else str(integer(type_code, D + "value")),
        status_date=date_value(statuses[-1], D + "date") if statuses else None,
        floors=len(list(children(child(obj, B + "etasjer"), B + "item"))),
        footprint_m2=double(obj, B + "bebygdAreal"),
    )
