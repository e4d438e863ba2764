"""Read the hot SIF replies (GetCases, GetDocuments, GetPrivatePersons) straight from lxml.

zeep's generic parsing of a large reply (a person with 120 cases and 355 documents) costs
hundreds of milliseconds of CPU; walking the few elements the models need costs a tenth of
that. Each reader takes the operation's output element (``GetCasesResponse`` ...) and gives
exactly what :mod:`connectors.p360.parse` gives from zeep's objects for the same bytes,
failures included: a result with ``Successful=false`` raises through
:func:`~connectors.p360.errors.raise_for_result`, and a missing recno or case number is a
:class:`~connectors.errors.MalformedResponse` naming the field, never its value. The
parser-equivalence tests (tests/connectors/p360/test_read_equivalence.py) hold the two to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lxml import etree

from connectors.p360.codes import DECISION_TYPE_CODE, content_type_of, direction_of, kind_of
from connectors.p360.errors import raise_for_result
from connectors.p360.models import Case, Document, DocumentFile, PostalAddress, PrivatePerson
from connectors.p360.parse import clean_text, required
from connectors.xmlread import boolean, child, children, datetime_date, fields, integer, text

__all__ = [
    "CasesPage",
    "DocumentsPage",
    "read_cases_page",
    "read_documents_page",
    "read_private_persons",
]

NS: Final = "{http://software-innovation.com/SI.Data}"

CasesPage = tuple[list[Case], int | None]
DocumentsPage = tuple[list[Document], int | None]


@dataclass(frozen=True)
class _Outcome:
    """The ``WSOperationResult`` part of a SIF result, named as zeep names it."""

    Successful: bool | None
    ErrorMessage: str | None
    ErrorDetails: str | None


def _result(output: etree._Element, name: str, operation: str) -> etree._Element:
    """The ``<name>`` result inside ``output``, checked like the zeep path checks it."""
    result = child(output, NS + name)
    outcome = (
        None
        if result is None
        else _Outcome(
            boolean(result, NS + "Successful"),
            text(result, NS + "ErrorMessage"),
            text(result, NS + "ErrorDetails"),
        )
    )
    raise_for_result(outcome, operation, write=False)
    assert result is not None  # raise_for_result refuses a missing result
    return result


def _entries(result: etree._Element, array: str, entry: str) -> list[etree._Element | None]:
    return list(children(child(result, NS + array), NS + entry))


def read_case(raw: etree._Element | None, operation: str = "GetCases") -> Case:
    """One ``CaseResult`` (as :func:`connectors.p360.parse.parse_case`)."""
    if raw is None:
        raise AttributeError("CaseResult is empty")
    f = fields(raw)
    return Case(
        recno=int(required(integer(f, NS + "Recno"), "Recno", operation)),
        case_number=str(required(text(f, NS + "CaseNumber"), "CaseNumber", operation)),
        title=clean_text(text(f, NS + "Title")) or "",
        kind=kind_of(text(f, NS + "CaseTypeCode"), text(f, NS + "CaseTypeDescription")),
        case_type_code=clean_text(text(f, NS + "CaseTypeCode")),
        status=clean_text(text(f, NS + "Status")),
        opened_on=datetime_date(f, NS + "Date"),
        responsible_unit=clean_text(text(f, NS + "ResponsibleEnterpriseName")),
        external_id=clean_text(text(child(f, NS + "ExternalId"), NS + "Id")),
    )


def read_cases_page(output: etree._Element) -> CasesPage:
    """A ``GetCasesResponse``: the page's cases and ``TotalPageCount``."""
    result = _result(output, "GetCasesResult", "GetCases")
    cases = [read_case(raw) for raw in _entries(result, "Cases", "CaseResult")]
    return cases, integer(result, NS + "TotalPageCount")


def _document_file(raw: etree._Element | None, operation: str) -> DocumentFile:
    if raw is None:
        raise AttributeError("DocumentFileResult is empty")
    f = fields(raw)
    file_format = clean_text(text(f, NS + "Format"))
    return DocumentFile(
        recno=int(required(integer(f, NS + "Recno"), "file Recno", operation)),
        title=clean_text(text(f, NS + "Title")) or "",
        format=file_format,
        content_type=content_type_of(file_format),
        access_code=clean_text(text(f, NS + "AccessCodeCode")),
    )


def read_document(raw: etree._Element | None, operation: str = "GetDocuments") -> Document:
    """One ``DocumentResult`` (as :func:`connectors.p360.parse.parse_document`)."""
    if raw is None:
        raise AttributeError("DocumentResult is empty")
    f = fields(raw)
    category = child(f, NS + "Category")
    doc_type = child(f, NS + "Type")
    category_code = text(category, NS + "Code")
    return Document(
        recno=int(required(integer(f, NS + "Recno"), "Recno", operation)),
        document_number=str(required(text(f, NS + "DocumentNumber"), "DocumentNumber", operation)),
        case_number=clean_text(text(f, NS + "CaseNumber")) or "",
        title=clean_text(text(f, NS + "Title")) or clean_text(text(f, NS + "OfficialTitle")) or "",
        direction=direction_of(
            category_code, integer(category, NS + "Recno"), text(category, NS + "Description")
        ),
        category_code=clean_text(category_code),
        document_date=datetime_date(f, NS + "DocumentDate"),
        journal_date=datetime_date(f, NS + "JournalDate"),
        status_code=clean_text(text(f, NS + "StatusCode")),
        is_decision=(clean_text(text(doc_type, NS + "Code")) or "").upper() == DECISION_TYPE_CODE,
        files=tuple(
            _document_file(file, operation) for file in _entries(raw, "Files", "DocumentFileResult")
        ),
        type_code=clean_text(text(doc_type, NS + "Code")),
        access_code=clean_text(text(f, NS + "AccessCodeCode")),
    )


def read_documents_page(output: etree._Element) -> DocumentsPage:
    """A ``GetDocumentsResponse``: the page's documents and ``TotalPageCount``."""
    result = _result(output, "GetDocumentsResult", "GetDocuments")
    documents = [read_document(raw) for raw in _entries(result, "Documents", "DocumentResult")]
    return documents, integer(result, NS + "TotalPageCount")


def _address(raw: etree._Element | None) -> PostalAddress | None:
    if raw is None:
        return None
    address = PostalAddress(
        street=clean_text(text(raw, NS + "StreetAddress")),
        zip_code=clean_text(text(raw, NS + "ZipCode")),
        zip_place=clean_text(text(raw, NS + "ZipPlace")),
        country=clean_text(text(raw, NS + "Country")),
    )
    return None if address == PostalAddress(None, None, None, None) else address


def _private_person(raw: etree._Element | None, operation: str) -> PrivatePerson:
    if raw is None:
        raise AttributeError("PrivatePersonResult is empty")
    f = fields(raw)
    return PrivatePerson(
        recno=int(required(integer(f, NS + "Recno"), "Recno", operation)),
        personal_id_number=str(
            required(text(f, NS + "PersonalIdNumber"), "PersonalIdNumber", operation)
        ),
        first_name=clean_text(text(f, NS + "FirstName")),
        middle_name=clean_text(text(f, NS + "MiddleName")),
        last_name=clean_text(text(f, NS + "LastName")),
        email=clean_text(text(f, NS + "Email")),
        mobile_phone=clean_text(text(f, NS + "MobilePhone")),
        post_address=_address(child(f, NS + "PostAddress"))
        or _address(child(f, NS + "PrivateAddress")),
    )


def read_private_persons(output: etree._Element) -> list[PrivatePerson]:
    """A ``GetPrivatePersonsResponse``: every private person it lists."""
    operation = "GetPrivatePersons"
    result = _result(output, "GetPrivatePersonsResult", operation)
    return [
        _private_person(raw, operation)
        for raw in _entries(result, "PrivatePersons", "PrivatePersonResult")
    ]
