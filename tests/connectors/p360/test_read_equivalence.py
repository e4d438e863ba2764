"""Parser equivalence for Public 360: lxml's reading of a reply equals zeep's, model for model.

The client reads GetCases, GetDocuments and GetPrivatePersons with :mod:`connectors.p360.read`
(lxml) instead of zeep's generic parser; these tests feed the same reply bytes to both paths
(:meth:`connectors.soap.SoapService.decode`) and demand equal models, or the same error:

- the simulator's replies for every documented person and a range of generated ones;
- hand-made replies at the edges of the contract (nil and empty elements, text zeep cannot
  convert, odd date spellings, ``Successful=false``, missing required fields).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.replies import Exchange, Replies
from connectors.errors import ConnectorError
from connectors.p360.client import SERVICES, WSDL_DIR
from connectors.p360.decoders import DECODERS
from connectors.soap import Parser, SoapService
from simulators.population import Population, documented

GENERATED = range(documented.MIN_POPULATION_SIZE, 70)


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(Population(seed=2026, size=GENERATED.stop))


def hot_exchanges(replies: Replies, index: int) -> Iterator[Exchange]:
    return (e for e in replies.exchanges(index) if e.system == "p360")


def both_paths(service: SoapService, operation: str, content: bytes) -> tuple[Any, Any]:
    """(zeep's models or error, lxml's models or error) for one reply."""
    outcomes = []
    for path in (Parser.ZEEP, Parser.LXML):
        try:
            outcomes.append(service.decode(operation, content, DECODERS[operation], path=path))
        except ConnectorError as exc:
            outcomes.append((type(exc), str(exc), exc.system, exc.operation))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("index", [person.index for person in documented.DOCUMENTED])
def test_documented_persons_read_alike(replies: Replies, index: int) -> None:
    for exchange in hot_exchanges(replies, index):
        zeep_models, lxml_models = both_paths(
            replies.service(exchange), exchange.operation, replies.answer(exchange)
        )
        assert lxml_models == zeep_models, exchange.operation


def test_many_cases_person_reads_alike_with_content(replies: Replies) -> None:
    # The person the issue measured: 120 cases and 355 documents in one reply each.
    exchanges = {e.operation: e for e in hot_exchanges(replies, documented.MANY_CASES)}
    cases, _ = replies.service(exchanges["GetCases"]).decode(
        "GetCases", replies.answer(exchanges["GetCases"]), DECODERS["GetCases"]
    )
    documents, pages = replies.service(exchanges["GetDocuments"]).decode(
        "GetDocuments", replies.answer(exchanges["GetDocuments"]), DECODERS["GetDocuments"]
    )
    assert len(cases) == 120
    assert pages == 1
    assert len(documents) >= 355
    assert all(doc.files for doc in documents)


def test_generated_persons_read_alike(replies: Replies) -> None:
    for index in GENERATED:
        for exchange in hot_exchanges(replies, index):
            zeep_models, lxml_models = both_paths(
                replies.service(exchange), exchange.operation, replies.answer(exchange)
            )
            assert lxml_models == zeep_models, (index, exchange.operation)


# --- hand-made replies ----------------------------------------------------------------------

SI = "http://software-innovation.com/SI.Data"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def envelope(operation: str, result: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<s:Body><{operation}Response xmlns="{SI}" xmlns:i="{XSI}">{result}'
        f"</{operation}Response></s:Body></s:Envelope>"
    ).encode()


def cases(*entries: str, head: str = "<Successful>true</Successful>") -> bytes:
    body = "".join(f"<CaseResult>{entry}</CaseResult>" for entry in entries)
    return envelope("GetCases", f"<GetCasesResult>{head}<Cases>{body}</Cases></GetCasesResult>")


def documents(*entries: str, tail: str = "") -> bytes:
    body = "".join(f"<DocumentResult>{entry}</DocumentResult>" for entry in entries)
    return envelope(
        "GetDocuments",
        f"<GetDocumentsResult><Successful>true</Successful><Documents>{body}</Documents>"
        f"{tail}</GetDocumentsResult>",
    )


def persons(*entries: str) -> bytes:
    body = "".join(f"<PrivatePersonResult>{entry}</PrivatePersonResult>" for entry in entries)
    return envelope(
        "GetPrivatePersons",
        "<GetPrivatePersonsResult><Successful>true</Successful>"
        f"<PrivatePersons>{body}</PrivatePersons></GetPrivatePersonsResult>",
    )


CASE = "<CaseNumber>2024/00001</CaseNumber>{date}<Recno>{recno}</Recno><Title>{title}</Title>"
# Elements in the contract's sequence order: zeep refuses any other order.
DOC = (
    "<CaseNumber> 2024/00001 </CaseNumber>{category}{date}<DocumentNumber>2024/00001-1"
    "</DocumentNumber>{files}{journal}<Recno>7</Recno><Title>{title}</Title>{type}"
)

EDGE_REPLIES: dict[str, tuple[str, bytes]] = {
    "plain case": (
        "GetCases",
        cases(CASE.format(date="<Date>2024-01-31T10:00:00</Date>", recno=1, title="Sak")),
    ),
    "date with zone and fraction": (
        "GetCases",
        cases(
            CASE.format(date="<Date>2024-01-31T23:59:59.1234567+14:00</Date>", recno=1, title="x")
        ),
    ),
    "date only": (
        "GetCases",
        cases(CASE.format(date="<Date>2024-01-31</Date>", recno=1, title="x")),
    ),
    "date with spaces": (
        "GetCases",
        cases(CASE.format(date="<Date> 2024-01-31T00:00:00 </Date>", recno=1, title="x")),
    ),
    "date with a space for T": (
        "GetCases",
        cases(CASE.format(date="<Date>2024-01-31 00:00:00</Date>", recno=1, title="x")),
    ),
    "impossible date": (
        "GetCases",
        cases(CASE.format(date="<Date>2024-02-30T00:00:00</Date>", recno=1, title="x")),
    ),
    "hour 24": (
        "GetCases",
        cases(CASE.format(date="<Date>2024-02-03T24:00:00</Date>", recno=1, title="x")),
    ),
    "no date": ("GetCases", cases(CASE.format(date="<Date/>", recno=1, title="x"))),
    "garbage date": ("GetCases", cases(CASE.format(date="<Date>soon</Date>", recno=1, title="x"))),
    "recno with spaces": ("GetCases", cases(CASE.format(date="", recno=" 12 ", title="x"))),
    "recno not a number": ("GetCases", cases(CASE.format(date="", recno="twelve", title="x"))),
    "no recno": ("GetCases", cases("<CaseNumber>2024/1</CaseNumber>")),
    "blank case number": ("GetCases", cases("<CaseNumber> </CaseNumber><Recno>3</Recno>")),
    "empty title": ("GetCases", cases(CASE.format(date="", recno=1, title=""))),
    "nil title": (
        "GetCases",
        cases('<CaseNumber>1</CaseNumber><Recno>1</Recno><Title i:nil="true"/>'),
    ),
    "external id": (
        "GetCases",
        cases(
            "<CaseNumber>1</CaseNumber><ExternalId><Id> key-1 </Id></ExternalId><Recno>1</Recno>"
        ),
    ),
    "nil external id": (
        "GetCases",
        cases('<CaseNumber>1</CaseNumber><ExternalId i:nil="true"/><Recno>1</Recno>'),
    ),
    "type by description": (
        "GetCases",
        cases(
            "<CaseNumber>1</CaseNumber><CaseTypeCode>X9</CaseTypeCode>"
            "<CaseTypeDescription> Byggesak </CaseTypeDescription><Recno>1</Recno>"
        ),
    ),
    "empty case entry": ("GetCases", cases("")),
    "nil case entry": (
        "GetCases",
        envelope(
            "GetCases",
            '<GetCasesResult><Successful>true</Successful><Cases><CaseResult i:nil="true"/>'
            "</Cases></GetCasesResult>",
        ),
    ),
    "no cases array": (
        "GetCases",
        envelope("GetCases", "<GetCasesResult><Successful>true</Successful></GetCasesResult>"),
    ),
    "total pages": (
        "GetCases",
        envelope(
            "GetCases",
            "<GetCasesResult><Successful>1</Successful><Cases/>"
            "<TotalPageCount>4</TotalPageCount></GetCasesResult>",
        ),
    ),
    "unsuccessful, not found": (
        "GetCases",
        cases(
            head="<ErrorDetails>SI.Data.Exceptions.ObjectNotFoundException</ErrorDetails>"
            "<ErrorMessage>Case for 01017012345 not found</ErrorMessage>"
            "<Successful>false</Successful>"
        ),
    ),
    "unsuccessful, other": (
        "GetCases",
        cases(head="<ErrorMessage>Busy</ErrorMessage><Successful>false</Successful>"),
    ),
    "successful missing": ("GetCases", cases(head="")),
    "empty result": ("GetCases", envelope("GetCases", "<GetCasesResult/>")),
    "nil result": ("GetCases", envelope("GetCases", '<GetCasesResult i:nil="true"/>')),
    "no result": ("GetCases", envelope("GetCases", "")),
    "document": (
        "GetDocuments",
        documents(
            DOC.format(
                category="<Category><Code>U</Code><Description>Dokument ut</Description>"
                "<Recno>111</Recno></Category>",
                date="<DocumentDate>2023-05-01T00:00:00</DocumentDate>",
                journal="<JournalDate>2023-05-02T00:00:00Z</JournalDate>",
                files="<Files><DocumentFileResult><Format>PDF</Format><Recno>9</Recno>"
                "<Title>Vedtak</Title></DocumentFileResult><DocumentFileResult>"
                "<Format i:nil='true'/><Recno>10</Recno><Title>a.docx</Title>"
                "</DocumentFileResult></Files>",
                title="",
                type="<Type><Code> vedtak </Code></Type>",
            ),
            tail="<TotalPageCount>2</TotalPageCount>",
        ),
    ),
    "document by category recno": (
        "GetDocuments",
        documents(
            DOC.format(
                category="<Category><Recno>110</Recno></Category>",
                date="",
                journal="",
                files="",
                title="Søknad",
                type="",
            )
        ),
    ),
    "document category recno not a number": (
        "GetDocuments",
        documents(
            DOC.format(
                category="<Category><Description>Dokument inn</Description><Recno>x</Recno>"
                "</Category>",
                date="",
                journal="",
                files="<Files/>",
                title="t",
                type="<Type/>",
            )
        ),
    ),
    "document official title only": (
        "GetDocuments",
        documents(
            "<DocumentNumber>1-1</DocumentNumber><OfficialTitle> Brev </OfficialTitle>"
            "<Recno>5</Recno>"
        ),
    ),
    "document file without recno": (
        "GetDocuments",
        documents(
            DOC.format(
                category="",
                date="",
                journal="",
                files="<Files><DocumentFileResult><Title>a</Title></DocumentFileResult></Files>",
                title="t",
                type="",
            )
        ),
    ),
    "document without number": ("GetDocuments", documents("<Recno>5</Recno>")),
    "person": (
        "GetPrivatePersons",
        persons(
            "<FirstName> Kari </FirstName><LastName>Nordmann</LastName>"
            "<MiddleName></MiddleName><PersonalIdNumber>01017012345</PersonalIdNumber>"
            "<PostAddress><StreetAddress>Gata 1</StreetAddress><ZipCode>2000</ZipCode>"
            "</PostAddress><Recno>200001</Recno>"
        ),
    ),
    "person with empty post address": (
        "GetPrivatePersons",
        persons(
            "<PersonalIdNumber>01017012345</PersonalIdNumber><PostAddress><Country/>"
            "</PostAddress><PrivateAddress><ZipPlace>Lillestrøm</ZipPlace></PrivateAddress>"
            "<Recno>1</Recno>"
        ),
    ),
    "person without id number": ("GetPrivatePersons", persons("<Recno>1</Recno>")),
    "two persons": (
        "GetPrivatePersons",
        persons(
            "<PersonalIdNumber>01017012345</PersonalIdNumber><Recno>1</Recno>",
            "<PersonalIdNumber>01017012346</PersonalIdNumber><Recno>2</Recno>",
        ),
    ),
}


@pytest.fixture(scope="module")
def services() -> dict[str, SoapService]:
    return {
        name: SoapService(WSDL_DIR / f"{name}.wsdl", f"http://p360.invalid/{name}.svc", "p360")
        for name in SERVICES
    }


SERVICE_OF = {
    "GetCases": "CaseService",
    "GetDocuments": "DocumentService",
    "GetPrivatePersons": "ContactService",
}


@pytest.mark.parametrize("name", sorted(EDGE_REPLIES))
def test_edge_replies_read_alike(name: str, services: dict[str, SoapService]) -> None:
    operation, content = EDGE_REPLIES[name]
    zeep_outcome, lxml_outcome = both_paths(services[SERVICE_OF[operation]], operation, content)
    assert lxml_outcome == zeep_outcome
    assert "01017012345" not in repr(lxml_outcome)
