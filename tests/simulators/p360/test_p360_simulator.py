"""The P360 simulator over loopback, seen by clients that know nothing of this project.

- a stock zeep client (sync transport, ``requests``) built from the ORIGINAL reference WSDL,
  run in a thread, gets correct answers;
- raw SOAP envelopes posted with aiohttp get replies that validate against the XML Schema
  embedded in the WSDL;
- SIF-style failures come back in the body (``Successful=false``), injected errors as SOAP
  faults, outages as HTTP 503; writes are idempotent; the admin decision route works.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from contracts import wsdl_dir
from kernel.servers import ServerSpec, running_servers
from simulators.admin import SimulatorControl
from simulators.p360.app import BASE_PATH, build_app
from simulators.population import Population, documented

REPO = Path(__file__).resolve().parents[3]
# shared/ lies beside the repository (in development and in CI).
REFERENCE_WSDL = REPO.parent / "shared" / "reference" / "p360" / "wsdl"
VENDORED_WSDL = wsdl_dir("p360")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SI = "http://software-innovation.com/SI.Data"
USER, PASSWORD = "minside", "minside"
AUTH = aiohttp.encode_basic_auth(USER, PASSWORD)


@pytest.fixture
def population() -> Population:
    return Population(seed=2026, size=20)


@pytest.fixture
async def sim(population: Population) -> AsyncIterator[str]:
    control = SimulatorControl("p360", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    async with running_servers([ServerSpec("p360", app)]) as servers:
        yield servers[0].url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# --- helpers -----------------------------------------------------------------------------------


def wsdl_dir() -> Path:
    # The untouched reference contract when it is on this machine, else the vendored copy
    # (byte-identical; checked by test_vendored_wsdls_are_the_reference_ones).
    return REFERENCE_WSDL if REFERENCE_WSDL.is_dir() else VENDORED_WSDL


def schema_of(service: str, tmp_path: Path) -> etree.XMLSchema:
    """The XML Schema embedded in a WSDL (several namespaces, linked through temp files)."""
    root = etree.parse(str(wsdl_dir() / f"{service}.wsdl")).getroot()
    schemas = root.findall(f"{{{WSDL_NS}}}types/{{{XSD}}}schema")
    folder = tmp_path / service
    folder.mkdir()
    locations = {s.get("targetNamespace"): f"s{i}.xsd" for i, s in enumerate(schemas)}
    for schema in schemas:
        copy = etree.fromstring(etree.tostring(schema))
        for imported in copy.findall(f"{{{XSD}}}import"):
            imported.set("schemaLocation", locations[imported.get("namespace")])
        (folder / locations[schema.get("targetNamespace")]).write_bytes(etree.tostring(copy))
    main = etree.Element(f"{{{XSD}}}schema", nsmap={"xs": XSD})
    for namespace, location in locations.items():
        etree.SubElement(main, f"{{{XSD}}}import", namespace=namespace, schemaLocation=location)
    (folder / "main.xsd").write_bytes(etree.tostring(main))
    return etree.XMLSchema(etree.parse(str(folder / "main.xsd")))


def envelope(operation: str, parameter: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<{operation} xmlns="{SI}"><parameter>{parameter}</parameter></{operation}>'
        "</s:Body></s:Envelope>"
    ).encode()


async def post(
    http: aiohttp.ClientSession, url: str, service: str, operation: str, parameter: str
) -> tuple[int, etree._Element | None]:
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{SI}/I{service}/{operation}"',
        "Authorization": AUTH,
    }
    async with http.post(
        f"{url}{BASE_PATH}/{service}.svc", data=envelope(operation, parameter), headers=headers
    ) as response:
        raw = await response.read()
    if not raw:
        return response.status, None
    body = etree.fromstring(raw).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    return response.status, body[0]


def text(element: etree._Element, path: str) -> str | None:
    # "si:" steps match any namespace: CreateCase's result lives in the WCF data contract
    # namespace, not in SI.Data.
    return element.findtext(path.replace("si:", "{*}"))


def zeep_client(url: str, service: str, session: requests.Session) -> Any:
    """zeep exactly as any integrator would use it: sync transport, WSDL from disk."""
    transport: Any = Transport(session=session)  # type: ignore[no-untyped-call]
    client: Any = zeep.Client(  # type: ignore[no-untyped-call]
        str(wsdl_dir() / f"{service}.wsdl"), transport=transport
    )
    binding = f"{{{SI}}}BasicHttpBinding_I{service}"
    return client.create_service(binding, f"{url}{BASE_PATH}/{service}.svc")


# --- description and auth --------------------------------------------------------------------


def test_vendored_wsdls_are_the_reference_ones() -> None:
    if not REFERENCE_WSDL.is_dir():
        pytest.skip("reference contracts not on this machine")
    for name in ("CaseService", "DocumentService", "FileService", "ContactService"):
        assert (VENDORED_WSDL / f"{name}.wsdl").read_bytes() == (
            REFERENCE_WSDL / f"{name}.wsdl"
        ).read_bytes()


async def test_wsdl_is_served_with_our_address_and_needs_auth(
    sim: str, http: aiohttp.ClientSession
) -> None:
    url = f"{sim}{BASE_PATH}/CaseService.svc"
    async with http.get(url + "?wsdl") as response:
        assert response.status == 401
    async with http.get(url + "?wsdl", headers={"Authorization": AUTH}) as response:
        assert response.status == 200
        wsdl = etree.fromstring(await response.read())
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == url


async def test_wrong_password_is_401(sim: str, http: aiohttp.ClientSession) -> None:
    headers = {"Authorization": aiohttp.encode_basic_auth(USER, "wrong")}
    async with http.post(
        f"{sim}{BASE_PATH}/CaseService.svc", data=envelope("GetCases", ""), headers=headers
    ) as response:
        assert response.status == 401


# --- a stock zeep client on the original WSDL -------------------------------------------------


async def test_stock_zeep_client_reads_cases_documents_files_and_persons(
    sim: str, population: Population
) -> None:
    person = population.person(documented.MANY_CASES)
    expected = {case.case_number for case in population.cases_of(person.pid)}

    def run() -> dict[str, Any]:
        with requests.Session() as session:
            session.auth = (USER, PASSWORD)
            cases = zeep_client(sim, "CaseService", session)
            first = cases.GetCases(
                parameter={"ContactReferenceNumber": person.pid, "MaxReturnedCases": 50, "Page": 0}
            )
            numbers = [case.CaseNumber for case in first.Cases.CaseResult]
            for page in range(1, first.TotalPageCount):
                more = cases.GetCases(
                    parameter={
                        "ContactReferenceNumber": person.pid,
                        "MaxReturnedCases": 50,
                        "Page": page,
                    }
                )
                numbers += [case.CaseNumber for case in more.Cases.CaseResult]
            documents = zeep_client(sim, "DocumentService", session).GetDocuments(
                parameter={"CaseNumber": numbers[0]}
            )
            file_recno = documents.Documents.DocumentResult[0].Files.DocumentFileResult[0].Recno
            file = zeep_client(sim, "FileService", session).GetFileWithMetadata(
                parameter={"Recno": file_recno, "IncludeFileData": True}
            )
            persons = zeep_client(sim, "ContactService", session).GetPrivatePersons(
                parameter={"PersonalIdNumber": person.pid}
            )
            return {
                "pages": first.TotalPageCount,
                "numbers": numbers,
                "documents": documents,
                "file": file,
                "persons": persons,
            }

    answer = await asyncio.to_thread(run)
    assert answer["pages"] == 3  # 120 cases, 50 a page
    assert len(answer["numbers"]) == len(set(answer["numbers"])) == 120
    assert set(answer["numbers"]) == expected
    documents = answer["documents"]
    assert documents.Successful is True
    case = population.case_by_number(answer["numbers"][0])
    assert case is not None
    assert [d.DocumentNumber for d in documents.Documents.DocumentResult] == [
        d.document_number for d in case.documents
    ]
    file = answer["file"]
    assert file.Successful is True
    assert base64.b64decode(file.File.Base64Data).startswith(b"%PDF")
    persons = answer["persons"].PrivatePersons.PrivatePersonResult
    assert [(p.FirstName, p.LastName) for p in persons] == [(person.given_name, person.family_name)]


# --- replies validate against the WSDL's schema ------------------------------------------------


async def test_replies_validate_against_the_wsdl_schema(
    sim: str, http: aiohttp.ClientSession, population: Population, tmp_path: Path
) -> None:
    person = population.person(documented.DECISION)
    case = population.cases_of(person.pid)[0]
    file_recno = case.documents[0].files[0].recno
    pdf = base64.b64encode(b"%PDF-1.4 test").decode()
    calls = [
        (
            "CaseService",
            "GetCases",
            f"<ContactReferenceNumber>{person.pid}</ContactReferenceNumber>"
            "<IncludeCaseContacts>true</IncludeCaseContacts>",
        ),
        ("CaseService", "GetCases", ""),  # no criterion: Successful=false
        (
            "CaseService",
            "CreateCase",
            "<Contacts><CaseContactParameter><IsUnofficial>true</IsUnofficial>"
            f"<ReferenceNumber>{person.pid}</ReferenceNumber><Role>Sakspart</Role>"
            "</CaseContactParameter></Contacts>"
            "<ExternalId><Id>key-1</Id><Type>minside</Type></ExternalId>"
            "<Title>Søknad om skoleskyss</Title><CaseType>SOKNAD</CaseType>",
        ),
        (
            "DocumentService",
            "GetDocuments",
            f"<CaseNumber>{case.case_number}</CaseNumber><IncludeFileData>true</IncludeFileData>",
        ),
        (
            "DocumentService",
            "CreateDocument",
            "<Category>Dokument inn</Category>"
            f"<Files><CreateFileParameter><Base64Data>{pdf}</Base64Data><Format>pdf</Format>"
            "<Title>Søknad</Title></CreateFileParameter></Files>"
            f"<Title>Søknad</Title><CaseNumber>{case.case_number}</CaseNumber>",
        ),
        (
            "FileService",
            "GetFileWithMetadata",
            f"<IncludeFileData>true</IncludeFileData><Recno>{file_recno}</Recno>",
        ),
        ("FileService", "GetFileWithMetadata", "<Recno>1</Recno>"),  # unknown: not found
        (
            "ContactService",
            "GetPrivatePersons",
            f"<PersonalIdNumber>{person.pid}</PersonalIdNumber>",
        ),
    ]
    schemas = {name: schema_of(name, tmp_path) for name in {c[0] for c in calls}}
    for service, operation, parameter in calls:
        status, reply = await post(http, sim, service, operation, parameter)
        assert status == 200, (service, operation)
        assert reply is not None
        assert reply.tag == f"{{{SI}}}{operation}Response"
        schema = schemas[service]
        assert schema.validate(reply), (operation, schema.error_log)


# --- failures in the body, faults, outages ----------------------------------------------------


async def test_unknown_case_on_create_document_is_successful_false(
    sim: str, http: aiohttp.ClientSession
) -> None:
    status, reply = await post(
        http,
        sim,
        "DocumentService",
        "CreateDocument",
        "<Title>Søknad</Title><CaseNumber>1999/99999</CaseNumber>",
    )
    assert status == 200 and reply is not None
    result = reply[0]
    assert text(result, "si:Successful") == "false"
    assert "not found" in (text(result, "si:ErrorMessage") or "")
    assert "ObjectNotFoundException" in (text(result, "si:ErrorDetails") or "")


async def test_create_case_without_title_is_a_validation_failure_without_the_pid(
    sim: str, http: aiohttp.ClientSession, population: Population
) -> None:
    pid = population.person(documented.NOTHING).pid
    status, reply = await post(
        http,
        sim,
        "CaseService",
        "CreateCase",
        "<Contacts><CaseContactParameter>"
        f"<ReferenceNumber>{pid}</ReferenceNumber><Role>Sakspart</Role>"
        "</CaseContactParameter></Contacts>",
    )
    assert status == 200 and reply is not None
    result = reply[0]
    assert text(result, "si:Successful") == "false"
    assert "ValidationException" in (text(result, "si:ErrorDetails") or "")
    assert pid not in etree.tostring(reply).decode()


async def test_injected_error_is_a_soap_fault_and_outage_a_503(
    sim: str, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{sim}/_admin/faults", json={"operation": "GetCases", "error_rate": 1.0}
    ) as response:
        assert response.status < 300
    status, reply = await post(http, sim, "CaseService", "GetCases", "<Recno>1</Recno>")
    assert status == 500 and reply is not None
    assert reply.tag == f"{{{SOAP_ENV}}}Fault"
    assert reply.findtext("faultcode", "").endswith("Server")
    # Other operations are untouched.
    status, _ = await post(http, sim, "DocumentService", "GetDocuments", "<Recno>1</Recno>")
    assert status == 200

    async with http.post(f"{sim}/_admin/faults", json={"operation": "*", "outage": True}):
        pass
    status, reply = await post(http, sim, "FileService", "GetFileWithMetadata", "<Recno>1</Recno>")
    assert status == 503 and reply is None

    async with http.delete(f"{sim}/_admin/faults"):
        pass
    status, _ = await post(http, sim, "FileService", "GetFileWithMetadata", "<Recno>1</Recno>")
    assert status == 200


async def test_malformed_request_is_a_client_fault(sim: str, http: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "text/xml", "Authorization": AUTH}
    async with http.post(
        f"{sim}{BASE_PATH}/CaseService.svc", data=b"<not-xml", headers=headers
    ) as response:
        assert response.status == 500
        fault = etree.fromstring(await response.read()).find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None and fault.findtext("faultcode", "").endswith("Client")


# --- idempotent writes --------------------------------------------------------------------------


async def test_create_case_is_idempotent_on_external_id(
    sim: str, http: aiohttp.ClientSession, population: Population
) -> None:
    pid = population.person(documented.NOTHING).pid
    parameter = (
        "<Contacts><CaseContactParameter><IsUnofficial>true</IsUnofficial>"
        f"<ReferenceNumber>{pid}</ReferenceNumber><Role>Sakspart</Role>"
        "</CaseContactParameter></Contacts>"
        "<ExternalId><Id>outbox-42</Id><Type>minside</Type></ExternalId>"
        "<Title>Søknad om startlån</Title>"
    )
    answers = []
    for _ in range(2):
        status, reply = await post(http, sim, "CaseService", "CreateCase", parameter)
        assert status == 200 and reply is not None
        result = reply[0]
        assert text(result, "si:Successful") == "true"
        answers.append((text(result, "si:Recno"), text(result, "si:CaseNumber")))
    assert answers[0] == answers[1]
    assert [case.case_number for case in population.cases_of(pid)] == [answers[0][1]]

    # GetCases finds it by the key, as 360 does.
    _, reply = await post(
        http,
        sim,
        "CaseService",
        "GetCases",
        "<ExternalId><Id>outbox-42</Id><Type>minside</Type></ExternalId>",
    )
    assert reply is not None
    assert text(reply[0], "si:Cases/si:CaseResult/si:CaseNumber") == answers[0][1]
    assert text(reply[0], "si:Cases/si:CaseResult/si:ExternalId/si:Id") == "outbox-42"


async def test_create_document_is_idempotent_on_senders_reference(
    sim: str, http: aiohttp.ClientSession, population: Population
) -> None:
    case = population.cases_of(population.person(documented.HOMEOWNER).pid)[0]
    before = len(case.documents)
    parameter = (
        "<Category>Dokument inn</Category>"
        f"<SendersReference>doc-key-7</SendersReference><Title>Ettersendt vedlegg</Title>"
        f"<CaseNumber>{case.case_number}</CaseNumber>"
    )
    numbers = []
    for _ in range(2):
        _, reply = await post(http, sim, "DocumentService", "CreateDocument", parameter)
        assert reply is not None and text(reply[0], "si:Successful") == "true"
        numbers.append(text(reply[0], "si:DocumentNumber"))
    assert numbers[0] == numbers[1] == f"{case.case_number}-{before + 1}"
    after = population.case_by_number(case.case_number)
    assert after is not None and len(after.documents) == before + 1


# --- admin: a case officer's decision ----------------------------------------------------------


async def test_admin_decision_adds_a_vedtak_and_closes_the_case(
    sim: str, http: aiohttp.ClientSession, population: Population
) -> None:
    person = population.person(documented.DECISION)
    open_case = next(c for c in population.cases_of(person.pid) if c.decision is None)
    async with http.post(
        f"{sim}/_admin/cases/{open_case.case_number}/decision",
        json={"title": "Vedtak om startlån", "outcome": "avslått"},
    ) as response:
        assert response.status == 201
        created = await response.json()
    _, reply = await post(
        http,
        sim,
        "DocumentService",
        "GetDocuments",
        f"<CaseNumber>{open_case.case_number}</CaseNumber>",
    )
    assert reply is not None
    last = reply[0].findall(f"{{{SI}}}Documents/{{{SI}}}DocumentResult")[-1]
    assert text(last, "si:DocumentNumber") == created["document_number"]
    assert text(last, "si:Title") == "Vedtak om startlån"
    assert text(last, "si:Type/si:Code") == "VEDTAK"
    _, reply = await post(
        http, sim, "CaseService", "GetCases", f"<CaseNumber>{open_case.case_number}</CaseNumber>"
    )
    assert reply is not None
    assert text(reply[0], "si:Cases/si:CaseResult/si:Status") == "Avsluttet"

    async with http.post(f"{sim}/_admin/cases/1999/99999/decision") as response:
        assert response.status == 404
