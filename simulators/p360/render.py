"""Population records rendered as Public 360 SIF result structures (dicts zeep serializes).

These are the municipality's 360 code values as the real archive would report them: Noark
journal entry categories, a ``VEDTAK`` document type for decisions, the access code ``13``
(offentleglova § 13) on anything holding personal data. Only what the WSDL allows is rendered;
zeep refuses anything else when serializing, which keeps the simulator honest.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time
from typing import Any, Final

from simulators.population.models import (
    Case,
    CaseKind,
    DocFile,
    Document,
    DocumentDirection,
    Person,
)

__all__ = [
    "CASE_TYPES",
    "CATEGORIES",
    "EXTERNAL_ID_TYPE",
    "case_result",
    "contact_recno",
    "direction_from_category",
    "document_result",
    "file_result",
    "kind_from_case_type",
    "operation_failed",
    "private_person_result",
]

#: (CaseTypeCode, CaseTypeDescription) per kind.
CASE_TYPES: Final[dict[CaseKind, tuple[str, str]]] = {
    CaseKind.APPLICATION: ("SOKNAD", "Søknad"),
    CaseKind.BUILDING: ("BYGGESAK", "Byggesak"),
    CaseKind.PLANNING: ("PLANSAK", "Plansak"),
    CaseKind.WATER_SEWAGE_WASTE: ("VAR", "Vann, avløp og renovasjon"),
    CaseKind.OTHER: ("SAK", "Sak"),
}
#: Category (Recno, Code, Description) per journal entry direction.
CATEGORIES: Final[dict[DocumentDirection, tuple[int, str, str]]] = {
    DocumentDirection.INCOMING: (110, "I", "Dokument inn"),
    DocumentDirection.OUTGOING: (111, "U", "Dokument ut"),
    DocumentDirection.NOTE: (113, "N", "Internt notat uten oppfølging"),
    DocumentDirection.NOTE_FOLLOW_UP: (114, "X", "Internt notat med oppfølging"),
}
EXTERNAL_ID_TYPE: Final = "minside"
_DECISION_TYPE: Final = {"Recno": 501, "Code": "VEDTAK", "Description": "Vedtak"}
_LETTER_TYPE: Final = {"Recno": 502, "Code": "BREV", "Description": "Brev"}
_APPLICATION_TYPE: Final = {"Recno": 503, "Code": "SOKNAD", "Description": "Søknad"}
_NOTE_TYPE: Final = {"Recno": 504, "Code": "NOTAT", "Description": "Notat"}
_JOURNAL_STATUS: Final = {
    "J": "Journalført",
    "F": "Ferdigstilt fra saksbehandler",
    "E": "Ekspedert",
    "A": "Arkivert",
    "R": "Reservert",
    "S": "Midlertidig registrert",
}
_PARAGRAPH: Final = "Offl. § 13 jf. fvl. § 13 (1) nr. 1"
# Access codes beyond 13 that the archive sets on entries the party must not see either.
_ACCESS_CODES: Final[dict[str, tuple[str, str]]] = {
    "14": ("Organinternt dokument", "Offl. § 14"),
    "19": ("Unntatt partsinnsyn", "Fvl. § 19 annet ledd bokstav a"),
}
# Contact recnos live in 360's own contact table; offset so they never look like case recnos.
_CONTACT_RECNO_BASE: Final = 200_000


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time())


def _access(is_unofficial: bool, access_code: str | None = None) -> dict[str, Any]:
    if access_code is not None and access_code in _ACCESS_CODES:
        description, paragraph = _ACCESS_CODES[access_code]
        return {
            "AccessCodeCode": access_code,
            "AccessCodeDescription": description,
            "Paragraph": paragraph,
        }
    if is_unofficial:
        return {
            "AccessCodeCode": "13",
            "AccessCodeDescription": "Taushetsbelagt",
            "Paragraph": _PARAGRAPH,
        }
    return {"AccessCodeCode": "U", "AccessCodeDescription": "Offentlig"}


def operation_failed(message: str, details: str) -> dict[str, Any]:
    """The body of an unsuccessful ``*Result``: ``Successful=false`` plus the error texts."""
    return {"Successful": False, "ErrorMessage": message, "ErrorDetails": details}


def contact_recno(person: Person) -> int:
    """The recno of a person's contact record."""
    return _CONTACT_RECNO_BASE + person.index


def kind_from_case_type(code: str | None) -> CaseKind:
    """The kind a CreateCase ``CaseType`` code (or description) asks for."""
    wanted = (code or "").strip().casefold()
    for kind, (type_code, description) in CASE_TYPES.items():
        if wanted in (type_code.casefold(), description.casefold()):
            return kind
    return CaseKind.OTHER


def direction_from_category(category: str | None) -> DocumentDirection | None:
    """The direction a CreateDocument ``Category`` names (code, ``recno:NNN`` or description)."""
    wanted = (category or "").strip().casefold().removeprefix("recno:")
    for direction, (recno, code, description) in CATEGORIES.items():
        if wanted in (str(recno), code.casefold(), description.casefold()):
            return direction
    return None


def case_result(
    case: Case, *, external_id: str | None = None, party: Person | None = None
) -> dict[str, Any]:
    """A ``CaseResult``; contacts only when ``party`` is given (``IncludeCaseContacts``)."""
    type_code, type_description = CASE_TYPES[case.kind]
    result: dict[str, Any] = {
        "CaseNumber": case.case_number,
        "CaseTypeCode": type_code,
        "CaseTypeDescription": type_description,
        "CreatedDate": _midnight(case.opened_on),
        "Date": _midnight(case.opened_on),
        "Recno": case.recno,
        "ResponsibleEnterpriseName": case.responsible_unit,
        "Status": case.status,
        "SubArchive": "Sakarkiv",
        "Title": case.title,
        "UnofficialTitle": case.title,
        **_access(case.is_unofficial),
    }
    if external_id is not None:
        result["ExternalId"] = {"Id": external_id, "Type": EXTERNAL_ID_TYPE}
    if party is not None:
        result["Contacts"] = {
            "CaseContactResult": [
                {
                    "ContactName": party.name,
                    "ContactType": "Privatperson",
                    "Recno": contact_recno(party),
                    "Referencenumber": party.pid,
                    "Role": "Sakspart",
                }
            ]
        }
    return result


def _document_type(document: Document) -> dict[str, Any]:
    if document.is_decision:
        return dict(_DECISION_TYPE)
    if document.direction is DocumentDirection.INCOMING:
        return dict(_APPLICATION_TYPE)
    if document.direction is DocumentDirection.OUTGOING:
        return dict(_LETTER_TYPE)
    return dict(_NOTE_TYPE)


def _file_fields(file: DocFile, position: int, *, with_data: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Format": file.format,
        "Recno": file.recno,
        # The first file is the main document (hoveddokument), the rest attachments.
        "RelationTypeCode": "H" if position == 0 else "V",
        "RelationTypeDescription": "Hoveddokument" if position == 0 else "Vedlegg",
        "StatusCode": "F",
        "StatusDescription": "Ferdig",
        "Title": file.name,
        "VersionFormatCode": "A",
        "VersionFormatDescription": "Arkivformat",
    }
    if file.access_code is not None:
        access = _access(True, file.access_code)
        fields["AccessCodeCode"] = access["AccessCodeCode"]
        fields["AccessCodeDescription"] = access["AccessCodeDescription"]
        fields["Paragraph"] = access["Paragraph"]
    if with_data and file.data is not None:
        fields["Base64Data"] = base64.b64encode(file.data).decode("ascii")
    return fields


def document_result(
    document: Document,
    case: Case | None,
    *,
    party: Person | None = None,
    files: tuple[DocFile, ...] | None = None,
) -> dict[str, Any]:
    """A ``DocumentResult``; ``files`` replaces the listing (with content) for IncludeFileData."""
    category_recno, category_code, category_description = CATEGORIES[document.direction]
    listed = document.files if files is None else files
    result: dict[str, Any] = {
        "CaseNumber": document.case_number,
        "CaseRecno": str(case.recno) if case is not None else None,
        "Category": {
            "Code": category_code,
            "Description": category_description,
            "Recno": category_recno,
        },
        # DocumentResult's CreatedDate is an xs:string in the contract, not a dateTime.
        "CreatedDate": datetime.combine(document.document_date, time()).isoformat(),
        "DocumentDate": _midnight(document.document_date),
        "DocumentNumber": document.document_number,
        "Files": {
            "DocumentFileResult": [
                _file_fields(file, position, with_data=files is not None)
                for position, file in enumerate(listed)
            ]
        },
        "JournalDate": _midnight(document.document_date),
        "OfficialTitle": document.title,
        "Recno": document.recno,
        "ResponsibleEnterpriseName": case.responsible_unit if case is not None else None,
        "StatusCode": document.status,
        "StatusDescription": _JOURNAL_STATUS.get(document.status, document.status),
        "Title": document.title,
        "Type": _document_type(document),
        **_access(document.is_unofficial, document.access_code),
    }
    if party is not None:
        role = "Avsender" if document.direction is DocumentDirection.INCOMING else "Mottaker"
        result["Contacts"] = {
            "DocumentContactResult": [
                {
                    "ContactRecno": str(contact_recno(party)),
                    "ReferenceNumber": party.pid,
                    "Role": role,
                    "SearchName": party.name,
                }
            ]
        }
    return result


def file_result(file: DocFile, document: Document | None, *, with_data: bool) -> dict[str, Any]:
    """A ``FileResult`` of GetFileWithMetadata."""
    fields = _file_fields(file, 0, with_data=with_data)
    if document is not None:
        position = next(
            (i for i, listed in enumerate(document.files) if listed.recno == file.recno), 0
        )
        fields = _file_fields(file, position, with_data=with_data)
        fields["DocumentNumber"] = document.document_number
    fields["DocumentRecno"] = file.document_recno
    fields["FiledOnPaper"] = False
    return fields


def private_person_result(person: Person, *, registered_on: date) -> dict[str, Any]:
    """A ``PrivatePersonResult`` for a synthetic citizen."""
    stamp = _midnight(registered_on)
    return {
        "Active": True,
        "CreatedDate": stamp,
        "FirstName": person.given_name,
        "Gender": "Female" if person.gender == "F" else "Male",
        "LastName": person.family_name,
        "ModifiedDate": stamp,
        "PersonalIdNumber": person.pid,
        "Recno": contact_recno(person),
    }
