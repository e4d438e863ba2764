"""What the Public 360 connector returns and accepts: plain frozen dataclasses.

Names follow the gateway's domain words; the SIF element each field comes from is noted where
the mapping is not obvious. Fields that carry a fødselsnummer are excluded from ``repr`` so an
accidental log line of a model never prints one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "Case",
    "CaseKind",
    "CaseStatus",
    "CreatedCase",
    "CreatedDocument",
    "Document",
    "DocumentDirection",
    "DocumentFile",
    "FileContent",
    "NewFile",
    "PostalAddress",
    "PrivatePerson",
]


class CaseKind(StrEnum):
    """What a case is about, derived from 360's case type code (``CaseTypeCode``)."""

    APPLICATION = "APPLICATION"
    BUILDING = "BUILDING"
    PLANNING = "PLANNING"
    WATER_SEWAGE_WASTE = "WATER_SEWAGE_WASTE"
    OTHER = "OTHER"


class CaseStatus(StrEnum):
    """Where a case is in its life, derived from 360's case status (Noark 5 *saksstatus*)."""

    OPEN = "OPEN"  # registered, not yet taken up (Reservert / Opprettet av saksbehandler)
    IN_PROGRESS = "IN_PROGRESS"  # Under behandling
    DECIDED = "DECIDED"  # the case officer is done (Avsluttet av saksbehandler / Ferdig)
    CLOSED = "CLOSED"  # Avsluttet (also Avskrevet, Utgår)

    @property
    def is_open(self) -> bool:
        """True while the municipality is still handling the case."""
        return self in (CaseStatus.OPEN, CaseStatus.IN_PROGRESS)


class DocumentDirection(StrEnum):
    """Journal entry category (Noark journalposttype): incoming, outgoing, internal note."""

    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class Case:
    """A case (sak) from ``CaseService.GetCases``."""

    recno: int
    case_number: str  # "2024/01234"
    title: str
    kind: CaseKind
    case_type_code: str | None  # the raw code, e.g. "BYGGESAK"
    status: str | None  # "Under behandling", "Avsluttet", ...
    opened_on: date | None  # CaseResult.Date
    responsible_unit: str | None  # ResponsibleEnterpriseName
    external_id: str | None  # ExternalId.Id: the idempotency key of a case we created

    @property
    def is_closed(self) -> bool:
        """True when 360 reports the case as finished."""
        return (self.status or "").casefold() in {"avsluttet", "avsluttet sak", "closed"}


@dataclass(frozen=True)
class DocumentFile:
    """A file listed on a document (content comes from :class:`FileContent`)."""

    recno: int
    title: str
    format: str | None  # "pdf", "docx", ...
    content_type: str
    # AccessCodeCode of the file itself (an attachment can be exempt on a public letter).
    access_code: str | None = None

    @property
    def name(self) -> str:
        """A file name for downloads: the title, with the format as extension if missing."""
        if self.format and not self.title.lower().endswith(f".{self.format.lower()}"):
            return f"{self.title}.{self.format.lower()}"
        return self.title


@dataclass(frozen=True)
class Document:
    """A journal entry (journalpost) from ``DocumentService.GetDocuments``."""

    recno: int
    document_number: str  # "2024/01234-3"
    case_number: str
    title: str
    direction: DocumentDirection
    category_code: str | None  # raw Category.Code
    document_date: date | None
    journal_date: date | None
    status_code: str | None  # journalstatus, e.g. "J"
    is_decision: bool  # Type.Code is the decision (vedtak) type
    files: tuple[DocumentFile, ...]
    type_code: str | None = None  # raw Type.Code, e.g. "VEDTAK", "BREV", "NOTAT"
    # AccessCodeCode (tilgangskode), e.g. "13" (offentleglova § 13); None when public.
    access_code: str | None = None


@dataclass(frozen=True)
class FileContent:
    """A file with its bytes, from ``FileService.GetFileWithMetadata``."""

    recno: int
    document_recno: int | None
    document_number: str | None
    title: str
    format: str | None
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class PostalAddress:
    """An address of a contact in 360."""

    street: str | None
    zip_code: str | None
    zip_place: str | None
    country: str | None


@dataclass(frozen=True)
class PrivatePerson:
    """A private person contact from ``ContactService.GetPrivatePersons``."""

    recno: int
    personal_id_number: str = field(repr=False)
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    email: str | None
    mobile_phone: str | None
    post_address: PostalAddress | None

    @property
    def name(self) -> str:
        """Full name, given names first."""
        parts = (self.first_name, self.middle_name, self.last_name)
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class NewFile:
    """A file to attach to a new document."""

    title: str
    format: str  # "pdf"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class CreatedCase:
    """What ``CaseService.CreateCase`` answers: the new case's keys."""

    recno: int
    case_number: str


@dataclass(frozen=True)
class CreatedDocument:
    """What ``DocumentService.CreateDocument`` answers: the new document's keys."""

    recno: int
    document_number: str
