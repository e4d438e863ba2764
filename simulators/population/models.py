"""Records of the synthetic population: frozen dataclasses shared by all four simulators.

Records are immutable (tuples, not lists) because the population caches them and hands the same
objects to every caller; changes go through :class:`~simulators.population.Population`'s
overlay methods instead. Money and volumes are :class:`~decimal.Decimal`; dates are
:class:`~datetime.date` in Europe/Oslo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

# --- people --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A synthetic citizen. ``pid`` is a Tenor-style fødselsnummer (month + 80)."""

    index: int
    pid: str
    given_name: str
    family_name: str
    birth_date: date
    gender: str  # "F" | "M", as encoded in the pid's individual number

    @property
    def name(self) -> str:
        """Full name, given name(s) first."""
        return f"{self.given_name} {self.family_name}"


# --- Matrikkel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A street address (vegadresse) of a property, with both coordinate systems."""

    adresse_id: int
    matrikkelenhet_id: int
    kommunenummer: str
    street: str
    number: int
    letter: str  # "" when none
    postnummer: str
    poststed: str
    lat: float  # WGS84
    lon: float
    east: float  # EUREF89 UTM zone 33 (EPSG:25833)
    north: float

    @property
    def text(self) -> str:
        """One line, as printed on a letter: ``Storgata 12B, 2000 Lillestrøm``."""
        return f"{self.street} {self.number}{self.letter}, {self.postnummer} {self.poststed}"


@dataclass(frozen=True)
class Building:
    """A building (bygg) standing on a property."""

    bygg_id: int
    matrikkelenhet_id: int
    bygningsnummer: int
    type_code: str  # bygningstype code, e.g. "111"
    type_name: str  # e.g. "Enebolig"
    built_year: int
    area_m2: Decimal  # bruksareal
    floors: int


@dataclass(frozen=True)
class Property:
    """A cadastral unit (matrikkelenhet) identified by its matrikkelnummer."""

    matrikkelenhet_id: int
    kommunenummer: str
    kommunenavn: str
    gnr: int
    bnr: int
    fnr: int
    snr: int
    kind: str  # "Grunneiendom" | "Seksjon" | ...
    land_use: str  # e.g. "Bolig", "Fritid", "Landbruk", "Ubebygd"
    area_m2: Decimal
    boundary_wgs84: tuple[tuple[float, float], ...]  # closed ring of (lat, lon)
    boundary_utm33: tuple[tuple[float, float], ...]  # same ring as (east, north)

    @property
    def matrikkelnummer(self) -> str:
        """``kommunenummer-gnr/bnr/fnr/snr``, e.g. ``3030-12/45/0/0``."""
        return f"{self.kommunenummer}-{self.gnr}/{self.bnr}/{self.fnr}/{self.snr}"

    @property
    def is_sectioned(self) -> bool:
        """True for an eierseksjon (apartment in a sectioned building)."""
        return self.snr > 0


@dataclass(frozen=True)
class Ownership:
    """A person's share of a property (``"1/1"``, ``"1/2"``)."""

    property: Property
    share: str


# --- fee, tax and meter service -------------------------------------------------------------


class FeeKind(StrEnum):
    """The municipal fee groups of a property's gebyrgrunnlag."""

    WATER = "WATER"
    WASTEWATER = "WASTEWATER"
    WASTE = "WASTE"
    CHIMNEY_SWEEPING = "CHIMNEY_SWEEPING"


@dataclass(frozen=True)
class FeeLine:
    """One line of the fee basis: ``quantity × unit_price = annual_amount`` (NOK, ex. nothing)."""

    kind: FeeKind
    code: str  # the register's tariff code, e.g. "VANN-FAST"
    description: str  # Norwegian label, e.g. "Vann, fastledd"
    unit: str  # "m3" | "m2" | "count"
    quantity: Decimal
    unit_price: Decimal
    annual_amount: Decimal


@dataclass(frozen=True)
class TaxBasis:
    """Eiendomsskattegrunnlag for one year (NOK, rate in per mille)."""

    matrikkelnummer: str
    year: int
    assessed_value: Decimal  # takst
    statutory_reduction: Decimal  # obligatorisk reduksjon, as an amount
    basic_deduction: Decimal  # bunnfradrag
    tax_base: Decimal  # grunnlag = takst - reduksjon - bunnfradrag (not below 0)
    rate_per_mille: Decimal  # promillesats
    annual_tax: Decimal  # 0 when exempt
    exemption: str | None  # fritak, with its legal ground, or None


class ReadingSource(StrEnum):
    """Who produced a water-meter reading."""

    CITIZEN = "CITIZEN"
    TECHNICIAN = "TECHNICIAN"
    ESTIMATED = "ESTIMATED"


@dataclass(frozen=True)
class Reading:
    """A water-meter reading: the counter (m³) on a date."""

    read_on: date
    value_m3: Decimal
    source: ReadingSource


@dataclass(frozen=True)
class Meter:
    """A water meter on a property; a replaced meter keeps its history and ``replaced_on``."""

    meter_number: str
    matrikkelnummer: str
    installed_on: date
    replaced_on: date | None
    readings: tuple[Reading, ...]  # oldest first

    @property
    def is_active(self) -> bool:
        """False once the meter has been replaced."""
        return self.replaced_on is None


# --- Public 360 -------------------------------------------------------------------------------


class CaseKind(StrEnum):
    """What a case is about (the gateway's ``CaseKind``)."""

    APPLICATION = "APPLICATION"
    BUILDING = "BUILDING"
    PLANNING = "PLANNING"
    WATER_SEWAGE_WASTE = "WATER_SEWAGE_WASTE"
    OTHER = "OTHER"


class DocumentDirection(StrEnum):
    """Journal entry category in 360: incoming, outgoing or internal note."""

    INCOMING = "I"
    OUTGOING = "U"
    NOTE = "N"  # organinternt notat uten oppfølging
    NOTE_FOLLOW_UP = "X"  # organinternt notat med oppfølging


CASE_STATUS_OPEN = "Under behandling"
CASE_STATUS_CLOSED = "Avsluttet"
CASE_STATUS_RESERVED = "Reservert"


@dataclass(frozen=True)
class DocFile:
    """A file of a document. ``data`` is None in listings; :meth:`Population.file_by_recno`
    fills it (fetching content is a separate call in 360 too)."""

    recno: int
    document_recno: int
    name: str  # "Søknad om ....pdf"
    format: str  # "pdf"
    content_type: str  # "application/pdf"
    data: bytes | None = None
    access_code: str | None = None  # the file's own tilgangskode, when it has one

    @property
    def is_exempt(self) -> bool:
        """True when the file is kept from the case party (an access code other than 13)."""
        return self.access_code is not None and self.access_code != "13"

    @property
    def size(self) -> int | None:
        """Size in bytes when the content is loaded."""
        return None if self.data is None else len(self.data)


@dataclass(frozen=True)
class NewFile:
    """A file to attach to a new document: title (file name), format ("pdf") and content."""

    title: str
    format: str
    data: bytes


@dataclass(frozen=True)
class Document:
    """A journal entry (journalpost) of a case."""

    recno: int
    document_number: str  # "2024/01234-3"
    case_number: str
    title: str
    direction: DocumentDirection
    document_date: date
    is_decision: bool
    files: tuple[DocFile, ...]
    status: str = "J"  # journalstatus: J = journalført, E = ekspedert, F = ferdigstilt, R = ...
    is_unofficial: bool = True  # offentlighet: unntatt (personal data)
    # A tilgangskode other than the personal-data 13 that ``is_unofficial`` gives, e.g. "19"
    # (unntatt partsinnsyn): the entry is kept from the case party too.
    access_code: str | None = None

    @property
    def is_visible_to_party(self) -> bool:
        """What the gateway's default visibility rule shows the party: a letter in or out, or
        a decision, journalført/ekspedert/arkivert, not exempt from the party's access."""
        return (
            (self.direction in (DocumentDirection.INCOMING, DocumentDirection.OUTGOING))
            and self.status in ("J", "E", "A")
            and self.access_code is None
        )


@dataclass(frozen=True)
class Case:
    """A case (sak) where the citizen is a party."""

    recno: int
    case_number: str  # "2024/01234"
    title: str
    kind: CaseKind
    status: str  # CASE_STATUS_*
    opened_on: date
    closed_on: date | None
    documents: tuple[Document, ...]
    party_pid: str
    responsible_unit: str  # e.g. "Byggesak"
    matrikkelnummer: str | None = None
    is_unofficial: bool = True

    @property
    def decision(self) -> Document | None:
        """The latest decision document (vedtak), if any."""
        decisions = [doc for doc in self.documents if doc.is_decision]
        return decisions[-1] if decisions else None


# --- Visma invoices --------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    """Fiks Innsyn faktura.v1 statuses, plus KREDITERT for a credited invoice."""

    BETALT = "BETALT"
    IKKE_BETALT = "IKKE_BETALT"
    INKASSOVARSEL = "INKASSOVARSEL"
    SENDT_INKASSO = "SENDT_INKASSO"
    KREDITERT = "KREDITERT"


@dataclass(frozen=True)
class InvoiceLine:
    """A line of an invoice (fakturalinje)."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal = Decimal("0")  # municipal fees are outside VAT


@dataclass(frozen=True)
class Invoice:
    """An invoice, with Fiks Innsyn faktura.v1 meaning; names in English, originals noted.

    ``overdue`` is computed by the population against its clock when the invoice is handed
    out: unpaid (outstanding > 0, not credited) and past its due date.
    """

    invoice_number: str  # fakturanummer
    customer_pid: str
    title: str  # tittel
    issued_on: date  # fakturaDato
    due_on: date  # forfallDato
    recipient: str  # fakturaMottaker
    pay_to: str  # betalesTil
    amount: Decimal  # belop (without fees)
    paid_amount: Decimal  # innbetaltBelop
    fee: Decimal  # gebyr (purregebyr)
    interest: Decimal  # renter
    credited_amount: Decimal  # kreditertBelop
    outstanding: Decimal  # utestaendeBelop
    status: InvoiceStatus
    kid: str
    account_number: str  # kontonummer
    channel: str  # forsendelseskanal
    lines: tuple[InvoiceLine, ...]
    matrikkelnummer: str | None = None
    paid_on: date | None = None
    description: str | None = None  # beskrivelse
    sent_to_external: bool = False  # sendtTilEkstern
    overdue: bool = False

    @property
    def total(self) -> Decimal:
        """totalbelop: the original amount plus fee and interest."""
        return self.amount + self.fee + self.interest

    @property
    def payable(self) -> bool:
        """kanBetales: something is left to pay and it is not with an external collector."""
        return self.outstanding > 0 and not self.sent_to_external
