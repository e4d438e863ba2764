"""Every connector, SOAP or JSON, opens the same way and answers ``ping``: the Connector base."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from connectors.base import Connector, ConnectorFactory
from connectors.errors import MalformedResponse, SystemUnavailable
from connectors.fees import FeesClient
from connectors.json_connector import JsonConnector
from connectors.matrikkel import MatrikkelClient
from connectors.p360 import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap_connector import SoapConnector
from connectors.visma import VismaClient

FACTORIES: dict[str, ConnectorFactory] = {
    "matrikkel": MatrikkelClient,
    "fees": FeesClient,
    "p360": P360Client,
    "visma": VismaClient,
}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _open(factory: ConnectorFactory, session: aiohttp.ClientSession, system: str) -> Connector:
    # Port 9 (discard): opening a connector makes no remote call.
    resilience = Resilience(system, ResiliencePolicy())
    return factory(session, "http://127.0.0.1:9/api", "minside", "secret", resilience)


@pytest.mark.parametrize("system", sorted(FACTORIES))
async def test_every_client_is_a_connector_named_after_its_system(
    system: str, session: aiohttp.ClientSession
) -> None:
    connector = _open(FACTORIES[system], session, system)
    assert isinstance(connector, Connector)
    assert connector.system == system


def test_each_family_has_one_base() -> None:
    assert issubclass(MatrikkelClient, SoapConnector)
    assert issubclass(P360Client, SoapConnector)
    assert issubclass(FeesClient, JsonConnector)
    assert issubclass(VismaClient, JsonConnector)


async def test_soap_endpoints_are_spelled_per_system(session: aiohttp.ClientSession) -> None:
    matrikkel = _open(MatrikkelClient, session, "matrikkel")
    p360 = _open(P360Client, session, "p360")
    assert isinstance(matrikkel, MatrikkelClient) and isinstance(p360, P360Client)
    endpoints = {name: s.endpoint for name, s in matrikkel._services.items()}
    assert endpoints["StoreServiceWS"] == "http://127.0.0.1:9/api/StoreServiceWS"
    assert p360._services["CaseService"].endpoint == "http://127.0.0.1:9/api/CaseService.svc"
    assert {s.system for s in p360._services.values()} == {"p360"}


@pytest.mark.parametrize("client", [FeesClient, VismaClient])
async def test_json_batch_size_must_be_positive(
    client: type[JsonConnector], session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ValueError):
        client(session, "http://127.0.0.1:9", "u", "p", Resilience("x", ResiliencePolicy()), 0)


class CountingService:
    """Stands in for a SoapService: counts calls and answers with a fixed reply or error."""

    def __init__(self, reply: Any = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.reply = reply
        self.error = error

    async def call(
        self, session: aiohttp.ClientSession, auth: str, operation: str, **body: Any
    ) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.reply


def _p360(session: aiohttp.ClientSession, service: CountingService) -> P360Client:
    async def no_wait(_seconds: float) -> None:
        return None

    resilience = Resilience("p360", ResiliencePolicy(retries=2), sleep=no_wait)
    client = P360Client(session, "http://127.0.0.1:9/SIF", "u", "p", resilience)
    client._services["CaseService"] = service  # type: ignore[assignment]
    return client


@pytest.mark.parametrize("bad", [IndexError, KeyError, AttributeError, TypeError, ValueError])
async def test_soap_reply_of_an_unexpected_shape_is_malformed(
    bad: type[Exception], session: aiohttp.ClientSession
) -> None:
    def parse(_result: Any) -> None:
        raise bad("reply[0] for 01017012345")

    client = _p360(session, CountingService(reply=[]))
    with pytest.raises(MalformedResponse) as caught:
        await client._call("CaseService", "GetCases", idempotent=True, parse=parse)
    assert (caught.value.system, caught.value.operation) == ("p360", "GetCases")
    assert "01017012345" not in str(caught.value)


@pytest.mark.parametrize(("idempotent", "calls"), [(True, 3), (False, 1)])
async def test_soap_reads_are_retried_and_writes_sent_once(
    idempotent: bool, calls: int, session: aiohttp.ClientSession
) -> None:
    service = CountingService(error=SystemUnavailable("HTTP 503", system="p360"))
    client = _p360(session, service)
    with pytest.raises(SystemUnavailable):
        await client._call("CaseService", "CreateCase", idempotent=idempotent, parse=lambda r: r)
    assert service.calls == calls
