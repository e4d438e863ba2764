"""simulators.soap.SoapEndpoint over loopback: description serving, dispatch, faults, hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from lxml import etree
from starlette.applications import Starlette

from contracts import wsdl_dir
from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, SimulatorControl
from simulators.population import Population
from simulators.soap import BasicCredentials, SoapEndpoint

WSDL_DIR = wsdl_dir("matrikkel")
WSDL = WSDL_DIR / "PersonServiceWS.wsdl"
AUTH = {"Authorization": aiohttp.encode_basic_auth("u", "p")}
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSD = "{http://www.w3.org/2001/XMLSchema}"
REQUEST = (
    b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
    b'<p:findPersonIdForIdent xmlns:p="http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/service/person"'
    b' xmlns:d="http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain/person"'
    b' xmlns:b="http://matrikkel.statkart.no/matrikkelapi/wsapi/v1/domain"'
    b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    b'<p:personIdent xsi:type="d:FysiskPersonIdent"><d:fodselsnummer>x</d:fodselsnummer>'
    b"</p:personIdent><p:matrikkelContext><b:locale>no</b:locale>"
    b"<b:brukOriginaleKoordinater>false</b:brukOriginaleKoordinater>"
    b"<b:koordinatsystemKodeId><b:value>10</b:value></b:koordinatsystemKodeId>"
    b"<b:systemVersion>t</b:systemVersion><b:klientIdentifikasjon>t</b:klientIdentifikasjon>"
    b"</p:matrikkelContext></p:findPersonIdForIdent></S:Body></S:Envelope>"
)


@pytest.fixture
def control() -> SimulatorControl:
    return SimulatorControl("test", Population(size=10))


@pytest.fixture
async def url(control: SimulatorControl) -> AsyncIterator[str]:
    async def handler(personIdent: Any, matrikkelContext: Any) -> Any:
        assert personIdent.fodselsnummer == "x"
        return {"return": {"value": 7}}

    endpoint = SoapEndpoint(
        WSDL,
        {"findPersonIdForIdent": handler},
        credentials=BasicCredentials("u", "p"),
        hooks=control,
    )
    app = Starlette(routes=[endpoint.route("/ws/PersonServiceWS")])
    async with running_servers([ServerSpec("soap", app)]) as servers:
        yield servers[0].url + "/ws/PersonServiceWS"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=AUTH) as client_session:
        yield client_session


async def test_wsdl_points_at_the_request_url_and_its_schemas(url: str, session) -> None:
    async with session.get(url + "?wsdl") as resp:
        assert resp.status == 200
        root = etree.fromstring(await resp.read())
    addresses = [n.get("location") for n in root.iter("{*}address")]
    assert addresses == [url]
    locations = [n.get("schemaLocation") for n in root.iter(XSD + "import")]
    assert locations and all(loc.startswith(url + "?xsd=") for loc in locations)
    async with session.get(locations[0]) as resp:
        assert resp.status == 200
        schema = etree.fromstring(await resp.read())
    assert schema.tag == XSD + "schema"
    assert all(
        n.get("schemaLocation").startswith(url + "?xsd=") for n in schema.iter(XSD + "import")
    )


async def test_only_vendored_schemas_are_served(url: str, session) -> None:
    for name in ("../../../etc/passwd", "nope.xsd", "PersonServiceWS.wsdl"):
        async with session.get(url, params={"xsd": name}) as resp:
            assert resp.status == 404


async def test_call_is_dispatched_and_counted(url: str, session, control) -> None:
    async with session.post(url, data=REQUEST, headers={"Content-Type": "text/xml"}) as resp:
        assert resp.status == 200
        body = etree.fromstring(await resp.read())
    assert body.findtext(".//{*}value") == "7"
    assert control.calls["findPersonIdForIdent"] == 1


async def test_bad_requests_are_client_faults(url: str, session) -> None:
    for payload in (
        b"not xml",
        b"<S:Envelope xmlns:S='%s'/>" % SOAP_ENV.encode(),
        REQUEST.replace(b"findPersonIdForIdent", b"noSuchOperation"),
    ):
        async with session.post(url, data=payload) as resp:
            assert resp.status == 500
            root = etree.fromstring(await resp.read())
        assert root.findtext(f".//{{{SOAP_ENV}}}Fault/faultcode") == "S:Client"


async def test_injected_faults(url: str, session, control) -> None:
    control.set_fault("*", Fault(outage=True))
    async with session.post(url, data=REQUEST) as resp:
        assert resp.status == 503
        assert await resp.read() == b""
    control.set_fault("*", Fault(error_rate=1.0))
    async with session.post(url, data=REQUEST) as resp:
        assert resp.status == 500
        assert b"Fault" in await resp.read()
    control.set_fault("*", Fault(slow_body_ms=50))
    async with session.post(url, data=REQUEST) as resp:
        assert resp.status == 200
        assert etree.fromstring(await resp.read()).findtext(".//{*}value") == "7"


async def test_wrong_credentials_get_a_challenge(url: str) -> None:
    headers = {"Authorization": aiohttp.encode_basic_auth("u", "wrong")}
    async with (
        aiohttp.ClientSession(headers=headers) as other,
        other.post(url, data=REQUEST) as resp,
    ):
        assert resp.status == 401
        assert "Basic" in resp.headers["WWW-Authenticate"]


def test_handlers_must_exist_in_the_wsdl() -> None:
    async def handler() -> None:
        return None

    with pytest.raises(ValueError):
        SoapEndpoint(WSDL, {"notAnOperation": handler}, credentials=BasicCredentials("u", "p"))
