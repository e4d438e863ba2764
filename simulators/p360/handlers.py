"""The Public 360 SIF operations the gateway uses, answered from the synthetic population.

Each handler receives the fields of the operation's ``parameter`` (zeep-parsed, so nested values
are zeep objects) and returns the reply element's content. Like the real SIF, expected failures
(unknown case on CreateDocument, missing title, no search criterion) are answered *in the body*
with ``Successful=false``, ``ErrorMessage`` and ``ErrorDetails`` (a .NET exception type name
first, as 360 does); SOAP faults are left to injected errors and malformed requests.

Idempotency of writes (the gateway's outbox may send the same write twice):

- ``CreateCase`` with an ``ExternalId`` (``Type``, ``Id``) that already names a case answers that
  case again (same Recno and CaseNumber) instead of creating a second one. ``GetCases`` can look a
  case up by that ExternalId, as in 360.
- ``CreateDocument`` with a ``SendersReference`` already used on the same case answers the
  existing document.

The keys live in this object, not in the population; after a population reset
(``/_admin/reset?state=true``) a key whose case or document is gone is simply forgotten.

Size limits, like a real deployment's: ``CreateDocument`` with a file larger than
``max_file_bytes``, or files larger than ``max_document_bytes`` together, is answered with a SOAP
``Client`` fault (the request is refused as too large, nothing is stored). The defaults are the
gateway's own upload limits' (:data:`kernel.settings.ARCHIVE_MAX_FILE_BYTES`, ...);
``POST /_admin/limits`` changes them (a deployment whose archive takes less than the gateway).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from kernel.settings import ARCHIVE_MAX_DOCUMENT_BYTES, ARCHIVE_MAX_FILE_BYTES
from simulators.p360 import render
from simulators.population import Population
from simulators.population.errors import InvalidInputError, NotFoundError
from simulators.population.models import (
    Case,
    CaseKind,
    DocFile,
    Document,
    DocumentDirection,
    Person,
)
from simulators.soap import SoapFault

__all__ = ["NewFileSpec", "SifService"]


DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000
NOT_FOUND: Final = "SI.Data.Exceptions.ObjectNotFoundException"
VALIDATION: Final = "SI.Data.Exceptions.ValidationException"
_REGISTERED_ON: Final = date(2015, 1, 1)
# Which unit gets a new case of each kind (the archive's routing rules).
_UNITS: Final[dict[CaseKind, str]] = {
    CaseKind.APPLICATION: "Tjenestetorget",
    CaseKind.BUILDING: "Byggesak",
    CaseKind.PLANNING: "Plan og miljø",
    CaseKind.WATER_SEWAGE_WASTE: "Vann, avløp og renovasjon",
    CaseKind.OTHER: "Servicetorget",
}


@dataclass(frozen=True)
class NewFileSpec:
    """A file of a CreateDocument request, decoded."""

    title: str
    format: str
    data: bytes

    @property
    def name(self) -> str:
        """The archived file name: the title with the format as extension."""
        suffix = f".{self.format}"
        return self.title if self.title.lower().endswith(suffix) else self.title + suffix


class _Invalid(Exception):
    """A request 360 would answer with ``Successful=false`` (raised inside a handler)."""

    def __init__(self, message: str, details: str = VALIDATION) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _entries(array: Any, name: str) -> list[Any]:
    """The entries of a WCF ``ArrayOfX`` request value (empty when absent)."""
    if array is None:
        return []
    return list(getattr(array, name, None) or [])


def _page(values: list[Any], page: Any, size: Any) -> tuple[list[Any], int]:
    """(the requested zero-based page, total page count)."""
    size = DEFAULT_PAGE_SIZE if size is None else int(size)
    page = 0 if page is None else int(page)
    if size < 1 or size > MAX_PAGE_SIZE:
        raise _Invalid(f"MaxReturned must be between 1 and {MAX_PAGE_SIZE}")
    if page < 0:
        raise _Invalid("Page must not be negative")
    total_pages = max(1, -(-len(values) // size))
    return values[page * size : (page + 1) * size], total_pages


def _sorted_by_recno(records: Iterable[Any], criterion: Any) -> list[Any]:
    return sorted(records, key=lambda r: r.recno, reverse=criterion == "RecnoDescending")


class SifService:
    """Handlers of CaseService, DocumentService, FileService and ContactService."""

    def __init__(
        self,
        population: Population,
        *,
        max_file_bytes: int = ARCHIVE_MAX_FILE_BYTES,
        max_document_bytes: int = ARCHIVE_MAX_DOCUMENT_BYTES,
    ) -> None:
        self.population = population
        self.max_file_bytes = max_file_bytes
        self.max_document_bytes = max_document_bytes
        self._case_keys: dict[tuple[str, str], str] = {}  # (type, id) -> case number
        self._document_keys: dict[tuple[str, str], int] = {}  # (case number, ref) -> recno

    # --- helpers ------------------------------------------------------------------------------

    def _party(self, case: Case) -> Person | None:
        return self.population.person_by_pid(case.party_pid)

    def _external_id_of(self, case: Case) -> str | None:
        for (id_type, key), number in self._case_keys.items():
            if number == case.case_number and id_type == render.EXTERNAL_ID_TYPE:
                return key
        return None

    def _case_for_key(self, id_type: str, key: str) -> Case | None:
        number = self._case_keys.get((id_type, key))
        if number is None:
            return None
        case = self.population.case_by_number(number)
        if case is None:  # the population was reset under us
            del self._case_keys[(id_type, key)]
        return case

    # --- CaseService --------------------------------------------------------------------------

    async def ping_case(self, **_: Any) -> dict[str, Any]:
        """CaseService.Ping."""
        return {}

    async def get_cases(self, **query: Any) -> dict[str, Any]:
        """CaseService.GetCases by ContactReferenceNumber, CaseNumber, Recno or ExternalId."""
        try:
            cases = self._find_cases(query)
            page, total_pages = _page(
                _sorted_by_recno(cases, query.get("SortCriterion")),
                query.get("Page"),
                query.get("MaxReturnedCases"),
            )
        except _Invalid as exc:
            return {"GetCasesResult": render.operation_failed(exc.message, exc.details)}
        with_contacts = bool(query.get("IncludeCaseContacts"))
        results = [
            render.case_result(
                case,
                external_id=self._external_id_of(case),
                party=self._party(case) if with_contacts else None,
            )
            for case in page
        ]
        return {
            "GetCasesResult": {
                "Successful": True,
                "Cases": {"CaseResult": results},
                "TotalPageCount": total_pages,
            }
        }

    def _find_cases(self, query: dict[str, Any]) -> list[Case]:
        pid = _text(query.get("ContactReferenceNumber"))
        number = _text(query.get("CaseNumber"))
        recno = query.get("Recno")
        external = query.get("ExternalId")
        external_id = _text(getattr(external, "Id", None))
        if pid is not None:
            cases: list[Case] = list(self.population.cases_of(pid))
        elif number is not None:
            found = self.population.case_by_number(number)
            cases = [found] if found is not None else []
        elif external_id is not None:
            id_type = _text(getattr(external, "Type", None)) or render.EXTERNAL_ID_TYPE
            found = self._case_for_key(id_type, external_id)
            cases = [found] if found is not None else []
        elif recno is not None:
            found = self.population.case_by_recno(int(recno))
            cases = [found] if found is not None else []
        else:
            raise _Invalid("At least one search criterion must be given")
        # Narrowing criteria combine with AND, as in 360.
        if number is not None:
            cases = [case for case in cases if case.case_number == number]
        if recno is not None:
            cases = [case for case in cases if case.recno == int(recno)]
        return cases

    async def create_case(self, **parameter: Any) -> dict[str, Any]:
        """CaseService.CreateCase; a repeated ExternalId answers the existing case."""
        try:
            case = self._create_case(parameter)
        except _Invalid as exc:
            return {"CreateCaseResult": render.operation_failed(exc.message, exc.details)}
        return {
            "CreateCaseResult": {
                "Successful": True,
                "Recno": case.recno,
                "CaseNumber": case.case_number,
            }
        }

    def _create_case(self, parameter: dict[str, Any]) -> Case:
        title = _text(parameter.get("Title"))
        if title is None:
            raise _Invalid("Title is required")
        external = parameter.get("ExternalId")
        key = _text(getattr(external, "Id", None))
        id_type = _text(getattr(external, "Type", None)) or render.EXTERNAL_ID_TYPE
        if key is not None and (existing := self._case_for_key(id_type, key)) is not None:
            return existing
        parties = [
            contact
            for contact in _entries(parameter.get("Contacts"), "CaseContactParameter")
            if (_text(contact.Role) or "").casefold() == "sakspart"
        ]
        if not parties or _text(parties[0].ReferenceNumber) is None:
            raise _Invalid("A contact with role Sakspart and a ReferenceNumber is required")
        pid = str(_text(parties[0].ReferenceNumber))
        if self.population.person_by_pid(pid) is None:
            # The message must not echo the number: it is personal data.
            raise _Invalid("The Sakspart contact was not found", NOT_FOUND)
        kind = render.kind_from_case_type(_text(parameter.get("CaseType")))
        try:
            case = self.population.create_case(
                pid,
                title,
                kind,
                responsible_unit=_text(parameter.get("ResponsibleEnterpriseNumber"))
                or _UNITS[kind],
                is_unofficial=bool(parties[0].IsUnofficial)
                or _text(parameter.get("AccessCode")) == "13",
            )
        except InvalidInputError as exc:
            raise _Invalid(str(exc)) from exc
        if key is not None:
            self._case_keys[(id_type, key)] = case.case_number
        return case

    # --- DocumentService ----------------------------------------------------------------------

    async def ping_document(self, **_: Any) -> dict[str, Any]:
        """DocumentService.Ping."""
        return {}

    async def get_documents(self, **query: Any) -> dict[str, Any]:
        """DocumentService.GetDocuments by CaseNumber, Recno or ContactReferenceNumber."""
        try:
            documents = self._find_documents(query)
            page, total_pages = _page(
                _sorted_by_recno(documents, query.get("SortingCriterion")),
                query.get("Page"),
                query.get("MaxReturnedDocuments"),
            )
        except _Invalid as exc:
            return {"GetDocumentsResult": render.operation_failed(exc.message, exc.details)}
        with_data = bool(query.get("IncludeFileData"))
        results = []
        for document in page:
            case = self.population.case_by_number(document.case_number)
            files = self._loaded_files(document) if with_data else None
            party = self._party(case) if case is not None else None
            results.append(render.document_result(document, case, party=party, files=files))
        return {
            "GetDocumentsResult": {
                "Successful": True,
                "Documents": {"DocumentResult": results},
                "TotalPageCount": total_pages,
            }
        }

    def _loaded_files(self, document: Document) -> tuple[DocFile, ...]:
        loaded = (self.population.file_by_recno(file.recno) for file in document.files)
        return tuple(file for file in loaded if file is not None)

    def _find_documents(self, query: dict[str, Any]) -> list[Document]:
        number = _text(query.get("CaseNumber"))
        recno = query.get("Recno")
        pid = _text(query.get("ContactReferenceNumber"))
        if number is not None:
            case = self.population.case_by_number(number)
            documents = list(case.documents) if case is not None else []
            if pid is not None and case not in self.population.cases_of(pid):
                documents = []  # both criteria: the case's documents that name the person
        elif recno is not None:
            found = self.population.document_by_recno(int(recno))
            documents = [found] if found is not None else []
        elif pid is not None:
            documents = [doc for case in self.population.cases_of(pid) for doc in case.documents]
        else:
            raise _Invalid("At least one search criterion must be given")
        if recno is not None:
            documents = [doc for doc in documents if doc.recno == int(recno)]
        document_number = _text(query.get("DocumentNumber"))
        if document_number is not None:
            documents = [doc for doc in documents if doc.document_number == document_number]
        return documents

    async def create_document(self, **parameter: Any) -> dict[str, Any]:
        """DocumentService.CreateDocument; a repeated SendersReference answers the existing one."""
        try:
            document = self._create_document(parameter)
        except _Invalid as exc:
            return {"CreateDocumentResult": render.operation_failed(exc.message, exc.details)}
        return {
            "CreateDocumentResult": {
                "Successful": True,
                "Recno": document.recno,
                "DocumentNumber": document.document_number,
            }
        }

    def _create_document(self, parameter: dict[str, Any]) -> Document:
        number = _text(parameter.get("CaseNumber"))
        if number is None:
            raise _Invalid("CaseNumber is required")
        if self.population.case_by_number(number) is None:
            raise _Invalid(f"Case {number} was not found", NOT_FOUND)
        title = _text(parameter.get("Title"))
        if title is None:
            raise _Invalid("Title is required")
        reference = _text(parameter.get("SendersReference"))
        if reference is not None and (number, reference) in self._document_keys:
            existing = self.population.document_by_recno(self._document_keys[(number, reference)])
            if existing is not None:
                return existing
            del self._document_keys[(number, reference)]
        category = _text(parameter.get("Category"))
        direction = (
            DocumentDirection.INCOMING
            if category is None
            else render.direction_from_category(category)
        )
        if direction is None:
            raise _Invalid("Unknown document category")
        files = [
            self._decode_file(file)
            for file in _entries(parameter.get("Files"), "CreateFileParameter")
        ]
        self._check_sizes(files)
        try:
            document = self.population.create_document(
                number,
                title,
                direction=direction,
                files=[(file.name, file.format, file.data) for file in files],
            )
        except NotFoundError as exc:
            raise _Invalid(f"Case {number} was not found", NOT_FOUND) from exc
        except InvalidInputError as exc:
            raise _Invalid(str(exc)) from exc
        if reference is not None:
            self._document_keys[(number, reference)] = document.recno
        return document

    def _check_sizes(self, files: list[NewFileSpec]) -> None:
        """A SOAP Client fault for a file or a document over the limits (module docstring)."""
        largest = max((len(file.data) for file in files), default=0)
        if largest > self.max_file_bytes:
            raise SoapFault(
                "Client",
                f"The file is {largest} bytes; the maximum allowed file size is "
                f"{self.max_file_bytes} bytes.",
            )
        total = sum(len(file.data) for file in files)
        if total > self.max_document_bytes:
            raise SoapFault(
                "Client",
                f"The document's files are {total} bytes; the maximum allowed is "
                f"{self.max_document_bytes} bytes.",
            )

    @staticmethod
    def _decode_file(file: Any) -> NewFileSpec:
        title = _text(file.Title)
        file_format = _text(file.Format)
        if title is None or file_format is None:
            raise _Invalid("Every file needs a Title and a Format")
        if file.Base64Data is not None:
            try:
                data = base64.b64decode(str(file.Base64Data), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _Invalid("Base64Data is not valid base64") from exc
        elif file.Data is not None:
            data = bytes(file.Data)
        else:
            raise _Invalid("Every file needs Base64Data or Data")
        return NewFileSpec(title=title, format=file_format.lower().lstrip("."), data=data)

    # --- FileService --------------------------------------------------------------------------

    async def ping_file(self, **_: Any) -> dict[str, Any]:
        """FileService.Ping."""
        return {}

    async def get_file_with_metadata(self, **query: Any) -> dict[str, Any]:
        """FileService.GetFileWithMetadata by Recno (content when IncludeFileData)."""
        recno = query.get("Recno")
        if recno is None:
            failed = render.operation_failed("Recno is required", VALIDATION)
            return {"GetFileWithMetadataResult": failed}
        file = self.population.file_by_recno(int(recno))
        if file is None:
            return {
                "GetFileWithMetadataResult": render.operation_failed(
                    f"File with recno {int(recno)} was not found", NOT_FOUND
                )
            }
        document = self.population.document_by_recno(file.document_recno)
        return {
            "GetFileWithMetadataResult": {
                "Successful": True,
                "File": render.file_result(
                    file, document, with_data=bool(query.get("IncludeFileData"))
                ),
            }
        }

    # --- ContactService -----------------------------------------------------------------------

    async def ping_contact(self, **_: Any) -> dict[str, Any]:
        """ContactService.Ping."""
        return {}

    async def get_private_persons(self, **query: Any) -> dict[str, Any]:
        """ContactService.GetPrivatePersons by PersonalIdNumber."""
        pid = _text(query.get("PersonalIdNumber"))
        if pid is None:
            return {
                "GetPrivatePersonsResult": render.operation_failed(
                    "PersonalIdNumber is the only supported criterion", VALIDATION
                )
            }
        person = self.population.person_by_pid(pid)
        persons = (
            [render.private_person_result(person, registered_on=_REGISTERED_ON)]
            if person is not None
            else []
        )
        return {
            "GetPrivatePersonsResult": {
                "Successful": True,
                "PrivatePersons": {"PrivatePersonResult": persons},
                "TotalPageCount": 1,
            }
        }

    # --- admin --------------------------------------------------------------------------------

    def add_decision(self, case_number: str, title: str | None, outcome: str | None) -> Document:
        """A case officer's decision on a case (for the admin route); closes the case.

        ``outcome`` is one word ("innvilget", "avslått") or a whole sentence for the letter.
        """
        if outcome is None:
            return self.population.add_decision(case_number, title)
        text = outcome if " " in outcome.strip() else f"Søknaden er {outcome.strip()}."
        return self.population.add_decision(case_number, title, text=text)
