"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) against a real
gateway: content negotiation on Accept, the status of request errors per media type, and
the Content-Type a POST body may have."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.graph.conftest import GraphClient
from tests.graph.test_defer import DEFERRED_DASHBOARD

GRAPHQL_RESPONSE = "application/graphql-response+json"
ANONYMOUS = "{ __typename }"
VIEWER = "query Who { viewer { name { fullName } } }"


async def post(
    graph: GraphClient,
    body: dict[str, Any],
    *,
    accept: str | None,
    pid: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, str, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    if pid is not None:
        headers["Authorization"] = f"Bearer {graph.stack.token(pid)}"
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        data=json.dumps(body).encode(),
        headers=headers,
        skip_auto_headers=["Accept"],
    ) as response:
        return response.status, response.headers["Content-Type"], json.loads(await response.read())


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.9", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
    ],
)
async def test_the_response_media_type_follows_accept(
    graph: GraphClient, accept: str | None, media: str
) -> None:
    status, content_type, body = await post(graph, {"query": ANONYMOUS}, accept=accept)
    assert status == 200
    assert content_type.split(";")[0].strip() == media
    assert "charset=utf-8" in content_type.replace(" ", "").lower() or media == "application/json"
    assert body == {
        "data": {"__typename": "Query"},
        "extensions": {"cost": {"requested": 0, "limit": 25_000}},
    }


async def test_an_unacceptable_accept_is_a_406_with_a_json_error(graph: GraphClient) -> None:
    status, content_type, body = await post(
        graph, {"query": VIEWER}, accept="text/xml", pid=graph.pid(1)
    )
    assert status == 406
    assert content_type.startswith("application/json")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    calls = await graph.calls("p360")
    assert not any(calls.values())


REQUEST_ERRORS = {
    "parse": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variable coercion": {
        "query": "query Q($id: ID!) { node(id: $id) { id } }",
        "variables": {"id": None},
    },
}


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_with_graphql_response_json(
    graph: GraphClient, kind: str
) -> None:
    status, content_type, body = await post(graph, REQUEST_ERRORS[kind], accept=GRAPHQL_RESPONSE)
    assert status == 400, body
    assert content_type.startswith(GRAPHQL_RESPONSE)
    assert "data" not in body
    assert body["errors"]


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_a_request_error_stays_200_with_application_json(
    graph: GraphClient, kind: str
) -> None:
    status, content_type, body = await post(graph, REQUEST_ERRORS[kind], accept="application/json")
    assert status == 200, body
    assert content_type.startswith("application/json")
    assert body["data"] is None
    assert body["errors"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_field_errors_stay_200_with_partial_data(graph: GraphClient, accept: str) -> None:
    # Anonymous: viewer fails (not logged in); __typename still resolves.
    status, _, body = await post(
        graph, {"query": "{ __typename viewer { name { fullName } } }"}, accept=accept
    )
    assert status == 200, body
    assert "data" in body
    assert body["errors"][0]["path"] == ["viewer"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/graphql"]
)
async def test_a_post_that_is_not_json_is_a_415(graph: GraphClient, content_type: str) -> None:
    status, ctype, body = await post(
        graph, {"query": ANONYMOUS}, accept="application/json", content_type=content_type
    )
    assert status == 415
    assert ctype.startswith("application/json")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.gateway(graphql_get_queries="all")  # full queries over GET, as configured
async def test_a_get_query_negotiates_and_a_get_mutation_is_refused(graph: GraphClient) -> None:
    url = f"{graph.stack.gateway_url}/graphql"
    async with graph.http.get(
        url, params={"query": ANONYMOUS}, headers={"Accept": GRAPHQL_RESPONSE}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith(GRAPHQL_RESPONSE)
    mutation = "mutation { submitMeterReading(input: {}) { __typename } }"
    async with graph.http.get(
        url, params={"query": mutation}, headers={"Accept": "application/json"}
    ) as response:
        assert response.status == 405
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_other_methods_are_a_coded_405_naming_the_allowed_ones(graph: GraphClient) -> None:
    url = f"{graph.stack.gateway_url}/graphql"
    for method in ("PUT", "DELETE", "PATCH"):
        async with graph.http.request(
            method, url, json={"query": ANONYMOUS}, headers={"Accept": GRAPHQL_RESPONSE}
        ) as response:
            assert response.status == 405
            assert response.headers["Allow"] == "GET, POST"
            assert response.headers["Content-Type"].startswith(GRAPHQL_RESPONSE)
            body = await response.json(content_type=None)
            assert body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_json_post_in_another_charset_is_a_415(graph: GraphClient) -> None:
    status, _, body = await post(
        graph,
        {"query": ANONYMOUS},
        accept="application/json",
        content_type="application/json; charset=iso-8859-1",
    )
    assert status == 415
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    status, _, body = await post(
        graph, {"query": ANONYMOUS}, accept=None, content_type="application/json; charset=UTF-8"
    )
    assert status == 200, body


async def test_defer_with_graphql_response_json_is_one_body_of_that_type(
    graph: GraphClient,
) -> None:
    status, content_type, body = await post(
        graph, {"query": DEFERRED_DASHBOARD}, accept=GRAPHQL_RESPONSE, pid=graph.pid(1)
    )
    assert status == 200, body
    assert content_type.startswith(GRAPHQL_RESPONSE)
    assert "properties" in body["data"]["viewer"]


async def test_defer_still_streams_when_multipart_is_accepted_beside_it(
    graph: GraphClient,
) -> None:
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": DEFERRED_DASHBOARD},
        headers={
            "Accept": f"multipart/mixed;deferSpec=20220824, {GRAPHQL_RESPONSE}",
            "Authorization": f"Bearer {graph.stack.token(graph.pid(1))}",
        },
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("multipart/mixed")
        assert "deferSpec=20220824" in response.headers["Content-Type"]
        assert b"properties" in await response.read()
