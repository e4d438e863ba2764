"""Turn zeep's parsed SIF results into the connector's dataclasses.

zeep hands back untyped compound values; everything here reads them defensively (a missing
optional element is None) and raises :class:`~connectors.errors.MalformedResponse` only when a
field the gateway cannot do without (a recno, a case number, file data) is absent or invalid.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from connectors.errors import MalformedResponse
from connectors.p360.codes import DECISION_TYPE_CODE, content_type_of, direction_of, kind_of
from connectors.p360.errors import SYSTEM, raise_for_result
from connectors.p360.models import (
    Case,
    CreatedCase,
    CreatedDocument,
    Document,
    DocumentFile,
    FileContent,
    PostalAddress,
    PrivatePerson,
)

__all__ = [
    "clean_text",
    "items",
    "parse_case",
    "parse_cases_page",
    "parse_created_case",
    "parse_created_document",
    "parse_document",
    "parse_documents_page",
    "parse_file_content",
    "parse_private_person",
    "parse_private_persons",
    "required",
]


def items(array: Any, name: str) -> Iterator[Any]:
    """The entries of a WCF ``ArrayOfX`` wrapper (``array.X``), none when the array is absent."""
    if array is None:
        return iter(())
    entries = getattr(array, name, None)
    return iter(entries or ())


def clean_text(value: Any) -> str | None:
    """A text value stripped, or None when it is absent or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def required(value: Any, what: str, operation: str) -> Any:
    """``value``, or :class:`MalformedResponse` naming ``what`` when it is absent or empty."""
    if value is None or value == "":
        raise MalformedResponse(f"{what} missing", system=SYSTEM, operation=operation)
    return value


def _date(value: Any) -> date | None:
    """A calendar date from xsd:dateTime (a datetime) or a string (DocumentResult's dates)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).strip()).date()
    except ValueError:
        return None


def parse_case(raw: Any, operation: str = "GetCases") -> Case:
    """One ``CaseResult``."""
    external = getattr(raw, "ExternalId", None)
    return Case(
        recno=int(required(raw.Recno, "Recno", operation)),
        case_number=str(required(raw.CaseNumber, "CaseNumber", operation)),
        title=clean_text(raw.Title) or "",
        kind=kind_of(raw.CaseTypeCode, getattr(raw, "CaseTypeDescription", None)),
        case_type_code=clean_text(raw.CaseTypeCode),
        status=clean_text(raw.Status),
        opened_on=_date(raw.Date),
        responsible_unit=clean_text(raw.ResponsibleEnterpriseName),
        external_id=clean_text(getattr(external, "Id", None)),
    )


def _parse_document_file(raw: Any, operation: str) -> DocumentFile:
    file_format = clean_text(raw.Format)
    return DocumentFile(
        recno=int(required(raw.Recno, "file Recno", operation)),
        title=clean_text(raw.Title) or "",
        format=file_format,
        content_type=content_type_of(file_format),
        access_code=clean_text(getattr(raw, "AccessCodeCode", None)),
    )


def parse_document(raw: Any, operation: str = "GetDocuments") -> Document:
    """One ``DocumentResult``."""
    category = raw.Category
    doc_type = raw.Type
    return Document(
        recno=int(required(raw.Recno, "Recno", operation)),
        document_number=str(required(raw.DocumentNumber, "DocumentNumber", operation)),
        case_number=clean_text(raw.CaseNumber) or "",
        title=clean_text(raw.Title) or clean_text(raw.OfficialTitle) or "",
        direction=direction_of(
            getattr(category, "Code", None),
            getattr(category, "Recno", None),
            getattr(category, "Description", None),
        ),
        category_code=clean_text(getattr(category, "Code", None)),
        document_date=_date(raw.DocumentDate),
        journal_date=_date(raw.JournalDate),
        status_code=clean_text(raw.StatusCode),
        is_decision=(clean_text(getattr(doc_type, "Code", None)) or "").upper()
        == DECISION_TYPE_CODE,
        files=tuple(
            _parse_document_file(file, operation) for file in items(raw.Files, "DocumentFileResult")
        ),
        type_code=clean_text(getattr(doc_type, "Code", None)),
        access_code=clean_text(raw.AccessCodeCode),
    )


def parse_file_content(raw: Any, operation: str = "GetFileWithMetadata") -> FileContent:
    """A ``FileResult`` fetched with ``IncludeFileData=true``."""
    encoded = required(raw.Base64Data, "Base64Data", operation)
    try:
        data = base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResponse(
            "Base64Data is not base64", system=SYSTEM, operation=operation
        ) from exc
    file_format = clean_text(raw.Format)
    document_recno = getattr(raw, "DocumentRecno", None)
    return FileContent(
        recno=int(required(raw.Recno, "Recno", operation)),
        document_recno=int(document_recno) if document_recno else None,
        document_number=clean_text(getattr(raw, "DocumentNumber", None)),
        title=clean_text(raw.Title) or "",
        format=file_format,
        content_type=content_type_of(file_format),
        data=data,
    )


def _address(raw: Any) -> PostalAddress | None:
    if raw is None:
        return None
    address = PostalAddress(
        street=clean_text(raw.StreetAddress),
        zip_code=clean_text(raw.ZipCode),
        zip_place=clean_text(raw.ZipPlace),
        country=clean_text(raw.Country),
    )
    return None if address == PostalAddress(None, None, None, None) else address


def parse_private_person(raw: Any, operation: str = "GetPrivatePersons") -> PrivatePerson:
    """One ``PrivatePersonResult``."""
    return PrivatePerson(
        recno=int(required(raw.Recno, "Recno", operation)),
        personal_id_number=str(required(raw.PersonalIdNumber, "PersonalIdNumber", operation)),
        first_name=clean_text(raw.FirstName),
        middle_name=clean_text(raw.MiddleName),
        last_name=clean_text(raw.LastName),
        email=clean_text(raw.Email),
        mobile_phone=clean_text(raw.MobilePhone),
        post_address=_address(raw.PostAddress) or _address(raw.PrivateAddress),
    )


def parse_created_case(raw: Any, operation: str = "CreateCase") -> CreatedCase:
    """A successful ``CaseOperationResult``."""
    return CreatedCase(
        recno=int(required(raw.Recno, "Recno", operation)),
        case_number=str(required(raw.CaseNumber, "CaseNumber", operation)),
    )


def parse_created_document(raw: Any, operation: str = "CreateDocument") -> CreatedDocument:
    """A successful ``DocumentOperationResult``."""
    return CreatedDocument(
        recno=int(required(raw.Recno, "Recno", operation)),
        document_number=str(required(raw.DocumentNumber, "DocumentNumber", operation)),
    )


# --- whole replies (zeep's reading; connectors.p360.read is the lxml one) -------------------


def parse_cases_page(result: Any) -> tuple[list[Case], int | None]:
    """A ``GetCasesResult``: checked, then the page's cases and ``TotalPageCount``."""
    raise_for_result(result, "GetCases", write=False)
    return [parse_case(raw) for raw in items(result.Cases, "CaseResult")], result.TotalPageCount


def parse_documents_page(result: Any) -> tuple[list[Document], int | None]:
    """A ``GetDocumentsResult``: checked, then the page's documents and ``TotalPageCount``."""
    raise_for_result(result, "GetDocuments", write=False)
    documents = [parse_document(raw) for raw in items(result.Documents, "DocumentResult")]
    return documents, result.TotalPageCount


def parse_private_persons(result: Any) -> list[PrivatePerson]:
    """A ``GetPrivatePersonsResult``: checked, then every private person it lists."""
    raise_for_result(result, "GetPrivatePersons", write=False)
    return [
        parse_private_person(raw) for raw in items(result.PrivatePersons, "PrivatePersonResult")
    ]
