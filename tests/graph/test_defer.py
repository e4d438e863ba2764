"""@defer over real HTTP: the fast fields first, the Matrikkel chain in a later part.

The order of the parts and what each holds are asserted, never how long anything took.
"""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp

from tests.graph.conftest import GraphClient

APOLLO_ACCEPT = "multipart/mixed;deferSpec=20220824, application/json"

# The dashboard with the Matrikkel-dependent part (properties, and the sources, which wait
# for every call of the request) deferred.
DEFERRED_DASHBOARD = """
query Dashboard {
  viewer {
    name { fullName }
    cases(first: 5) { totalCount nodes { caseNumber title } }
    invoices(first: 5, filter: { unpaidOnly: true }) { totalCount nodes { invoiceNumber } }
    ... @defer(label: "properties") {
      properties(first: 10) {
        totalCount
        nodes { matrikkelnummer { text } address { text } feeBasis { total { amount } } }
      }
      sources { source status }
    }
  }
  externalServices { name }
}
"""


async def post(
    graph: GraphClient, query: str, *, accept: str | None, pid: str | None
) -> tuple[aiohttp.ClientResponse, list[dict[str, Any]]]:
    """The response and its JSON payloads in arrival order (one for application/json)."""
    headers = {"Accept": accept} if accept else {}
    if pid is not None:
        headers["Authorization"] = f"Bearer {graph.stack.token(pid)}"
    headers["Content-Type"] = "application/json"
    # A file-like body: aiohttp warns (an error here) about large bytes bodies.
    body = io.BytesIO(json.dumps({"query": query}).encode())
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql", data=body, headers=headers
    ) as response:
        if not response.headers["Content-Type"].startswith("multipart/mixed"):
            return response, [await response.json()]
        parts = []
        reader = aiohttp.MultipartReader.from_response(response)
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            assert part.headers["Content-Type"].startswith("application/json")
            parts.append(await part.json())
        return response, parts


async def test_first_part_has_the_fast_fields_and_a_later_part_the_properties(
    graph: GraphClient,
) -> None:
    await graph.fault("matrikkel", operation="*", latency_ms=300)
    response, parts = await post(graph, DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=graph.pid(1))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("multipart/mixed")
    assert "deferSpec=20220824" in response.headers["Content-Type"]

    first, *later = parts
    assert "errors" not in first, first
    assert first["hasNext"] is True
    viewer = first["data"]["viewer"]
    assert viewer["name"] == {"fullName": "Tuva Karlsen"}
    assert viewer["cases"]["totalCount"] == 3
    assert viewer["invoices"]["totalCount"] >= 1
    assert "properties" not in viewer and "sources" not in viewer
    assert first["data"]["externalServices"]
    assert [p["label"] for p in first["pending"]] == ["properties"]

    assert later and later[-1]["hasNext"] is False
    (deferred,) = [entry for part in later for entry in part.get("incremental", ())]
    assert deferred["path"] == ["viewer"]
    assert deferred["label"] == "properties"
    assert "errors" not in deferred
    properties = deferred["data"]["properties"]
    assert properties["totalCount"] == 1
    assert properties["nodes"][0]["matrikkelnummer"]["text"] == "3030-1/101/0/0"
    assert properties["nodes"][0]["feeBasis"]["total"]["amount"]
    statuses = {s["source"]: s["status"] for s in deferred["data"]["sources"]}
    assert statuses == {"MATRIKKEL": "OK", "FEES": "OK", "P360": "OK", "VISMA": "OK"}


async def test_a_deferred_system_that_is_down_fails_in_its_own_part(graph: GraphClient) -> None:
    await graph.fault("matrikkel", operation="*", outage=True)
    _, parts = await post(graph, DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=graph.pid(1))

    first, *later = parts
    assert "errors" not in first, first  # complete: nothing of Matrikkel's is in it
    viewer = first["data"]["viewer"]
    assert viewer["name"]["fullName"] == "Tuva Karlsen"
    assert viewer["cases"]["totalCount"] == 3

    (deferred,) = [entry for part in later for entry in part.get("incremental", ())]
    assert deferred["data"]["properties"] is None
    (error,) = deferred["errors"]
    assert error["path"] == ["viewer", "properties"]
    assert error["extensions"]["code"] == "SOURCE_UNAVAILABLE"
    assert error["extensions"]["source"] == "MATRIKKEL"
    statuses = {s["source"]: s["status"] for s in deferred["data"]["sources"]}
    assert statuses["MATRIKKEL"] == "UNAVAILABLE"
    assert statuses["P360"] == "OK"


async def test_without_defer_the_answer_is_plain_json_as_before(graph: GraphClient) -> None:
    query = DEFERRED_DASHBOARD.replace('... @defer(label: "properties") {', "... {")
    response, (result,) = await post(graph, query, accept=APOLLO_ACCEPT, pid=graph.pid(1))
    assert response.headers["Content-Type"] == "application/json"
    assert "hasNext" not in result and "errors" not in result
    assert result["data"]["viewer"]["properties"]["totalCount"] == 1


async def test_a_client_that_did_not_ask_for_multipart_gets_one_merged_json_body(
    graph: GraphClient,
) -> None:
    deferred_response, (merged,) = await post(
        graph, DEFERRED_DASHBOARD, accept="*/*", pid=graph.pid(1)
    )
    assert deferred_response.headers["Content-Type"] == "application/json"
    plain = DEFERRED_DASHBOARD.replace('... @defer(label: "properties") {', "... {")
    _, (expected,) = await post(graph, plain, accept="application/json", pid=graph.pid(1))
    # The cost is reported with the plain operation (the merged parts carry no extensions).
    assert expected.pop("extensions")["cost"]["requested"] > 0
    assert merged == expected


async def test_the_merged_body_keeps_a_deferred_fragments_errors(graph: GraphClient) -> None:
    await graph.fault("matrikkel", operation="*", outage=True)
    _, (merged,) = await post(graph, DEFERRED_DASHBOARD, accept=None, pid=graph.pid(1))
    assert merged["data"]["viewer"]["properties"] is None
    assert merged["data"]["viewer"]["cases"]["totalCount"] == 3
    (error,) = merged["errors"]
    assert error["extensions"]["code"] == "SOURCE_UNAVAILABLE"


async def test_a_deferred_query_is_still_refused_without_a_viewer(graph: GraphClient) -> None:
    # Anonymous requests pass the gate (externalServices is public); `viewer` refuses them,
    # before any deferred fragment under it starts.
    response, (body,) = await post(graph, DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=None)
    assert response.headers["Content-Type"] == "application/json"
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not any((await graph.calls("matrikkel")).values())


async def test_a_deferred_query_with_a_forged_token_is_refused_at_the_gate(
    graph: GraphClient,
) -> None:
    headers = {"Accept": APOLLO_ACCEPT, "Authorization": "Bearer forged.token.value"}
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": DEFERRED_DASHBOARD},
        headers=headers,
    ) as response:
        assert response.status == 401
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_deferred_query_is_still_held_to_the_size_limit(graph: GraphClient) -> None:
    padding = "#" + "x" * graph.stack.settings.graphql_max_body_bytes + "\n"
    response, (body,) = await post(
        graph, padding + DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=graph.pid(1)
    )
    assert response.status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_fragment_deferred_above_its_fields_gets_their_full_path(
    graph: GraphClient,
) -> None:
    # graphql-core delivers `properties` for the fragment at [] with subPath ["viewer"];
    # a 2022-08-24 client merges at `path` only, so it must be the whole path.
    query = """
    query {
      viewer { name { fullName } }
      ... @defer { viewer { properties(first: 1) { totalCount } } }
    }
    """
    _, parts = await post(graph, query, accept=APOLLO_ACCEPT, pid=graph.pid(1))
    first, *later = parts
    assert first["data"] == {"viewer": {"name": {"fullName": "Tuva Karlsen"}}}
    (deferred,) = [entry for part in later for entry in part.get("incremental", ())]
    assert deferred["path"] == ["viewer"]
    assert deferred["data"] == {"properties": {"totalCount": 1}}

    _, (merged,) = await post(graph, query, accept=None, pid=graph.pid(1))
    assert merged["data"]["viewer"] == {
        "name": {"fullName": "Tuva Karlsen"},
        "properties": {"totalCount": 1},
    }


async def test_streamed_cases_arrive_after_the_first_ones_with_their_index(
    graph: GraphClient,
) -> None:
    streamed = (
        "query { viewer { cases(first: 3) { nodes @stream(initialCount: 1) { caseNumber } } } }"
    )
    _, parts = await post(graph, streamed, accept=APOLLO_ACCEPT, pid=graph.pid(1))
    first, *later = parts
    (initial_case,) = first["data"]["viewer"]["cases"]["nodes"]
    entries = [entry for part in later for entry in part.get("incremental", ())]
    indexed = [(entry["path"][-1], item) for entry in entries for item in entry["items"]]
    assert [index for index, _ in indexed][:1] == [1]
    assert entries[0]["path"][:-1] == ["viewer", "cases", "nodes"]

    _, (plain,) = await post(
        graph, streamed.replace(" @stream(initialCount: 1)", ""), accept=None, pid=graph.pid(1)
    )
    _, (merged,) = await post(graph, streamed, accept=None, pid=graph.pid(1))
    assert plain.pop("extensions")["cost"]["requested"] > 0
    assert merged == plain
    assert plain["data"]["viewer"]["cases"]["nodes"][0] == initial_case
    assert len(plain["data"]["viewer"]["cases"]["nodes"]) == 1 + len(indexed) == 3
