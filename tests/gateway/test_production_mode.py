"""Production mode (``MINSIDE_MODE=production``, the default outside the demo): no GraphiQL and
no introspection unless switched on, an audience required of every bearer token (and of the
configuration), unexpected errors masked, and /readyz's details for internal callers only.

The rest of the suite runs in development mode (tests/environment.py); here each gateway is
built with the mode it tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from app import build_app
from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings, SettingsError
from kernel.systems import SYSTEM_NAMES
from schema.observe import INTERNAL_MESSAGE
from tests.auth.stack import Stack, gateway_stack, query_of

AUDIENCE = "https://minside.example.no/graphql"
LOOPBACK = "127.0.0.1"
INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Query") { name } }'
ASSET = "/graphiql-assets/graphiql@3.8.3/graphiql.min.js"


@pytest.fixture(scope="module")
async def production() -> AsyncIterator[Stack]:
    """The stand-in and a gateway in production mode (the default) with an audience."""
    async with gateway_stack(idporten_audience=AUDIENCE, mode="production") as stack:
        yield stack


async def post(stack: Stack, query: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with stack.http.post(stack.gateway_url + "/graphql", json={"query": query}) as r:
        return r.status, await r.json(), dict(r.headers)


def test_production_is_the_default_and_closes_the_development_tools():
    settings = Settings(_env_file=None, mode="production")  # what an unset MINSIDE_MODE gives
    assert Settings.model_fields["mode"].default == "production"
    assert not settings.graphiql_enabled and not settings.introspection_enabled
    assert settings.internal_callers == []
    development = Settings(mode="development")
    assert development.graphiql_enabled and development.introspection_enabled
    assert [str(n) for n in development.internal_callers] == ["127.0.0.0/8", "::1/128"]
    # Explicit switches win over the mode, both ways.
    assert Settings(mode="production", graphiql=True, introspection=True).graphiql_enabled
    assert not Settings(mode="development", introspection=False).introspection_enabled


def test_a_production_gateway_without_an_audience_is_refused():
    with pytest.raises(SettingsError, match="MINSIDE_IDPORTEN_AUDIENCE is required"):
        build_app(Settings(mode="production"))
    build_app(Settings(mode="development"))  # local work: tokens of the stand-in, no audience


async def test_graphiql_is_not_served_in_production(production: Stack):
    async with production.http.get(
        production.gateway_url + "/graphql", headers={"Accept": "text/html"}
    ) as response:
        # strawberry's answer to a browser asking for an IDE it does not have, typed.
        assert response.status == 404
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["errors"][0]["message"] == "Not Found"
    async with production.http.get(production.gateway_url + ASSET) as response:
        assert response.status == 404


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
async def test_introspection_is_a_typed_error_in_production(production: Stack, query: str):
    status, body, _ = await post(production, query)
    assert status == 200
    assert body["data"] is None  # refused in validation: nothing executed
    assert {e["extensions"]["code"] for e in body["errors"]} == {"INTROSPECTION_DISABLED"}
    # __typename is no introspection of the schema: clients (Apollo's cache) need it.
    status, body, _ = await post(production, "{ __typename }")
    assert body["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("mode", "switches", "served"),
    [
        ("production", {"graphiql": True, "introspection": True}, True),
        ("development", {"graphiql": False, "introspection": False}, False),
    ],
)
async def test_the_switches_override_the_mode(mode: str, switches: dict[str, bool], served: bool):
    settings = Settings(mode=mode, idporten_audience=AUDIENCE, **switches)
    async with (
        running_servers([ServerSpec("gateway", build_app(settings))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(server.url + "/graphql", headers={"Accept": "text/html"}) as page:
            assert (page.status == 200 and page.content_type == "text/html") is served
        async with http.get(server.url + ASSET) as asset:
            assert (asset.status == 200) is served
        async with http.post(server.url + "/graphql", json={"query": INTROSPECTION}) as r:
            body = await r.json()
        if served:
            assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        else:
            assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_a_bearer_token_must_carry_the_audience(production: Stack):
    status, _, body = await production.graphql(token=production.token(aud=None))
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, _, body = await production.graphql(token=production.token(aud="https://other"))
    assert status == 401
    status, _, body = await production.graphql(token=production.token())
    assert status == 200 and body["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}}


async def test_browser_login_asks_for_the_audience_and_its_session_works(production: Stack):
    urls = await production.browser_login()
    # The resource indicator (RFC 8707): ID-porten (the stand-in) puts it in the token's aud.
    assert query_of(urls["authorize"])["resource"] == AUDIENCE
    status, _, body = await production.graphql()
    assert status == 200 and body["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}}


@contextlib.asynccontextmanager
async def alone(**overrides: Any) -> AsyncIterator[tuple[Any, str, aiohttp.ClientSession]]:
    """A production gateway alone on a free port (its dependencies are not running)."""
    settings = Settings(mode="production", idporten_audience=AUDIENCE, **overrides)
    app = build_app(settings)
    async with (
        running_servers([ServerSpec("gateway", app)]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        yield app, server.url, http


async def test_an_unexpected_fault_is_masked_with_the_request_id():
    async with alone() as (app, url, http):
        # A fault of the gateway itself (no back-office failure): a broken shared service.
        state = app.state.gateway
        state.services = dataclasses.replace(state.services, external_services=None)
        query = {"query": "{ externalServices { id } }"}
        async with http.post(url + "/graphql", json=query) as response:
            assert response.status == 200
            body = await response.json()
            request_id = response.headers["X-Request-Id"]
    (error,) = body["errors"]
    assert error["message"] == INTERNAL_MESSAGE
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    text = json.dumps(body)
    assert "NoneType" not in text and "Traceback" not in text and "AttributeError" not in text


async def readyz(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url + "/readyz") as response:
        body = await response.json()
        assert response.status == (200 if body["status"] == "ready" else 503)
        return body


async def test_public_readyz_tells_only_the_status_in_production(production: Stack):
    # The test calls from loopback: production trusts no network unless configured.
    body = await readyz(production.http, production.gateway_url)
    assert body == {"status": body["status"]}


async def test_readyz_details_for_internal_networks_and_on_the_internal_port():
    metrics_port = free_port()
    async with alone(internal_networks=["10.0.0.0/8"], metrics_port=metrics_port) as (_, url, http):
        # Loopback is not in 10.0.0.0/8: the public answer stays bare.
        assert set(await readyz(http, url)) == {"status"}
        # The internal port (MINSIDE_METRICS_PORT) answers with each dependency.
        internal = await readyz(http, f"http://{LOOPBACK}:{metrics_port}")
        assert internal["status"] == "not ready"  # nothing behind this gateway runs
        assert internal["dependencies"]["idporten"]["status"] == "unavailable"
        assert {"idporten", "outbox", *SYSTEM_NAMES} == set(internal["dependencies"])
    async with alone(internal_networks=["127.0.0.0/8"]) as (_, url, http):
        body = await readyz(http, url)
        assert {"idporten", "outbox", *SYSTEM_NAMES} == set(body["dependencies"])
