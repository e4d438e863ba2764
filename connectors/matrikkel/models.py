"""Plain records the Matrikkel connector returns (frozen dataclasses, no zeep types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Matrikkelnummer:
    """A property's national id, written ``kommunenr-gnr/bnr/fnr/snr`` (``3030-12/45/0/0``)."""

    kommunenummer: str  # 4 digits, e.g. "3030"
    gardsnummer: int
    bruksnummer: int
    festenummer: int = 0
    seksjonsnummer: int = 0

    def __str__(self) -> str:
        return (
            f"{self.kommunenummer}-{self.gardsnummer}/{self.bruksnummer}"
            f"/{self.festenummer}/{self.seksjonsnummer}"
        )


@dataclass(frozen=True)
class Owner:
    """A registered owner of a property and their share (``"1/2"``)."""

    person_id: int
    share: str


@dataclass(frozen=True)
class Property:
    """A cadastral unit (matrikkelenhet)."""

    id: int  # MatrikkelenhetId
    matrikkelnummer: Matrikkelnummer
    kind: str  # the Matrikkel type: "Grunneiendom", "Seksjon", "Festegrunn", ...
    area_m2: float | None
    owners: tuple[Owner, ...]

    def share_of(self, person_id: int) -> str | None:
        """The share ``person_id`` owns, or None when they are not an owner."""
        return next((o.share for o in self.owners if o.person_id == person_id), None)


@dataclass(frozen=True)
class OwnershipRef:
    """A property a person owns: its id, the person's share and the property itself."""

    property_id: int
    share: str | None
    property: Property | None  # None only if the register lost it between two calls


@dataclass(frozen=True)
class Address:
    """A street address (vegadresse) of a property, positioned in EUREF89 UTM zone 33."""

    id: int  # AdresseId
    property_id: int
    street: str
    number: int | None
    letter: str | None
    postnummer: str | None
    poststed: str | None
    east: float | None  # EPSG:25833
    north: float | None

    def __str__(self) -> str:
        house = f"{self.number or ''}{self.letter or ''}"
        line = f"{self.street} {house}".strip()
        if self.postnummer:
            return f"{line}, {self.postnummer} {self.poststed or ''}".rstrip()
        return line


@dataclass(frozen=True)
class Building:
    """A building (bygning) on a property."""

    id: int  # ByggId
    property_id: int
    bygningsnummer: int
    type_code: str | None  # bygningstype, e.g. "111" (Enebolig)
    built_year: int | None  # year taken into use
    floors: int
    footprint_m2: float | None
    status_date: date | None = None
