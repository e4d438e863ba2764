"""The gateway over a real socket: GraphQL, GraphiQL, liveness and readiness."""

from __future__ import annotations

import io
import json

import aiohttp
import psycopg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app import build_app
from kernel.servers import ServerSpec, running_servers, start_server, stop_server
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES, system
from minside.stack import simulator_set
from schema.build import build_schema
from stores.outbox_postgres import SCHEMA_VERSION

QUERY = "{ externalServices { id name description url minimumLevelOfAssurance } }"


def dependency_app() -> Starlette:
    """Stands for a back-office system or issuer: answers every GET with 200."""

    async def anything(request: Request) -> PlainTextResponse:
        return PlainTextResponse("{}", media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", anything)])


@pytest.fixture
async def gateway():
    async with (
        running_servers([ServerSpec("gateway", build_app(Settings()))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        yield server.url, http


async def test_external_services_in_bokmal_by_default(gateway):
    url, http = gateway
    async with http.post(f"{url}/graphql", json={"query": QUERY}) as response:
        assert response.status == 200
        body = await response.json()
    assert "errors" not in body
    services = {s["id"]: s for s in body["data"]["externalServices"]}
    assert services["fastlege"]["name"] == "Min fastlege"
    assert services["fastlege"]["url"] == "https://www.helsenorge.no/fastlegen/"
    assert services["helsenorge-resepter"]["minimumLevelOfAssurance"] == "HIGH"
    assert services["skatt"]["description"] == "Skattemelding, skattekort og skatteoppgjør."


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("en-GB,en;q=0.9", "My prescriptions"), ("nn", "Mine resept"), ("sv", "Mine resepter")],
)
async def test_external_services_follow_accept_language(gateway, accept_language, expected):
    url, http = gateway
    headers = {"Accept-Language": accept_language}
    async with http.post(f"{url}/graphql", json={"query": QUERY}, headers=headers) as response:
        body = await response.json()
    names = {s["id"]: s["name"] for s in body["data"]["externalServices"]}
    assert names["helsenorge-resepter"] == expected


async def test_a_full_query_over_get_is_refused_by_default(gateway):
    # MINSIDE_GRAPHQL_GET_QUERIES=persisted: GET carries persisted queries' hashes only
    # (tests/graph/test_persisted_queries.py); `all` allows any query.
    url, http = gateway
    async with http.get(f"{url}/graphql", params={"query": "{ externalServices { id } }"}) as r:
        assert r.status == 405
        assert r.headers["Allow"] == "GET, POST"
        body = await r.json()
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_browser_gets_graphiql(gateway):
    url, http = gateway
    async with http.get(f"{url}/graphql", headers={"Accept": "text/html"}) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "graphiql" in (await response.text()).lower()


async def test_malformed_query_is_a_typed_error_without_trace(gateway):
    url, http = gateway
    async with http.post(f"{url}/graphql", json={"query": "{ externalServices { "}) as response:
        body = await response.json()
    assert body["data"] is None
    assert "Syntax Error" in body["errors"][0]["message"]
    assert "Traceback" not in str(body)


def test_depth_limit_is_enforced():
    # The schema is shallow so far; a limit of 0 shows the limiter is wired in.
    result = build_schema(max_depth=0).execute_sync("{ externalServices { id } }")
    assert result.errors
    assert "exceeds maximum operation depth of 0" in result.errors[0].message


async def test_unknown_field_is_refused(gateway):
    url, http = gateway
    async with http.post(f"{url}/graphql", json={"query": "{ nope }"}) as response:
        body = await response.json()
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]


async def test_healthz(gateway):
    url, http = gateway
    async with http.get(f"{url}/healthz") as response:
        assert response.status == 200
        assert (await response.json()) == {"status": "ok"}


async def test_readyz_reports_each_dependency_truthfully():
    """Real simulators and stand-in behind the gateway; then one system stops."""
    names = ["idporten", *SYSTEM_NAMES, "outbox"]
    base = Settings(readiness_timeout_s=2.0, system_retries=0)
    simulators = simulator_set(base, free_ports=True)
    async with aiohttp.ClientSession() as http:
        standin = await start_server(ServerSpec("idporten", dependency_app()))
        running = {
            name: await start_server(spec)
            for name, spec in zip(SYSTEM_NAMES, simulators.specs, strict=True)
        }
        try:
            settings = base.model_copy(update={"idporten_issuer": standin.url})
            for name, server in running.items():
                settings = settings.with_system(name, url=server.url + system(name).path)
            async with running_servers([ServerSpec("gateway", build_app(settings))]) as (gw,):
                async with http.get(f"{gw.url}/readyz") as response:
                    body = await response.json()
                    assert response.status == 200, body
                assert body["status"] == "ready"
                statuses = {k: v["status"] for k, v in body["dependencies"].items()}
                assert statuses == dict.fromkeys(names, "ok")

                await stop_server(running.pop("p360"))
                async with http.get(f"{gw.url}/readyz") as response:
                    assert response.status == 503
                    body = await response.json()
                assert body["status"] == "not ready"
                assert body["dependencies"]["p360"]["status"] == "unavailable"
                others = {k: v["status"] for k, v in body["dependencies"].items() if k != "p360"}
                assert others == dict.fromkeys([n for n in names if n != "p360"], "ok")
        finally:
            await stop_server(standin)
            for server in running.values():
                await stop_server(server)


async def test_mutations_are_refused_over_get(gateway):
    url, http = gateway
    mutation = "mutation { submitMeterReading(input: {}) { __typename } }"
    async with http.get(f"{url}/graphql", params={"query": mutation}) as response:
        text = await response.text()
        # GraphQL over HTTP: 405 for an operation GET may not carry; a typed JSON error. By
        # default not even a query may come in full over GET; a persisted mutation sent by
        # hash is refused as a mutation (tests/graph/test_persisted_queries.py).
        assert response.status == 405, text
        assert response.headers["Allow"] == "GET, POST"
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_an_oversized_json_request_is_413_before_parsing(gateway):
    url, http = gateway
    padding = "x" * (1_048_576 + 10)
    body = {"query": "{ externalServices { id } }", "variables": {"pad": padding}}
    data = io.BytesIO(json.dumps(body).encode())
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{url}/graphql", data=data, headers=headers) as response:
        assert response.status == 413
        answer = await response.json()
    assert answer["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_gateway_opens_its_outbox_on_postgresql_when_configured(database_url, tmp_path):
    unused_file = tmp_path / "unused.sqlite3"
    settings = Settings(
        database_url=database_url,
        outbox_url=f"sqlite:///{unused_file}",
        readiness_timeout_s=2.0,
        system_retries=0,
    )
    async with (
        aiohttp.ClientSession() as http,
        running_servers([ServerSpec("gateway", build_app(settings))]) as (gw,),
    ):
        async with http.get(f"{gw.url}/readyz") as response:
            body = await response.json()
        assert body["dependencies"]["outbox"]["status"] == "ok", body
    assert not unused_file.exists()
    with psycopg.connect(database_url) as db:
        (version,) = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    assert version == SCHEMA_VERSION
