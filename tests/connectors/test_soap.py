"""SoapService against a real SOAP endpoint over loopback: replies, faults and transport failures.

The endpoint is the project's own simulators.soap.SoapEndpoint on the vendored Matrikkel
PersonServiceWS WSDL; a few raw Starlette routes play servers that misbehave in ways a WSDL-based
server never would (HTML error pages, broken XML).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.errors import (
    ConnectorError,
    MalformedResponse,
    RemoteFault,
    SystemUnavailable,
)
from connectors.soap import SoapFault, SoapService
from contracts import wsdl_dir
from kernel.servers import ServerSpec, free_port, running_servers
from simulators import soap as sim

WSDL_DIR = wsdl_dir("matrikkel")
WSDL = WSDL_DIR / "PersonServiceWS.wsdl"
DOMAIN = "{http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain}"
PERSON = "{http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain/person}"
EXCEPTION = "{http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/exception}"
AUTH = aiohttp.encode_basic_auth("minside", "secret")
PID = "01017012345"  # synthetic


class Hooks:
    """A minimal admin control: counts calls and returns a fixed verdict."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.verdict = "ok"

    def record(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    async def apply(self, operation: str) -> str:
        return self.verdict


def build_endpoint(hooks: Hooks) -> sim.SoapEndpoint:
    async def find_person_id_for_ident(personIdent: Any, matrikkelContext: Any) -> Any:
        if personIdent.fodselsnummer == PID:
            return {"return": {"value": 4711}}
        detail = endpoint.render(
            EXCEPTION + "ServiceException",
            {
                "category": ":ServiceException:ApplicationException:FinderException:",
                "stackTraceText": "",
                "exceptionDetail": {
                    "className": "no.statkart.FinderException",
                    "message": "not found",
                    "cause": None,
                    "stackTraceElements": {"item": []},
                },
            },
        )
        raise sim.SoapFault("Server", "Fant ikke person", detail)

    endpoint = sim.SoapEndpoint(
        WSDL,
        {"findPersonIdForIdent": find_person_id_for_ident},
        credentials=sim.BasicCredentials("minside", "secret"),
        hooks=hooks,
    )
    return endpoint


async def html_error(request: Request) -> Response:
    return Response("<html><body>Internal error</body>", status_code=500, media_type="text/html")


async def broken_xml(request: Request) -> Response:
    return Response(b"<S:Envelope xmlns:S='x'><unclosed>", media_type="text/xml")


async def wrong_shape(request: Request) -> Response:
    body = (
        b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
        b'<x:somethingElse xmlns:x="urn:x"/></S:Body></S:Envelope>'
    )
    return Response(body, media_type="text/xml")


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
async def base_url(hooks: Hooks) -> AsyncIterator[str]:
    endpoint = build_endpoint(hooks)
    app = Starlette(
        routes=[
            endpoint.route("/PersonServiceWS"),
            Route("/html", html_error, methods=["POST"]),
            Route("/broken", broken_xml, methods=["POST"]),
            Route("/shape", wrong_shape, methods=["POST"]),
        ]
    )
    async with running_servers([ServerSpec("soap", app)]) as servers:
        yield servers[0].url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def service(url: str) -> SoapService:
    return SoapService(WSDL, url, "matrikkel")


def call_args(svc: SoapService, pid: str = PID) -> dict[str, Any]:
    context = svc.type(DOMAIN + "MatrikkelContext")(
        locale="no_NO_B",
        brukOriginaleKoordinater=False,
        koordinatsystemKodeId={"value": 24},
        systemVersion="trunk",
        klientIdentifikasjon="minside",
    )
    ident = svc.type(PERSON + "FysiskPersonIdent")(fodselsnummer=pid)
    return {"personIdent": ident, "matrikkelContext": context}


async def test_call_returns_the_parsed_reply(base_url: str, session, hooks: Hooks) -> None:
    svc = service(base_url + "/PersonServiceWS")
    result = await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))
    assert result == 4711  # zeep unwraps the one-field PersonId
    assert hooks.calls == {"findPersonIdForIdent": 1}


async def test_soap_fault_carries_the_detail_element_name(base_url: str, session) -> None:
    svc = service(base_url + "/PersonServiceWS")
    with pytest.raises(SoapFault) as caught:
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc, "02028012345"))
    fault = caught.value
    assert isinstance(fault, RemoteFault)
    assert fault.code == "ServiceException"
    assert fault.fault_code == "S:Server"
    assert fault.detail is not None
    assert "FinderException" in etree.tostring(fault.detail).decode()
    assert fault.system == "matrikkel" and fault.operation == "findPersonIdForIdent"
    assert "02028012345" not in str(fault)


async def test_wrong_password_is_an_unauthorized_remote_fault(base_url: str, session) -> None:
    svc = service(base_url + "/PersonServiceWS")
    with pytest.raises(RemoteFault) as caught:
        wrong = aiohttp.encode_basic_auth("minside", "wrong")
        await svc.call(session, wrong, "findPersonIdForIdent", **call_args(svc))
    assert caught.value.code == "unauthorized"


async def test_outage_is_backend_unavailable(base_url: str, session, hooks: Hooks) -> None:
    hooks.verdict = "outage"
    svc = service(base_url + "/PersonServiceWS")
    with pytest.raises(SystemUnavailable):
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))


async def test_injected_error_is_a_soap_fault(base_url: str, session, hooks: Hooks) -> None:
    hooks.verdict = "error"
    svc = service(base_url + "/PersonServiceWS")
    with pytest.raises(SoapFault) as caught:
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))
    assert caught.value.code == "S:Server"


async def test_html_error_page_is_a_remote_fault(base_url: str, session) -> None:
    svc = service(base_url + "/html")
    with pytest.raises(RemoteFault) as caught:
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))
    assert caught.value.code == "http_500"


async def test_broken_xml_is_malformed(base_url: str, session) -> None:
    svc = service(base_url + "/broken")
    with pytest.raises(MalformedResponse):
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))


async def test_reply_of_the_wrong_shape_is_malformed(base_url: str, session) -> None:
    svc = service(base_url + "/shape")
    with pytest.raises(MalformedResponse):
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))


async def test_refused_connection_is_backend_unavailable(session) -> None:
    svc = service(f"http://127.0.0.1:{free_port()}/PersonServiceWS")
    with pytest.raises(SystemUnavailable):
        await svc.call(session, AUTH, "findPersonIdForIdent", **call_args(svc))


async def test_unknown_operation_and_bad_body_are_connector_errors(session) -> None:
    svc = service("http://127.0.0.1:9/PersonServiceWS")
    with pytest.raises(ConnectorError):
        await svc.call(session, AUTH, "noSuchOperation")
    with pytest.raises(ConnectorError):
        await svc.call(session, AUTH, "findPersonIdForIdent", notAField=1)


def test_soap_action_and_port_choice() -> None:
    svc = service("http://127.0.0.1:9/PersonServiceWS")
    assert svc.binding.get("findPersonIdForIdent").soapaction == ""
    with pytest.raises(ValueError):
        SoapService(WSDL, "http://127.0.0.1:9/", "matrikkel", port="NoSuchPort")
