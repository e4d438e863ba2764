"""Contract tests of P360Client against the P360 simulator over loopback.

Every operation the gateway uses, paging (a person with 120 cases), idempotent writes, and the
failure modes: injected latency -> SystemTimeout, injected error -> SOAP fault (RemoteFault),
Successful=false -> NotFound / Rejected / RemoteFault, malformed XML -> MalformedResponse,
outage -> SystemUnavailable, then CircuitOpen, then recovery through the half-open breaker,
and a wrong password -> RemoteFault("unauthorized"). No fødselsnummer ever appears in a URL or
an error message.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.errors import (
    CircuitOpen,
    ConnectorError,
    MalformedResponse,
    NotFound,
    Rejected,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.p360 import (
    CaseKind,
    DocumentDirection,
    NewFile,
    P360Client,
)
from connectors.p360.errors import raise_for_result, scrub
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap_template import BASE64_CHUNK, StreamedEnvelope
from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, SimulatorControl
from simulators.p360.app import BASE_PATH, build_app
from simulators.population import Population, documented
from tests.clocks import FakeClock
from tests.connectors.p360.test_create_document_request import canonical, zeep_envelope

USER, PASSWORD = "minside", "minside"
# A deadline no ordinary call misses on a loaded machine (a 120-case reply missed 5 s when
# two suites shared two cores); the timeout test brings its own.
POLICY = ResiliencePolicy(deadline_s=20.0, retries=0, breaker_failure_threshold=50)


@dataclass
class Stack:
    url: str
    population: Population
    control: SimulatorControl
    urls: list[str]  # every URL the client requested
    session: aiohttp.ClientSession

    def client(
        self,
        policy: ResiliencePolicy = POLICY,
        *,
        password: str = PASSWORD,
        clock: Callable[[], float] | None = None,
        url: str | None = None,
    ) -> P360Client:
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        resilience = Resilience("p360", policy, **extra)
        return P360Client(self.session, (url or self.url) + BASE_PATH, USER, password, resilience)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    population = Population(seed=2026, size=20)
    control = SimulatorControl("p360", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    urls: list[str] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        urls.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with (
        running_servers([ServerSpec("p360", app)]) as servers,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
    ):
        yield Stack(servers[0].url, population, control, urls, session)
    pids = {population.person(i).pid for i in range(20)}
    assert not [url for url in urls if any(pid in url for pid in pids)]


# --- reads ----------------------------------------------------------------------------------


async def test_cases_for_person_fetches_every_page(stack: Stack) -> None:
    pid = stack.population.person(documented.MANY_CASES).pid
    cases = await stack.client().cases_for_person(pid, page_size=50)
    expected = {case.case_number: case for case in stack.population.cases_of(pid)}
    assert len(expected) == 120
    assert sorted(case.case_number for case in cases) == sorted(expected)
    assert stack.control.calls["GetCases"] == 3  # 50 + 50 + 20
    for case in cases:
        origin = expected[case.case_number]
        assert case.recno == origin.recno
        assert case.title == origin.title
        assert case.kind.value == origin.kind.value
        assert case.status == origin.status
        assert case.opened_on == origin.opened_on
        assert case.responsible_unit == origin.responsible_unit


async def test_person_without_cases_gets_an_empty_list(stack: Stack) -> None:
    pid = stack.population.person(documented.NOTHING).pid
    assert await stack.client().cases_for_person(pid) == []


async def test_documents_for_cases_are_aligned_with_the_keys(stack: Stack) -> None:
    pid = stack.population.person(documented.DECISION).pid
    cases = stack.population.cases_of(pid)
    keys = [cases[1].case_number, "1999/99999", cases[0].case_number, cases[1].case_number]
    result = await stack.client().documents_for_cases(keys)
    assert len(result) == 4
    assert result[1] == []
    assert result[0] == result[3]
    for documents, case in ((result[0], cases[1]), (result[2], cases[0])):
        assert [d.document_number for d in documents] == [d.document_number for d in case.documents]
        for document, origin in zip(documents, case.documents, strict=True):
            assert document.recno == origin.recno
            assert document.case_number == case.case_number
            assert document.title == origin.title
            assert document.is_decision == origin.is_decision
            assert document.document_date == origin.document_date
            assert (
                document.direction.value
                == {"I": "INCOMING", "U": "OUTGOING", "N": "INTERNAL", "X": "INTERNAL"}[
                    origin.direction.value
                ]
            )
            # What the visibility rule needs: category, journal status, type, access codes.
            assert document.category_code == origin.direction.value
            assert document.status_code == origin.status
            assert (document.type_code == "VEDTAK") == origin.is_decision
            assert document.access_code == (origin.access_code or "13")
            assert [f.recno for f in document.files] == [f.recno for f in origin.files]
            assert [f.access_code for f in document.files] == [f.access_code for f in origin.files]
            assert all(f.content_type == "application/pdf" for f in document.files)
    # One call per distinct case number: SIF takes a single CaseNumber per GetDocuments.
    assert stack.control.calls["GetDocuments"] == 3


async def test_documents_for_person_batches_all_cases_in_few_calls(stack: Stack) -> None:
    pid = stack.population.person(documented.MANY_CASES).pid
    grouped = await stack.client().documents_for_person(pid, page_size=200)
    cases = stack.population.cases_of(pid)
    assert {number: [d.recno for d in docs] for number, docs in grouped.items()} == {
        case.case_number: [d.recno for d in case.documents] for case in cases if case.documents
    }
    total = sum(len(case.documents) for case in cases)
    assert stack.control.calls["GetDocuments"] == -(-total // 200)


async def test_file_with_content_returns_the_pdf(stack: Stack) -> None:
    case = stack.population.cases_of(stack.population.person(documented.DECISION).pid)[0]
    listed = case.documents[0].files[0]
    file = await stack.client().file_with_content(listed.recno)
    assert file.recno == listed.recno
    assert file.document_recno == case.documents[0].recno
    assert file.document_number == case.documents[0].document_number
    assert file.content_type == "application/pdf"
    assert file.data.startswith(b"%PDF")
    loaded = stack.population.file_by_recno(listed.recno)
    assert loaded is not None and file.data == loaded.data


async def test_unknown_file_is_not_found(stack: Stack) -> None:
    with pytest.raises(NotFound) as caught:
        await stack.client().file_with_content(7)
    assert caught.value.system == "p360"
    assert caught.value.operation == "GetFileWithMetadata"


async def test_private_person(stack: Stack) -> None:
    person = stack.population.person(documented.HOMEOWNER)
    found = await stack.client().private_person(person.pid)
    assert found is not None
    assert found.personal_id_number == person.pid
    assert (found.first_name, found.last_name) == (person.given_name, person.family_name)
    assert person.pid not in repr(found)
    outsider = Population(seed=2026, size=1000).person(500).pid
    assert await stack.client().private_person(outsider) is None


async def test_ping(stack: Stack) -> None:
    await stack.client().ping()
    assert stack.control.calls["Ping"] == 1


# --- writes ---------------------------------------------------------------------------------


async def test_create_case_is_idempotent_and_visible(stack: Stack) -> None:
    pid = stack.population.person(documented.NOTHING).pid
    client = stack.client()
    first = await client.create_case(
        pid=pid, title="Søknad om startlån", idempotency_key="outbox-1", kind=CaseKind.APPLICATION
    )
    again = await client.create_case(
        pid=pid, title="Søknad om startlån", idempotency_key="outbox-1", kind=CaseKind.APPLICATION
    )
    assert again == first
    assert stack.control.calls["CreateCase"] == 1  # the retry found the case by its ExternalId
    cases = await client.cases_for_person(pid)
    assert [(c.recno, c.case_number) for c in cases] == [(first.recno, first.case_number)]
    assert cases[0].kind is CaseKind.APPLICATION
    assert cases[0].external_id == "outbox-1"
    other = await client.create_case(pid=pid, title="Søknad om skoleskyss", idempotency_key="k2")
    assert other.case_number != first.case_number


async def test_simulator_dedupes_a_create_case_retry_that_skipped_the_lookup(
    stack: Stack,
) -> None:
    # The lookup-before-create can race with a slow first attempt; the ExternalId still holds.
    pid = stack.population.person(documented.NOTHING).pid
    soap = stack.client()._services["CaseService"]
    auth = aiohttp.encode_basic_auth(USER, PASSWORD)
    parameter = {
        "Title": "Søknad",
        "ExternalId": {"Id": "race-1", "Type": "minside"},
        "Contacts": {"CaseContactParameter": [{"Role": "Sakspart", "ReferenceNumber": pid}]},
    }
    one = await soap.call(stack.session, auth, "CreateCase", parameter=parameter)
    two = await soap.call(stack.session, auth, "CreateCase", parameter=parameter)
    assert (one.Recno, one.CaseNumber) == (two.Recno, two.CaseNumber)
    assert len(stack.population.cases_of(pid)) == 1


async def test_create_case_for_unknown_person_is_not_found_without_the_pid(stack: Stack) -> None:
    outsider = Population(seed=2026, size=1000).person(500).pid
    with pytest.raises(NotFound) as caught:
        await stack.client().create_case(pid=outsider, title="Søknad", idempotency_key="k")
    assert outsider not in str(caught.value) and outsider not in repr(caught.value)


async def test_create_case_without_title_is_rejected(stack: Stack) -> None:
    pid = stack.population.person(documented.NOTHING).pid
    with pytest.raises(Rejected) as caught:
        await stack.client().create_case(pid=pid, title=" ", idempotency_key="k")
    assert caught.value.code == "ValidationException"


async def test_create_document_with_files(stack: Stack) -> None:
    pid = stack.population.person(documented.NOTHING).pid
    client = stack.client()
    case = await client.create_case(pid=pid, title="Søknad om startlån", idempotency_key="c1")
    pdf = b"%PDF-1.4 application form"
    created = await client.create_document(
        case_number=case.case_number,
        title="Søknad om startlån",
        files=[NewFile("Søknad om startlån", "pdf", pdf)],
        idempotency_key="d1",
        sender_pid=pid,
    )
    again = await client.create_document(
        case_number=case.case_number,
        title="Søknad om startlån",
        files=[NewFile("Søknad om startlån", "pdf", pdf)],
        idempotency_key="d1",
        sender_pid=pid,
    )
    assert again == created
    assert created.document_number == f"{case.case_number}-1"
    [documents] = await client.documents_for_cases([case.case_number])
    assert [d.recno for d in documents] == [created.recno]
    assert documents[0].direction is DocumentDirection.INCOMING
    assert documents[0].files[0].name == "Søknad om startlån.pdf"
    content = await client.file_with_content(documents[0].files[0].recno)
    assert content.data == pdf


async def test_create_document_streams_files_the_simulator_reads_back(stack: Stack) -> None:
    """Files around the base64 chunk size, streamed into the request (never one base64
    string), arrive whole: 360 gives each back byte for byte."""
    pid = stack.population.person(documented.NOTHING).pid
    client = stack.client()
    case = await client.create_case(pid=pid, title="Søknad om bostøtte", idempotency_key="c2")
    sizes = (1, BASE64_CHUNK, 2 * BASE64_CHUNK + 1, 3 * BASE64_CHUNK + 2)
    files = [
        NewFile(f"vedlegg {n} & <{size}>", "pdf", os.urandom(size)) for n, size in enumerate(sizes)
    ]
    await client.create_document(
        case_number=case.case_number,
        title="Søknad om bostøtte",
        files=files,
        idempotency_key="d2",
        sender_pid=pid,
    )
    [documents] = await client.documents_for_cases([case.case_number])
    [document] = documents
    assert [f.name for f in document.files] == [f"{file.title}.pdf" for file in files]
    for stored, sent in zip(document.files, files, strict=True):
        assert (await client.file_with_content(stored.recno)).data == sent.data


async def test_create_document_lets_go_of_its_files_when_the_call_fails(stack: Stack) -> None:
    """A failed call's envelope may stay referenced from the retry state's reference cycle
    until the cyclic collector runs; it must not hold the attachments meanwhile (issue 13:
    every retry kept another copy alive)."""
    sent: list[StreamedEnvelope] = []

    class Recording(P360Client):
        def create_document_request(self, **arguments: Any) -> StreamedEnvelope:
            request = super().create_document_request(**arguments)
            sent.append(request)
            return request

    client = stack.client()
    recording = Recording(
        client._session, stack.url + BASE_PATH, USER, PASSWORD, client._resilience
    )
    stack.control.set_fault("CreateDocument", Fault(outage=True))
    with pytest.raises(SystemUnavailable):
        await recording.create_document(
            case_number="2024/00001",
            title="Søknad",
            files=[NewFile("vedlegg", "pdf", os.urandom(1000))],
            idempotency_key="k",
        )
    [request] = sent
    with pytest.raises(RuntimeError, match="released"):
        bytes(request)


async def test_create_document_goes_out_with_its_length_and_headers() -> None:
    """On the wire: a Content-Length (not chunked), the SOAPAction and the credentials the
    other calls carry, and the envelope zeep would have sent."""
    seen: list[tuple[dict[str, str], bytes]] = []

    async def down(request: Request) -> Response:
        seen.append((dict(request.headers), await request.body()))
        return Response(status_code=503)

    app = Starlette(routes=[Route(f"{BASE_PATH}/DocumentService.svc", down, methods=["POST"])])
    arguments: dict[str, Any] = {
        "case_number": "2026/00042",
        "title": "Søknad",
        "files": [NewFile("vedlegg", "pdf", os.urandom(3 * BASE64_CHUNK + 1))],
        "idempotency_key": "k",
        "sender_pid": "01010112345",
    }
    async with (
        running_servers([ServerSpec("p360-down", app)]) as servers,
        aiohttp.ClientSession() as session,
    ):
        client = P360Client(
            session, servers[0].url + BASE_PATH, "u", "p", Resilience("p360", ResiliencePolicy())
        )
        with pytest.raises(SystemUnavailable):
            await client.create_document(**arguments)
        [(headers, body)] = seen
        assert "transfer-encoding" not in headers
        assert int(headers["content-length"]) == len(body)
        assert headers["content-type"] == "text/xml; charset=utf-8"
        assert headers["soapaction"].endswith('/CreateDocument"')
        assert headers["authorization"] == aiohttp.encode_basic_auth("u", "p")
        assert canonical(etree.fromstring(body)) == canonical(
            etree.fromstring(zeep_envelope(client, **arguments))
        )


async def test_create_document_on_unknown_case_is_not_found(stack: Stack) -> None:
    with pytest.raises(NotFound):
        await stack.client().create_document(
            case_number="1999/99999", title="Vedlegg", files=[], idempotency_key="x"
        )


# --- faults ---------------------------------------------------------------------------------


async def test_injected_latency_is_a_timeout(stack: Stack) -> None:
    stack.control.set_fault("GetCases", Fault(latency_ms=1500))
    pid = stack.population.person(documented.HOMEOWNER).pid
    with pytest.raises(SystemTimeout):
        await stack.client(ResiliencePolicy(deadline_s=0.2, retries=0)).cases_for_person(pid)


async def test_injected_error_is_a_remote_fault(stack: Stack) -> None:
    stack.control.set_fault("GetDocuments", Fault(error_rate=1.0))
    with pytest.raises(RemoteFault) as caught:
        await stack.client().documents_for_cases(["2024/00001"])
    assert caught.value.code is not None and caught.value.code.endswith("Server")
    assert not isinstance(caught.value, (Rejected, SystemUnavailable))


async def test_reads_are_retried_after_a_transient_outage(stack: Stack) -> None:
    stack.control.set_fault("GetPrivatePersons", Fault(outage=True))
    client = stack.client(ResiliencePolicy(retries=2, backoff_base_s=0.0, backoff_max_s=0.0))
    person = stack.population.person(documented.HOMEOWNER)
    with pytest.raises(SystemUnavailable):
        await client.private_person(person.pid)
    assert stack.control.calls["GetPrivatePersons"] == 3


async def test_writes_are_not_retried(stack: Stack) -> None:
    stack.control.set_fault("CreateDocument", Fault(outage=True))
    client = stack.client(ResiliencePolicy(retries=2, backoff_base_s=0.0, backoff_max_s=0.0))
    with pytest.raises(SystemUnavailable):
        await client.create_document(
            case_number="2024/00001", title="x", files=[], idempotency_key="k"
        )
    assert stack.control.calls["CreateDocument"] == 1


async def test_outage_opens_the_breaker_and_recovery_closes_it(stack: Stack) -> None:
    clock = FakeClock()
    policy = ResiliencePolicy(retries=0, breaker_failure_threshold=2, breaker_reset_s=10.0)
    client = stack.client(policy, clock=clock)
    pid = stack.population.person(documented.HOMEOWNER).pid
    stack.control.set_fault("*", Fault(outage=True))
    for _ in range(2):
        with pytest.raises(SystemUnavailable) as caught:
            await client.cases_for_person(pid)
        assert not isinstance(caught.value, CircuitOpen)
    with pytest.raises(CircuitOpen):
        await client.cases_for_person(pid)
    assert stack.control.calls["GetCases"] == 2  # the open breaker did not call

    stack.control.clear_faults()
    clock.now += 11  # past breaker_reset_s: the next call is the half-open probe
    cases = await client.cases_for_person(pid)
    assert len(cases) == len(stack.population.cases_of(pid))
    assert client._resilience.breaker_state == "closed"


async def test_wrong_password_is_unauthorized(stack: Stack) -> None:
    with pytest.raises(RemoteFault) as caught:
        await stack.client(password="wrong").ping()
    assert caught.value.code == "unauthorized"


# --- malformed replies ------------------------------------------------------------------------


async def _garbage(request: Request) -> Response:
    return Response(b"<s:Envelope xmlns:s='x'><unclosed>", media_type="text/xml")


async def _no_successful(request: Request) -> Response:
    body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<GetCasesResponse xmlns="http://software-innovation.com/SI.Data">'
        b"<GetCasesResult/></GetCasesResponse></s:Body></s:Envelope>"
    )
    return Response(body, media_type="text/xml")


async def _bad_base64(request: Request) -> Response:
    body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<GetFileWithMetadataResponse xmlns="http://software-innovation.com/SI.Data">'
        b"<GetFileWithMetadataResult><Successful>true</Successful><File>"
        b"<Base64Data>***</Base64Data><Recno>5</Recno></File>"
        b"</GetFileWithMetadataResult></GetFileWithMetadataResponse></s:Body></s:Envelope>"
    )
    return Response(body, media_type="text/xml")


async def test_malformed_replies(stack: Stack) -> None:
    app = Starlette(
        routes=[
            Route(f"{BASE_PATH}/CaseService.svc", _garbage, methods=["POST"]),
            Route(f"{BASE_PATH}/ContactService.svc", _no_successful, methods=["POST"]),
            Route(f"{BASE_PATH}/FileService.svc", _bad_base64, methods=["POST"]),
        ]
    )
    async with running_servers([ServerSpec("broken-p360", app)]) as servers:
        client = stack.client(url=servers[0].url)
        with pytest.raises(MalformedResponse):
            await client.cases_for_person("x")
        with pytest.raises(MalformedResponse):
            await client.file_with_content(5)


# --- the Successful=false mapping, as a unit ---------------------------------------------------


def _result(successful: bool | None, message: str | None, details: str | None) -> Any:
    return SimpleNamespace(Successful=successful, ErrorMessage=message, ErrorDetails=details)


@pytest.mark.parametrize(
    ("result", "write", "expected"),
    [
        (
            _result(False, "Case 2024/1 was not found", "SI.Data.ObjectNotFoundException"),
            False,
            NotFound,
        ),
        (_result(False, "Case 2024/1 was not found", "ObjectNotFoundException"), True, NotFound),
        (_result(False, "Title is required", "SI.Data.ValidationException: x"), True, Rejected),
        (_result(False, "Title is required", "ValidationException"), False, RemoteFault),
        (_result(False, "Deadlock", "SqlException"), True, RemoteFault),
        (_result(None, None, None), False, MalformedResponse),
        (None, False, MalformedResponse),
    ],
)
def test_raise_for_result(result: Any, write: bool, expected: type[ConnectorError]) -> None:
    with pytest.raises(expected) as caught:
        raise_for_result(result, "Op", write=write)
    assert type(caught.value) is expected
    assert caught.value.system == "p360"


def test_raise_for_result_passes_success_and_scrubs_pids() -> None:
    raise_for_result(_result(True, None, None), "Op", write=False)
    with pytest.raises(RemoteFault) as caught:
        raise_for_result(
            _result(False, "No contact 01018012345 or 010180 12345", "X"), "Op", write=False
        )
    assert "01018012345" not in str(caught.value)
    assert "12345" not in str(caught.value)
    assert scrub("a\n b") == "a b"
