"""Automatic persisted queries and trusted documents against a real gateway, in the exact wire
format of Apollo Client's persisted-queries link and urql's persistedExchange.

Both clients send ``extensions.persistedQuery = {"version": 1, "sha256Hash": …}`` without the
query first; on a ``PersistedQueryNotFound`` error (message and ``extensions.code``, HTTP 200)
they resend the query with the hash; later hash-only requests, by GET or POST, are answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from kernel.servers import running_servers
from kernel.settings import SettingsError
from minside.stack import RunningStack
from tests.graph.conftest import GraphClient, graph_settings, own_gateway
from tests.node_modules_path import node_modules
from tests.services import RedisNamespace

# As Apollo Client prints it (graphql-js print), and hashes exactly this text.
QUERY = "query Services {\n  externalServices {\n    id\n  }\n}"
TYPENAME = "query Kind($x: Boolean = true) {\n  __typename @include(if: $x)\n}"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
URQL_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)


def without_cost(body: Any) -> Any:
    """The body without the cost every executed operation reports (schema.cost)."""
    if isinstance(body, dict) and "extensions" in body:
        extensions = {k: v for k, v in body["extensions"].items() if k != "cost"}
        body = {k: v for k, v in body.items() if k != "extensions"}
        if extensions:
            body["extensions"] = extensions
    return body


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def post(
    graph: GraphClient, body: dict[str, Any], accept: str = APOLLO_ACCEPT, url: str | None = None
) -> tuple[int, str, dict[str, Any]]:
    async with graph.http.post(
        f"{url or graph.stack.gateway_url}/graphql",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Accept": accept},
    ) as response:
        return (
            response.status,
            response.headers["Content-Type"],
            await response.json(content_type=None),
        )


async def get(
    graph: GraphClient, params: dict[str, str], accept: str = APOLLO_ACCEPT, url: str | None = None
) -> tuple[int, str, dict[str, Any]]:
    async with graph.http.get(
        f"{url or graph.stack.gateway_url}/graphql", params=params, headers={"Accept": accept}
    ) as response:
        return (
            response.status,
            response.headers["Content-Type"],
            await response.json(content_type=None),
        )


def hash_only_get(text: str, name: str, variables: dict[str, Any]) -> dict[str, str]:
    """The query string both clients build for a hash-only GET (URL-encoded JSON values)."""
    return {
        "operationName": name,
        "variables": json.dumps(variables, separators=(",", ":")),
        "extensions": json.dumps(persisted(text), separators=(",", ":")),
    }


NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("*/*", "application/json"),  # Apollo Client 3's HttpLink
        (APOLLO_ACCEPT, "application/graphql-response+json"),  # newer Apollo Client
        ("application/json", "application/json"),
    ],
)
async def test_apollo_link_round_trip(graph: GraphClient, accept: str, media_type: str) -> None:
    # 1. Hash only, POST: not known yet; a GraphQL error both clients recognise, status 200.
    status, media, body = await post(
        graph,
        {"operationName": "Services", "variables": {}, "extensions": persisted(QUERY)},
        accept,
    )
    assert (status, body) == (200, NOT_FOUND)
    assert media.split(";")[0] == media_type
    # 2. The retry with the query and the hash: stored and executed.
    status, _, body = await post(
        graph,
        {
            "operationName": "Services",
            "variables": {},
            "extensions": persisted(QUERY),
            "query": QUERY,
        },
        accept,
    )
    assert status == 200
    assert body["data"]["externalServices"]
    # 3. Later hash-only requests, GET (useGETForHashedQueries) and POST.
    status, _, got = await get(graph, hash_only_get(QUERY, "Services", {}), accept)
    assert (status, got) == (200, body)
    status, _, posted = await post(
        graph,
        {"operationName": "Services", "variables": {}, "extensions": persisted(QUERY)},
        accept,
    )
    assert (status, posted) == (200, body)


async def test_urql_round_trip_with_get_for_persisted_queries(graph: GraphClient) -> None:
    # preferGetForPersistedQueries: the hash-only attempt is a GET, with variables.
    params = hash_only_get(TYPENAME, "Kind", {"x": True})
    status, _, body = await get(graph, params, URQL_ACCEPT)
    assert (status, body) == (200, NOT_FOUND)
    status, _, body = await post(
        graph,
        {
            "operationName": "Kind",
            "query": TYPENAME,
            "variables": {"x": True},
            "extensions": persisted(TYPENAME),
        },
        URQL_ACCEPT,
    )
    assert (status, without_cost(body)) == (200, {"data": {"__typename": "Query"}})
    status, _, body = await get(graph, params, URQL_ACCEPT)
    assert (status, without_cost(body)) == (200, {"data": {"__typename": "Query"}})


async def test_a_hash_that_does_not_match_the_query_is_refused(graph: GraphClient) -> None:
    status, _, body = await post(
        graph, {"query": QUERY, "extensions": persisted(TYPENAME)}, "application/json"
    )
    assert status == 400
    assert body["errors"][0]["message"] == "provided sha does not match query"
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # Nothing was stored under the wrong hash.
    status, _, body = await post(graph, {"extensions": persisted(TYPENAME)}, "application/json")
    assert (status, body) == (200, NOT_FOUND)


async def test_an_unsupported_version_is_refused(graph: GraphClient) -> None:
    extensions = {"persistedQuery": {"version": 2, "sha256Hash": sha(QUERY)}}
    status, _, body = await post(graph, {"query": QUERY, "extensions": extensions})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_a_get_with_a_full_query_and_no_hash_is_refused(graph: GraphClient) -> None:
    status, _, body = await get(graph, {"query": "{ __typename }"})
    assert status == 405
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


READING = {
    "input": {
        "meterId": "V2F0ZXJNZXRlcjox",
        "value": "1",
        "readOn": "2026-01-01",
        "idempotencyKey": "k-1",
    }
}


async def test_a_persisted_mutation_is_not_run_by_get(graph: GraphClient) -> None:
    mutation = (
        "mutation Read($input: SubmitMeterReadingInput!) {\n"
        "  submitMeterReading(input: $input) {\n    __typename\n  }\n}"
    )
    # Registered (it validates; anonymous, it is refused while executing).
    status, _, body = await post(
        graph, {"query": mutation, "extensions": persisted(mutation), "variables": READING}
    )
    assert status == 200, body  # stored: it validated (anonymous, it does not execute)
    status, _, body = await get(
        graph,
        {"extensions": json.dumps(persisted(mutation)), "variables": json.dumps(READING)},
    )
    assert status == 405
    assert body["errors"][0]["message"].startswith("only queries can be sent with GET")


@pytest.mark.gateway(graphql_get_queries="all")
async def test_get_queries_can_be_allowed(graph: GraphClient) -> None:
    status, _, body = await get(graph, {"query": "{ __typename }"})
    assert (status, without_cost(body)) == (200, {"data": {"__typename": "Query"}})


async def test_graphiql_is_still_served_by_get(graph: GraphClient) -> None:
    async with graph.http.get(
        f"{graph.stack.gateway_url}/graphql", headers={"Accept": "text/html"}
    ) as response:
        assert response.status == 200
        assert "graphiql" in (await response.text()).lower()


def manifest(tmp_path: Path, documents: dict[str, str]) -> Path:
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps(documents))
    return path


@pytest.mark.gateway(
    persisted_queries="trusted-only",
    trusted_documents_file=Path(__file__).parent / "trusted-documents.json",
)
async def test_trusted_only_runs_manifest_documents_and_refuses_others(graph: GraphClient) -> None:
    # By hash (GET and POST), and as a full query whose hash is in the manifest.
    status, _, body = await get(graph, hash_only_get(QUERY, "Services", {}))
    assert status == 200 and body["data"]["externalServices"]
    status, _, body = await post(graph, {"extensions": persisted(QUERY)})
    assert status == 200 and body["data"]["externalServices"]
    status, _, body = await post(graph, {"query": QUERY})
    assert status == 200 and body["data"]["externalServices"]
    # Anything else: refused, and APQ registration does not add it.
    for refused in (
        {"query": TYPENAME},
        {"extensions": persisted(TYPENAME)},
        {"query": TYPENAME, "extensions": persisted(TYPENAME)},
    ):
        status, _, body = await post(graph, refused)
        assert status == 400, refused
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    status, _, body = await post(graph, {"extensions": persisted(TYPENAME)})
    assert status == 400


@pytest.mark.parametrize(
    "documents",
    [{sha(QUERY): TYPENAME}, {sha("{"): "{"}, ["not an object"]],
)
def test_a_bad_manifest_stops_the_start(tmp_path: Path, documents: Any) -> None:
    from app import build_app
    from kernel.settings import Settings

    settings = Settings(
        persisted_queries="trusted-only",
        trusted_documents_file=manifest(tmp_path, documents),
        outbox_url=f"sqlite:///{tmp_path / 'o.sqlite3'}",
        secret_key=SecretStr("s" * 40),
    )
    with pytest.raises(SettingsError, match="MINSIDE_TRUSTED_DOCUMENTS_FILE"):
        build_app(settings)


async def test_redis_store_is_shared_by_two_gateways(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    back_office: RunningStack,
    redis_namespace: RedisNamespace,
) -> None:
    settings = {
        **graph_settings(tmp_path, request),
        "redis_url": SecretStr(redis_namespace.url),
        "redis_key_prefix": redis_namespace.prefix,
    }
    first, first_spec = await own_gateway(back_office, settings)
    second, second_spec = await own_gateway(back_office, settings)
    async with aiohttp.ClientSession() as http, running_servers([first_spec, second_spec]):
        graph = GraphClient(first, http)
        status, _, body = await post(graph, {"query": TYPENAME, "extensions": persisted(TYPENAME)})
        assert (status, without_cost(body)) == (200, {"data": {"__typename": "Query"}})
        # The other worker has it from Redis.
        status, _, body = await get(
            graph, hash_only_get(TYPENAME, "Kind", {}), url=second.gateway_url
        )
        assert (status, without_cost(body)) == (200, {"data": {"__typename": "Query"}})
        # A tampered value is a miss, not a different query.
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(redis_namespace.url)
        try:
            await client.set(f"{redis_namespace.prefix}apq:{sha(QUERY)}", TYPENAME)
        finally:
            await client.aclose()
        status, _, body = await post(
            graph, {"extensions": persisted(QUERY)}, url=second.gateway_url
        )
        assert (status, body) == (200, NOT_FOUND)


async def test_real_apollo_client_and_urql_round_trips(graph: GraphClient) -> None:
    """The clients themselves, from Node.js, when ``PERSISTED_CLIENTS_MODULES`` names a
    ``node_modules`` with them (``npm install @apollo/client@3 graphql@16 @urql/core
    @urql/exchange-persisted``); skipped otherwise."""
    found = node_modules("PERSISTED_CLIENTS_MODULES")
    node = shutil.which("node")
    if found is None or node is None or not (found / "@apollo" / "client").is_dir():
        pytest.skip(
            "needs Node.js and npm (make installs tests/node/package.json into .venv/node), "
            "or PERSISTED_CLIENTS_MODULES naming a node_modules with @apollo/client and urql"
        )
    modules = str(found)
    process = await asyncio.create_subprocess_exec(
        node,
        str(Path(__file__).with_name("persisted_clients.cjs")),
        f"{graph.stack.gateway_url}/graphql",
        env={**os.environ, "NODE_PATH": modules},
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    runs = {run["client"]: run for run in map(json.loads, stdout.decode().splitlines())}
    for name, run in runs.items():
        assert run["data"] == [{"__typename": "Query"}] * 2, name
        # Hash-only GET → PersistedQueryNotFound → the query with its hash → stored; the
        # second run is one hash-only GET.
        requests = run["requests"]
        assert requests[0] == {"method": "GET", "carriesQuery": False, "status": 200}, name
        assert requests[1]["carriesQuery"] and requests[1]["status"] == 200, name
        assert requests[2:] == [{"method": "GET", "carriesQuery": False, "status": 200}], name
    assert set(runs) == {"apollo", "urql"}


async def test_a_query_that_fails_validation_is_not_stored(graph: GraphClient) -> None:
    invalid = "query Bad {\n  noSuchField\n}"
    status, _, body = await post(
        graph, {"query": invalid, "extensions": persisted(invalid)}, "application/json"
    )
    assert status == 200 and body["errors"]
    status, _, body = await post(graph, {"extensions": persisted(invalid)}, "application/json")
    assert (status, body) == (200, NOT_FOUND)


# Relay's persisted output (relay-compiler persistConfig with a local file, MD5 by default) and
# the GraphQL-over-HTTP persisted documents proposal (documentId "sha256:<hex>").
RELAY_QUERY = "query ServicesRelay {\n  externalServices {\n    id\n  }\n}"
KIND_QUERY = "query KindRelay($x: Boolean!) {\n  __typename @include(if: $x)\n}"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def relay_manifest(tmp_path: Path) -> Path:
    return manifest(tmp_path, {md5(RELAY_QUERY): RELAY_QUERY, md5(KIND_QUERY): KIND_QUERY})


async def trusted_gateway(
    request: pytest.FixtureRequest, tmp_path: Path, back_office: RunningStack, documents: Path
) -> tuple[RunningStack, Any]:
    return await own_gateway(
        back_office,
        {
            **graph_settings(tmp_path, request),
            "persisted_queries": "trusted-only",
            "trusted_documents_file": documents,
        },
    )


async def test_relay_doc_id_and_document_id_by_post_and_get(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    back_office: RunningStack,
    relay_manifest: Path,
) -> None:
    stack, spec = await trusted_gateway(request, tmp_path, back_office, relay_manifest)
    async with aiohttp.ClientSession() as http, running_servers([spec]):
        graph = GraphClient(stack, http)
        kind = {"data": {"__typename": "Query"}}
        # Relay's network layer: {"doc_id": <md5>, "variables": …} in a POST body.
        status, _, body = await post(
            graph, {"doc_id": md5(KIND_QUERY), "variables": {"x": True}}, "application/json"
        )
        assert (status, without_cost(body)) == (200, kind)
        status, _, body = await post(graph, {"doc_id": md5(RELAY_QUERY)})
        assert status == 200 and body["data"]["externalServices"]
        # The same as GET parameters (Accept */*: an API call, not GraphiQL).
        status, _, body = await get(
            graph, {"doc_id": md5(KIND_QUERY), "variables": '{"x":true}'}, "*/*"
        )
        assert (status, without_cost(body)) == (200, kind)
        # documentId: "sha256:<hex>" (the proposal's form), also for a manifest keyed by MD5,
        # "md5:<hex>", and the bare manifest key.
        for document_id in (f"sha256:{sha(KIND_QUERY)}", f"md5:{md5(KIND_QUERY)}", md5(KIND_QUERY)):
            status, _, body = await post(
                graph, {"documentId": document_id, "variables": {"x": True}}
            )
            assert (status, without_cost(body)) == (200, kind), document_id
            status, _, body = await get(
                graph, {"documentId": document_id, "variables": '{"x":true}'}
            )
            assert (status, without_cost(body)) == (200, kind), document_id
        # APQ hashes and full queries of the manifest's documents run too.
        status, _, body = await post(
            graph, {"extensions": persisted(KIND_QUERY), "variables": {"x": True}}
        )
        assert (status, without_cost(body)) == (200, kind)
        # Ids not in the manifest, and ids that are no strings, are refused.
        for refused, code in (
            ({"doc_id": md5(TYPENAME)}, "PERSISTED_QUERY_NOT_ALLOWED"),
            ({"documentId": f"sha256:{sha(TYPENAME)}"}, "PERSISTED_QUERY_NOT_ALLOWED"),
            ({"documentId": sha(RELAY_QUERY)}, "PERSISTED_QUERY_NOT_ALLOWED"),  # not a key
            ({"doc_id": 1}, "BAD_REQUEST"),
            ({"doc_id": ""}, "BAD_REQUEST"),
            ({"doc_id": md5(KIND_QUERY), "documentId": md5(KIND_QUERY)}, "BAD_REQUEST"),
        ):
            status, _, body = await post(graph, refused)
            assert status == 400, refused
            assert body["errors"][0]["extensions"]["code"] == code, (refused, body)
        status, _, body = await get(graph, {"doc_id": md5(TYPENAME)})
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_a_document_id_without_trusted_documents_is_not_supported(
    graph: GraphClient,
) -> None:
    for params in ({"doc_id": md5(QUERY)}, {"documentId": f"sha256:{sha(QUERY)}"}):
        status, _, body = await post(graph, params)
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        status, _, body = await get(graph, params, "*/*")
        assert status == 400, body
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (md5(QUERY), QUERY),
        (sha1(QUERY), QUERY),
        (sha(QUERY), QUERY),
        (f"sha256:{sha(QUERY)}", QUERY),
        (f"md5:{md5(QUERY)}", QUERY),
    ],
)
def test_manifest_keys_of_each_hash_are_loaded(tmp_path: Path, key: str, text: str) -> None:
    from gateway.persisted_queries import load_trusted_documents

    documents = load_trusted_documents(manifest(tmp_path, {key: text}))
    assert documents.by_id[key] == text
    assert documents.by_id[f"sha256:{sha(text)}"] == text
    assert sha(text) in documents


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ({md5(QUERY): TYPENAME}, "not the query's MD5"),  # Relay's file, a tampered entry
        ({sha1(QUERY): TYPENAME}, "not the query's SHA1"),
        ({f"sha256:{md5(QUERY)}": QUERY}, "not the query's SHA256"),
        ({md5(QUERY)[:30]: QUERY}, "MD5, SHA-1 or SHA-256 hex"),
        ({md5("{"): "{"}, "not a GraphQL document"),
    ],
)
def test_a_bad_relay_manifest_stops_the_start_with_a_message(
    tmp_path: Path, documents: dict[str, str], message: str
) -> None:
    from app import build_app
    from kernel.settings import Settings

    settings = Settings(
        persisted_queries="trusted-only",
        trusted_documents_file=manifest(tmp_path, documents),
        outbox_url=f"sqlite:///{tmp_path / 'o.sqlite3'}",
        secret_key=SecretStr("s" * 40),
    )
    with pytest.raises(SettingsError, match=message):
        build_app(settings)
