"""Async client of Public 360's SIF SOAP services (Case, Document, File, Contact).

One :class:`P360Client` is created in the app's lifespan with the shared ``aiohttp`` session and
the system's :class:`~connectors.resilience.Resilience`; the four WSDLs are loaded once from the
vendored copies in ``contracts/``. Every remote call runs inside ``Resilience.call``:
reads as idempotent (retried on transport failures), writes as not idempotent (never retried
here; they carry an idempotency key and the gateway's outbox retries them).

Idempotency of writes:

- ``CreateCase`` sends the key as the case's ``ExternalId`` (``Type="minside"``, ``Id=key``):
  the SIF field meant for an external system's own identifier of a case. Before creating, the
  client asks ``GetCases`` for that ExternalId, so a retry after a lost answer finds the case
  created by the first attempt instead of making a second one (the simulator also answers a
  repeated ExternalId with the existing case).
- ``CreateDocument`` has no ExternalId; the key goes into ``SendersReference`` (the sender's own
  reference of an incoming document, which is what the gateway's key is), and the simulator
  answers a repeated (case number, SendersReference) with the existing document.

A fødselsnummer only ever travels in a SOAP body (``ContactReferenceNumber``,
``PersonalIdNumber``, a contact's ``ReferenceNumber``), never in a URL, a log line or a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import aiohttp

from connectors.batching import distinct
from connectors.errors import ConnectorError, MalformedResponse
from connectors.p360 import codes
from connectors.p360.decoders import CASES_PAGE, DOCUMENTS_PAGE, PRIVATE_PERSONS
from connectors.p360.errors import SYSTEM, raise_for_result
from connectors.p360.models import (
    Case,
    CaseKind,
    CreatedCase,
    CreatedDocument,
    Document,
    DocumentDirection,
    FileContent,
    NewFile,
    PrivatePerson,
)
from connectors.p360.parse import (
    parse_created_case,
    parse_created_document,
    parse_file_content,
)
from connectors.resilience import Resilience
from connectors.soap import ReplyDecoder
from connectors.soap_connector import SoapConnector
from connectors.soap_template import StreamedEnvelope, slot
from contracts import wsdl_dir

__all__ = ["WSDL_DIR", "P360Client"]

T = TypeVar("T")

WSDL_DIR: Final = wsdl_dir("p360")
SERVICES: Final = ("CaseService", "DocumentService", "FileService", "ContactService")
# A person with more cases than this is a data problem, not a reason to loop forever.
MAX_PAGES: Final = 200
DEFAULT_PAGE_SIZE: Final = 100
DEFAULT_PARALLEL_CASES: Final = 8
# The files of a new document: the list CreateDocument's template fills, and one item of it.
_FILES: Final = ("parameter", "Files")
_NEW_FILE: Final = {
    "Title": slot("title"),
    "Format": slot("format"),
    "Base64Data": slot("data"),
    "Status": "F",
}


class P360Client(SoapConnector):
    """Typed access to the Public 360 operations the gateway uses.

    ``base_url`` is the SIF root, e.g. ``http://127.0.0.1:8103/SI.WS.Core/SIF``; each service
    lives at ``<base_url>/<Name>.svc``. ``parallel_cases`` bounds how many ``GetDocuments``
    calls one :meth:`documents_for_cases` runs at once (SIF takes one case number per call).
    Calls go through :meth:`~connectors.soap_connector.SoapConnector._call`.
    """

    system = SYSTEM
    services = SERVICES
    endpoint_suffix = ".svc"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        resilience: Resilience,
        *,
        parallel_cases: int = DEFAULT_PARALLEL_CASES,
        wsdl_dir: Path = WSDL_DIR,
    ) -> None:
        if parallel_cases < 1:
            raise ValueError("parallel_cases must be at least 1")
        super().__init__(session, base_url, username, password, resilience, wsdl_dir=wsdl_dir)
        self._parallel_cases = parallel_cases
        # The hot reads' envelopes, rendered once by zeep (connectors.soap_template).
        self._cases_by_person = self._services["CaseService"].template(
            "GetCases",
            parameter={
                "ContactReferenceNumber": slot("pid"),
                "MaxReturnedCases": slot("size"),
                "Page": slot("page"),
                "IncludeCaseContacts": False,
            },
        )
        self._documents_by_person = self._services["DocumentService"].template(
            "GetDocuments",
            parameter={
                "ContactReferenceNumber": slot("pid"),
                "MaxReturnedDocuments": slot("size"),
                "Page": slot("page"),
                "IncludeFileData": False,
            },
        )
        self._private_persons = self._services["ContactService"].template(
            "GetPrivatePersons", parameter={"PersonalIdNumber": slot("pid"), "MaxRows": 2}
        )
        # CreateDocument's envelope, without and with the sender contact, and its file item:
        # the files' base64 is streamed into the request, never built as one string.
        documents = self._services["DocumentService"]
        new_document: dict[str, Any] = {
            "CaseNumber": slot("case_number"),
            "Title": slot("title"),
            "Category": slot("category"),
            "Status": "J",
            "AccessCode": codes.ACCESS_CODE_UNOFFICIAL,
            "Paragraph": codes.UNOFFICIAL_PARAGRAPH,
            "SendersReference": slot("key"),
            "Files": {"CreateFileParameter": [_NEW_FILE]},
        }
        sender = {
            "DocumentContactParameter": [
                {"Role": codes.ROLE_SENDER, "ReferenceNumber": slot("sender"), "IsUnofficial": True}
            ]
        }
        self._new_document = documents.template("CreateDocument", _FILES, parameter=new_document)
        self._new_document_from = documents.template(
            "CreateDocument", _FILES, parameter={**new_document, "Contacts": sender}
        )
        self._new_file = documents.item_template("CreateDocument", _FILES, parameter=new_document)

    # --- plumbing ---------------------------------------------------------------------------

    async def _sif(
        self,
        service: str,
        operation: str,
        parse: Callable[[Any], T],
        parameter: dict[str, Any],
        *,
        write: bool = False,
        prepared: StreamedEnvelope | None = None,
    ) -> T:
        """One SIF call: its result is checked (:func:`raise_for_result`) before ``parse``.

        Reads are retried; a write is sent once (it carries its idempotency key).
        ``prepared`` is the request rendered from a template (``parameter`` is then unused).
        """

        def checked(result: Any) -> T:
            raise_for_result(result, operation, write=write)
            return parse(result)

        body = {"parameter": parameter} if prepared is None else {"prepared": prepared}
        return await self._call(service, operation, idempotent=not write, parse=checked, **body)

    async def _paged(
        self,
        service: str,
        operation: str,
        decoder: ReplyDecoder[tuple[list[T], int | None]],
        query: Callable[[int], dict[str, Any]],
        *,
        page_size: int,
        prepare: Callable[[int], bytes] | None = None,
    ) -> list[T]:
        """Every item of a paged SIF read, in page order; ``query(page)`` is the page's query.

        ``decoder`` reads one page (checked with :func:`raise_for_result`) into its items and
        ``TotalPageCount``; ``prepare(page)``, when given, renders the page's request from a
        template instead of zeep building it from ``query(page)``. Stops at the last page
        (``TotalPageCount``, or a short page when 360 does not say), at an empty page, or
        after :data:`MAX_PAGES`.
        """
        found: list[T] = []
        for page in range(MAX_PAGES):
            prepared = None if prepare is None else prepare(page)
            rows, total_pages = await self._call_decoded(
                service,
                operation,
                decoder,
                idempotent=True,
                prepared=prepared,
                **({} if prepared is not None else {"parameter": query(page)}),
            )
            found.extend(rows)
            last_page = (
                page + 1 >= total_pages if total_pages is not None else len(rows) < page_size
            )
            if last_page or not rows:
                break
        return found

    # --- reads ------------------------------------------------------------------------------

    async def cases_for_person(self, pid: str, page_size: int = DEFAULT_PAGE_SIZE) -> list[Case]:
        """Every case where the person is a contact (``ContactReferenceNumber``), all pages."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")

        cases = await self._paged(
            "CaseService",
            "GetCases",
            CASES_PAGE,
            lambda page: {
                "ContactReferenceNumber": pid,
                "MaxReturnedCases": page_size,
                "Page": page,
                "IncludeCaseContacts": False,
            },
            page_size=page_size,
            prepare=lambda page: self._cases_by_person.render(pid=pid, size=page_size, page=page),
        )
        # A case that moved between pages while paging must not appear twice.
        found: list[Case] = []
        seen: set[int] = set()
        for case in cases:
            if case.recno not in seen:
                seen.add(case.recno)
                found.append(case)
        return found

    async def documents_for_case(
        self, case_number: str, page_size: int = DEFAULT_PAGE_SIZE, *, contact: str | None = None
    ) -> list[Document]:
        """The documents of one case (``GetDocuments`` by ``CaseNumber``), all pages; with
        ``contact`` (a fødselsnummer, sent as ``ContactReferenceNumber``) only those naming
        that person, as :meth:`documents_for_person` finds them."""
        criteria: dict[str, object] = {"CaseNumber": case_number}
        if contact is not None:
            criteria["ContactReferenceNumber"] = contact
        return await self._paged(
            "DocumentService",
            "GetDocuments",
            DOCUMENTS_PAGE,
            lambda page: {
                **criteria,
                "MaxReturnedDocuments": page_size,
                "Page": page,
                "IncludeFileData": False,
            },
            page_size=page_size,
        )

    async def documents_for_cases(
        self, case_numbers: Sequence[str], *, contact: str | None = None
    ) -> list[list[Document]]:
        """Documents of each case (naming ``contact``, when given), aligned with
        ``case_numbers``.

        ``GetDocumentsQuery`` takes a single ``CaseNumber``, so this fans out one call per
        distinct case number, at most ``parallel_cases`` at a time. If any call fails, the
        others are cancelled and that error is raised (the caller degrades the whole field).
        """
        numbers = distinct(case_numbers)
        limit = asyncio.Semaphore(self._parallel_cases)

        async def one(case_number: str) -> list[Document]:
            async with limit:
                return await self.documents_for_case(case_number, contact=contact)

        # gather rather than a TaskGroup: callers expect the ConnectorError itself, not an
        # ExceptionGroup around it; the siblings of a failed call are cancelled by hand.
        tasks = [asyncio.create_task(one(number)) for number in numbers]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        by_number = dict(zip(numbers, results, strict=True))
        return [list(by_number[number]) for number in case_numbers]

    async def documents_for_person(
        self, pid: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> dict[str, list[Document]]:
        """Documents where the person is a contact (``GetDocuments`` by
        ``ContactReferenceNumber``), grouped by case number, all pages.

        The batch alternative to :meth:`documents_for_cases` when most of a person's cases are
        wanted: a few paged calls instead of one per case. In 360 this finds documents that
        name the person as a contact (sender/recipient), which is every journal entry of a
        citizen's own cases in this municipality's set-up, not necessarily elsewhere.
        """
        docs = await self._paged(
            "DocumentService",
            "GetDocuments",
            DOCUMENTS_PAGE,
            lambda page: {
                "ContactReferenceNumber": pid,
                "MaxReturnedDocuments": page_size,
                "Page": page,
                "IncludeFileData": False,
            },
            page_size=page_size,
            prepare=lambda page: self._documents_by_person.render(
                pid=pid, size=page_size, page=page
            ),
        )
        grouped: dict[str, list[Document]] = {}
        for doc in docs:
            grouped.setdefault(doc.case_number, []).append(doc)
        return grouped

    async def file_with_content(self, recno: int) -> FileContent:
        """A file with its bytes (``GetFileWithMetadata`` with ``IncludeFileData``)."""

        def parse(result: Any) -> FileContent:
            if result.File is None:
                raise MalformedResponse(
                    "no File in a successful reply", system=SYSTEM, operation="GetFileWithMetadata"
                )
            return parse_file_content(result.File)

        return await self._sif(
            "FileService",
            "GetFileWithMetadata",
            parse,
            {"Recno": recno, "IncludeFileData": True},
        )

    async def private_person(self, pid: str) -> PrivatePerson | None:
        """The private person contact with this fødselsnummer, or None if 360 has none."""

        persons = await self._call_decoded(
            "ContactService",
            "GetPrivatePersons",
            PRIVATE_PERSONS,
            idempotent=True,
            prepared=self._private_persons.render(pid=pid),
        )
        return next((person for person in persons if person.personal_id_number == pid), None)

    async def ping(self) -> None:
        """Cheap liveness check (``CaseService.Ping``), for readiness probes."""
        await self._call("CaseService", "Ping", idempotent=True, parse=_ignore)

    # --- writes -----------------------------------------------------------------------------

    async def case_by_external_id(self, external_id: str) -> Case | None:
        """The case created with this idempotency key (``ExternalId``), if there is one."""

        cases, _pages = await self._call_decoded(
            "CaseService",
            "GetCases",
            CASES_PAGE,
            idempotent=True,
            parameter={
                "ExternalId": {"Id": external_id, "Type": codes.EXTERNAL_ID_TYPE},
                "MaxReturnedCases": 1,
            },
        )
        return cases[0] if cases else None

    async def create_case(
        self,
        *,
        pid: str,
        title: str,
        idempotency_key: str,
        kind: CaseKind = CaseKind.APPLICATION,
        unofficial_title: str | None = None,
        responsible_unit: str | None = None,
    ) -> CreatedCase:
        """Create a case with the person as party (``Sakspart``, not public); idempotent by key.

        Raises :class:`~connectors.errors.Rejected` when 360 refuses the case (validation).
        """
        existing = await self.case_by_external_id(idempotency_key)
        if existing is not None:
            return CreatedCase(existing.recno, existing.case_number)
        parameter: dict[str, Any] = {
            "Title": title,
            "UnofficialTitle": unofficial_title,
            "CaseType": codes.CASE_TYPE_BY_KIND[kind],
            "ExternalId": {"Id": idempotency_key, "Type": codes.EXTERNAL_ID_TYPE},
            "AccessCode": codes.ACCESS_CODE_UNOFFICIAL,
            "Paragraph": codes.UNOFFICIAL_PARAGRAPH,
            "ResponsibleEnterpriseNumber": responsible_unit,
            "Contacts": {
                "CaseContactParameter": [
                    {"Role": codes.ROLE_PARTY, "ReferenceNumber": pid, "IsUnofficial": True}
                ]
            },
        }

        return await self._sif(
            "CaseService",
            "CreateCase",
            parse_created_case,
            {key: value for key, value in parameter.items() if value is not None},
            write=True,
        )

    async def create_document(
        self,
        *,
        case_number: str,
        title: str,
        files: Sequence[NewFile],
        idempotency_key: str,
        sender_pid: str | None = None,
        direction: DocumentDirection = DocumentDirection.INCOMING,
    ) -> CreatedDocument:
        """Add a journal entry with files to a case; idempotent by key (``SendersReference``).

        Raises :class:`~connectors.errors.NotFound` when the case does not exist and
        :class:`~connectors.errors.Rejected` when 360 refuses the document (validation).
        """
        request = self.create_document_request(
            case_number=case_number,
            title=title,
            files=files,
            idempotency_key=idempotency_key,
            sender_pid=sender_pid,
            direction=direction,
        )
        try:
            return await self._sif(
                "DocumentService",
                "CreateDocument",
                parse_created_document,
                {},
                write=True,
                prepared=request,
            )
        finally:
            request.release()  # the files go with the last reference the call leaves

    def create_document_request(
        self,
        *,
        case_number: str,
        title: str,
        files: Sequence[NewFile],
        idempotency_key: str,
        sender_pid: str | None = None,
        direction: DocumentDirection = DocumentDirection.INCOMING,
    ) -> StreamedEnvelope:
        """The ``CreateDocument`` request :meth:`create_document` sends for these arguments.

        The envelope zeep would build (:mod:`connectors.soap_template`; the tests hold the two
        to it), with each file's base64 encoded a chunk at a time while the request is
        written: about the files' size in memory instead of ten times it while zeep built and
        lxml serialised the base64. Raises :class:`~connectors.errors.ConnectorError` for a
        text XML cannot carry (as zeep refused it).
        """
        template = self._new_document if sender_pid is None else self._new_document_from
        try:
            return template.stream(
                [
                    self._new_file.pieces({"data": file.data}, title=file.title, format=file.format)
                    for file in files
                ],
                case_number=case_number,
                title=title,
                category=codes.CATEGORY_BY_DIRECTION[direction],
                key=idempotency_key,
                **({} if sender_pid is None else {"sender": sender_pid}),
            )
        except ValueError as exc:
            # A text XML cannot carry (zeep refuses it the same way): a bug, not a remote failure.
            raise ConnectorError(
                "request does not match the WSDL", system=SYSTEM, operation="CreateDocument"
            ) from exc


def _ignore(_result: Any) -> None:
    return None
