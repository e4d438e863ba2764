"""Matrikkel "bubble" objects built from population records, valid against the vendored XSDs.

The real domain types have dozens of mandatory elements (version ids, flags, history dates) that
Min side never reads; :class:`BubbleFactory` fills every mandatory element the caller did not
give with a neutral value (0, false, "", an empty list), so each reply is schema-valid without
the simulator spelling out the whole model.

Id conventions of the simulator (ids are opaque to clients, so any stable scheme is faithful):
a person's ``PersonId`` is ``PERSON_ID_BASE + index``; ``MatrikkelenhetId``, ``ByggId`` and
``AdresseId`` are the population's ids; an address's ``VegId`` and ``PostnummeromradeId`` reuse
its ``AdresseId`` value (one road object and one postal area object per address).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from simulators.population import Address, Building, Person, Property
from simulators.soap_render import Typed

NS = "http://matrikkel.statkart.no/matrikkelapi/wsapi/v1"
DOMAIN = f"{{{NS}/domain}}"
MATRIKKELENHET = f"{{{NS}/domain/matrikkelenhet}}"
ADRESSE = f"{{{NS}/domain/adresse}}"
BYGNING = f"{{{NS}/domain/bygning}}"
PERSON = f"{{{NS}/domain/person}}"
UTIL = f"{{{NS}/domain/util}}"
EXCEPTION = f"{{{NS}/exception}}"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

PERSON_ID_BASE = 50_000_000
# KoordinatsystemKodeId of EUREF89 UTM zone 33 in the simulator's code list; positions are
# always given in it (the client asks for it in its MatrikkelContext).
UTM33_KODE_ID = 10
# BygningsstatusKodeId "TB" (tatt i bruk): the status date is the year the building was taken
# into use.
TATT_I_BRUK_KODE_ID = 6

_DEFAULTS: dict[str, Any] = {
    "boolean": False,
    "string": "",
    "long": 0,
    "int": 0,
    "integer": 0,
    "short": 0,
    "double": 0.0,
    "float": 0.0,
    "decimal": 0,
    "date": date(1970, 1, 1),
    "dateTime": datetime(1970, 1, 1),
}


def person_id(person: Person) -> int:
    """The Matrikkel PersonId of a population person."""
    return PERSON_ID_BASE + person.index


def person_index(matrikkel_person_id: int) -> int:
    """The population index behind a Matrikkel PersonId (may be out of range)."""
    return matrikkel_person_id - PERSON_ID_BASE


class BubbleFactory:
    """Builds values of the Matrikkel schema with every mandatory element present.

    Values are :class:`~simulators.soap_render.Typed` trees (a zeep type and plain dicts), which
    the endpoint renders straight with lxml; :func:`~simulators.soap_render.zeep_value` makes
    zeep value objects of them for zeep's serializer.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._types: dict[str, Any] = {}

    def type(self, qname: str) -> Any:
        """The zeep type ``qname`` (cached: get_type walks every schema)."""
        found = self._types.get(qname)
        if found is None:
            found = self._types[qname] = self._client.get_type(qname)
        return found

    def build(self, qname: str, **values: Any) -> Typed:
        """A value of type ``qname`` from ``values`` plus neutral mandatory elements."""
        xsd_type = self.type(qname)
        return Typed(xsd_type, _complete(xsd_type, values))

    def id(self, qname: str, value: int) -> Typed:
        """A typed id (``MatrikkelenhetId``, ``ByggId`` ...), rendered with its xsi:type."""
        return Typed(self.type(qname), {"value": value})

    # --- domain objects ------------------------------------------------------------------

    def matrikkelenhet(self, prop: Property, owners: list[tuple[Person, str]]) -> Any:
        """A ``Grunneiendom`` or ``Seksjon`` with its matrikkelnummer and registered owners."""
        kind = "Seksjon" if prop.is_sectioned else "Grunneiendom"
        eierforhold = [
            self.build(
                MATRIKKELENHET + "PersonTinglystEierforhold",
                andel=_andel(share),
                eierId=self.id(PERSON + "FysiskPersonId", person_id(person)),
            )
            for person, share in owners
        ]
        return self.build(
            MATRIKKELENHET + kind,
            id=self.id(MATRIKKELENHET + "MatrikkelenhetId", prop.matrikkelenhet_id),
            matrikkelnummer=self.build(
                MATRIKKELENHET + "Matrikkelnummer",
                kommuneId={"value": int(prop.kommunenummer)},
                gardsnummer=prop.gnr,
                bruksnummer=prop.bnr,
                festenummer=prop.fnr,
                seksjonsnummer=prop.snr,
            ),
            historiskOppgittAreal=float(prop.area_m2),
            tinglyst=True,
            eierforhold={"item": eierforhold},
        )

    def vegadresse(self, address: Address) -> Any:
        """A ``Vegadresse`` pointing at its road (``VegId``) and postal area (``kretsIds``)."""
        return self.build(
            ADRESSE + "Vegadresse",
            id=self.id(ADRESSE + "VegadresseId", address.adresse_id),
            representasjonspunkt=self.build(
                f"{{{NS}/domain/geometri}}Representasjonspunkt",
                koordinatsystemKodeId={"value": UTM33_KODE_ID},
                position={"x": address.east, "y": address.north, "z": 0.0},
            ),
            matrikkelenhetId=self.id(
                MATRIKKELENHET + "MatrikkelenhetId", address.matrikkelenhet_id
            ),
            kretsIds={"item": [self.id(ADRESSE + "PostnummeromradeId", address.adresse_id)]},
            vegId=self.id(ADRESSE + "VegId", address.adresse_id),
            nummer=address.number,
            bokstav=address.letter or None,
        )

    def adresse_info(self, address: Address, prop: Property) -> Any:
        """An ``AdresseBokInfo`` (findAdresseInfoObjekter): an address, its property and road."""
        return self.build(
            ADRESSE + "AdresseBokInfo",
            adresseId=self.id(ADRESSE + "VegadresseId", address.adresse_id),
            vegDTO=self.build(
                ADRESSE + "VegDTO",
                kommuneId={"value": int(address.kommunenummer)},
                adressenavn=address.street,
                kommunenr=address.kommunenummer,
                vegId=self.id(ADRESSE + "VegId", address.adresse_id),
            ),
            matrikkelenhetDTO=self.build(
                MATRIKKELENHET + "MatrikkelenhetDTO",
                matrikkelenhetId=self.id(
                    MATRIKKELENHET + "MatrikkelenhetId", prop.matrikkelenhet_id
                ),
                kommuneId={"value": int(prop.kommunenummer)},
                kommunenr=prop.kommunenummer,
            ),
            nr=address.number,
            bokstav=address.letter or None,
        )

    def veg(self, address: Address) -> Any:
        """The road (``Veg``) of an address: its name."""
        return self.build(
            ADRESSE + "Veg",
            id=self.id(ADRESSE + "VegId", address.adresse_id),
            kommuneId={"value": int(address.kommunenummer)},
            adressekode=address.adresse_id % 100_000,
            adressenavn=address.street,
            kortAdressenavn=address.street[:18],
        )

    def postnummeromrade(self, address: Address) -> Any:
        """The postal area (``Postnummeromrade``) of an address: postnummer and poststed."""
        return self.build(
            ADRESSE + "Postnummeromrade",
            id=self.id(ADRESSE + "PostnummeromradeId", address.adresse_id),
            kretsnummer=int(address.postnummer),
            kretsnavn=address.poststed,
        )

    def bygning(self, building: Building) -> Any:
        """A ``Bygning`` with type code, floors, footprint and the year it was taken into use."""
        etasjer = [
            self.build(BYGNING + "Etasje", etasjenummer=floor)
            for floor in range(1, building.floors + 1)
        ]
        status = self.build(
            BYGNING + "BygningsstatusHistorikk",
            bygningsstatusKodeId={"value": TATT_I_BRUK_KODE_ID},
            dato={"date": date(building.built_year, 1, 1)},
        )
        return self.build(
            BYGNING + "Bygning",
            id=self.id(BYGNING + "BygningId", building.bygg_id),
            bygningsnummer=building.bygningsnummer,
            bebygdAreal=float(building.area_m2),
            etasjer={"item": etasjer},
            bygningsstatusHistorikker={"item": [status]},
            bygningsstatusKodeId={"value": TATT_I_BRUK_KODE_ID},
            bygningstypeKodeId={"value": int(building.type_code)},
        )


def _andel(share: str) -> dict[str, int]:
    teller, _, nevner = share.partition("/")
    return {"teller": int(teller), "nevner": int(nevner or 1)}


def _complete(xsd_type: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus a neutral value for every mandatory element of ``xsd_type`` left out."""
    result = dict(values)
    for name, element in getattr(xsd_type, "elements", ()):
        if name in result or element.min_occurs == 0 or element.nillable:
            continue
        result[name] = _neutral(element.type)
    return result


def _neutral(xsd_type: Any) -> Any:
    qname = getattr(xsd_type, "qname", None)
    if qname is not None and qname.namespace == XSD_NS:
        return _DEFAULTS.get(qname.localname, "")
    if getattr(xsd_type, "elements", None) is None:
        return ""  # a simple type restricted from a string (codes, UUIDs)
    return _complete(xsd_type, {})  # of the declared type: no xsi:type
