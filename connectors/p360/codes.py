"""Code values of the municipality's Public 360 set-up that the connector reads and writes.

360's code tables are configured per installation; these are the ones this municipality's
archive uses (and the simulator serves). Reading is lenient: unknown codes map to
``OTHER``/``INTERNAL`` rather than failing a whole case list over one odd record.
"""

from __future__ import annotations

from typing import Final

from connectors.p360.models import CaseKind, CaseStatus, DocumentDirection

__all__ = [
    "ACCESS_CODE_UNOFFICIAL",
    "CASE_TYPE_BY_KIND",
    "CATEGORY_BY_DIRECTION",
    "DECISION_TYPE_CODE",
    "EXTERNAL_ID_TYPE",
    "ROLE_PARTY",
    "ROLE_SENDER",
    "UNOFFICIAL_PARAGRAPH",
    "content_type_of",
    "direction_of",
    "kind_of",
    "status_of",
]

#: ``CaseTypeCode`` per case kind; written on CreateCase, read back on GetCases.
CASE_TYPE_BY_KIND: Final[dict[CaseKind, str]] = {
    CaseKind.APPLICATION: "SOKNAD",
    CaseKind.BUILDING: "BYGGESAK",
    CaseKind.PLANNING: "PLANSAK",
    CaseKind.WATER_SEWAGE_WASTE: "VAR",
    CaseKind.OTHER: "SAK",
}
_KIND_BY_CASE_TYPE: Final[dict[str, CaseKind]] = {
    code: kind for kind, code in CASE_TYPE_BY_KIND.items()
}
# The code table's descriptions, for installations whose codes differ but whose descriptions
# follow the common wording.
_KIND_BY_DESCRIPTION: Final[dict[str, CaseKind]] = {
    "søknad": CaseKind.APPLICATION,
    "byggesak": CaseKind.BUILDING,
    "plansak": CaseKind.PLANNING,
    "reguleringssak": CaseKind.PLANNING,
    "vann, avløp og renovasjon": CaseKind.WATER_SEWAGE_WASTE,
    "vann og avløp": CaseKind.WATER_SEWAGE_WASTE,
    "renovasjon": CaseKind.WATER_SEWAGE_WASTE,
}

# Case status as read back: 360 reports the description of its (configurable) status code
# table, some installations the Noark 5 saksstatus letter; both are accepted.
_STATUS_BY_TEXT: Final[dict[str, CaseStatus]] = {
    "r": CaseStatus.OPEN,
    "reservert": CaseStatus.OPEN,
    "opprettet": CaseStatus.OPEN,
    "opprettet av saksbehandler": CaseStatus.OPEN,
    "b": CaseStatus.IN_PROGRESS,
    "under behandling": CaseStatus.IN_PROGRESS,
    "p": CaseStatus.IN_PROGRESS,
    "unntatt prosesstyring": CaseStatus.IN_PROGRESS,
    "s": CaseStatus.DECIDED,
    "avsluttet av saksbehandler": CaseStatus.DECIDED,
    "f": CaseStatus.DECIDED,
    "ferdig fra saksbehandler": CaseStatus.DECIDED,
    "avgjort": CaseStatus.DECIDED,
    "a": CaseStatus.CLOSED,
    "avsluttet": CaseStatus.CLOSED,
    "avsluttet sak": CaseStatus.CLOSED,
    "avskrevet": CaseStatus.CLOSED,
    "u": CaseStatus.CLOSED,
    "utgår": CaseStatus.CLOSED,
    "closed": CaseStatus.CLOSED,
}

#: Category a new document is written with (360 accepts the description as the code).
CATEGORY_BY_DIRECTION: Final[dict[DocumentDirection, str]] = {
    DocumentDirection.INCOMING: "Dokument inn",
    DocumentDirection.OUTGOING: "Dokument ut",
    DocumentDirection.INTERNAL: "Internt notat uten oppfølging",
}
# Category as read back: Noark letter code, 360 recno, or description all identify it.
_DIRECTION_BY_CATEGORY: Final[dict[str, DocumentDirection]] = {
    "i": DocumentDirection.INCOMING,
    "110": DocumentDirection.INCOMING,
    "dokument inn": DocumentDirection.INCOMING,
    "u": DocumentDirection.OUTGOING,
    "111": DocumentDirection.OUTGOING,
    "dokument ut": DocumentDirection.OUTGOING,
}

#: ``DocumentTypeResult.Code`` of a decision (vedtak).
DECISION_TYPE_CODE: Final = "VEDTAK"
#: ``ExternalId.Type`` of cases this gateway creates; ``ExternalId.Id`` is the idempotency key.
EXTERNAL_ID_TYPE: Final = "minside"
ROLE_PARTY: Final = "Sakspart"
ROLE_SENDER: Final = "Avsender"
#: Applications hold personal data: exempt from public access (offentleglova § 13).
ACCESS_CODE_UNOFFICIAL: Final = "13"
UNOFFICIAL_PARAGRAPH: Final = "Offl. § 13 jf. fvl. § 13 (1) nr. 1"

_CONTENT_TYPES: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "txt": "text/plain",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}


def kind_of(case_type_code: str | None, description: str | None = None) -> CaseKind:
    """The case kind for a ``CaseTypeCode``, else its ``CaseTypeDescription`` (``OTHER`` when
    neither is known)."""
    by_code = _KIND_BY_CASE_TYPE.get((case_type_code or "").strip().upper())
    if by_code is not None:
        return by_code
    return _KIND_BY_DESCRIPTION.get((description or "").strip().casefold(), CaseKind.OTHER)


def status_of(status: str | None) -> CaseStatus:
    """The life-cycle status for 360's case ``Status`` text.

    Unknown or missing: ``IN_PROGRESS`` — a case 360 lists without a known end state is still
    with the municipality as far as the citizen can tell; calling it closed could hide it.
    """
    return _STATUS_BY_TEXT.get((status or "").strip().casefold(), CaseStatus.IN_PROGRESS)


def direction_of(code: str | None, recno: int | None, description: str | None) -> DocumentDirection:
    """The journal entry direction from whichever part of ``Category`` identifies it."""
    for key in (code, str(recno) if recno else None, description):
        if key and (found := _DIRECTION_BY_CATEGORY.get(key.strip().casefold())):
            return found
    return DocumentDirection.INTERNAL


def content_type_of(file_format: str | None) -> str:
    """MIME type for a 360 file format (``application/octet-stream`` when unknown)."""
    return _CONTENT_TYPES.get((file_format or "").strip(".").lower(), "application/octet-stream")
