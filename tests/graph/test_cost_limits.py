"""The static cost limits over the real stack: an operation over a limit is refused before it
executes (no back-office call), as a request error; an executed one reports its cost."""

from __future__ import annotations

import pytest

from kernel.systems import SYSTEM_NAMES
from simulators.population import documented
from tests.graph.conftest import GraphClient
from tests.graph.test_dashboard import DASHBOARD
from tests.graph.test_graphql_over_http import GRAPHQL_RESPONSE, post

# The issue's amplification: 100 aliases (7 KB) once produced 9.5 MB in 7–8 s.
ATTACK = (
    "{ viewer { "
    + " ".join(
        f"a{i}: cases(first: 100) {{ nodes {{ documents {{ files {{ downloadUrl }} }} }} }}"
        for i in range(100)
    )
    + " } }"
)


async def no_calls(graph: GraphClient) -> None:
    for system in SYSTEM_NAMES:
        assert not await graph.calls(system), system


async def test_the_issues_aliased_cases_are_refused_without_a_back_office_call(
    graph: GraphClient,
) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    result = await graph.query(ATTACK, pid=pid)
    assert result.get("data") is None
    (error,) = result["errors"]
    extensions = error["extensions"]
    assert extensions["code"] in ("COST_LIMIT_EXCEEDED", "ALIAS_LIMIT_EXCEEDED")
    assert extensions["cost"] > extensions["limit"]
    assert str(extensions["limit"]) in error["message"]
    await no_calls(graph)


async def test_two_case_pages_with_every_link_are_over_the_cost_limit(graph: GraphClient) -> None:
    page = "cases(first: 100) { nodes { documents { files { downloadUrl } } } }"
    pid = graph.pid(documented.HOMEOWNER)
    # One such page is what the front end's full case list asks (16,516); two are too much.
    one = await graph.query(f"{{ viewer {{ {page} }} }}", pid=pid)
    assert "errors" not in one, one["errors"]
    assert one["extensions"]["cost"] == {"requested": 16_516, "limit": 25_000}
    await graph.reset()
    result = await graph.query(f"{{ viewer {{ a: {page} b: {page} }} }}", pid=pid)
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "COST_LIMIT_EXCEEDED", "cost": 33_027, "limit": 25_000}
    assert "25000" in error["message"]
    await no_calls(graph)


async def test_the_refusal_is_a_request_error(graph: GraphClient) -> None:
    status, _, body = await post(
        graph, {"query": ATTACK}, accept=GRAPHQL_RESPONSE, pid=graph.pid(documented.HOMEOWNER)
    )
    assert status == 400
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] in (
        "COST_LIMIT_EXCEEDED",
        "ALIAS_LIMIT_EXCEEDED",
    )
    await no_calls(graph)


async def test_500_aliases_are_refused_by_the_alias_limit(graph: GraphClient) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ name {{ fullName }} }}" for i in range(500)) + " }"
    result = await graph.query(query, pid=graph.pid(documented.HOMEOWNER))
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "ALIAS_LIMIT_EXCEEDED", "cost": 500, "limit": 30}
    assert "30" in error["message"]
    await no_calls(graph)


async def test_fragments_and_inline_fragments_are_counted(graph: GraphClient) -> None:
    query = """{ viewer { ...Cases } }
      fragment Cases on Citizen { a: cases(first: 100) { nodes { ...Docs } }
        ... on Citizen { b: cases(first: 100) { nodes { ...Docs } } } }
      fragment Docs on Case { documents { files { downloadUrl } } }"""
    result = await graph.query(query, pid=graph.pid(documented.HOMEOWNER))
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    await no_calls(graph)


async def test_the_dashboard_passes_and_reports_its_cost(graph: GraphClient) -> None:
    result = await graph.query(DASHBOARD, pid=graph.pid(1))
    assert "errors" not in result, result["errors"]
    cost = result["extensions"]["cost"]
    assert cost["limit"] == 25_000
    # Far under the limit: the dashboard costs 661 (schema.cost's weights).
    assert 0 < cost["requested"] <= cost["limit"] // 5


async def test_skipped_fields_cost_nothing(graph: GraphClient) -> None:
    query = """query Q($all: Boolean!) { viewer { name { fullName }
      a: cases(first: 100) @include(if: $all) { nodes { documents { files { downloadUrl } } } }
      b: cases(first: 100) @skip(if: false) { nodes { documents { files { downloadUrl } } } }
    } }"""
    pid = graph.pid(documented.HOMEOWNER)
    result = await graph.query(query, {"all": False}, pid=pid)
    assert "errors" not in result, result["errors"]
    refused = await graph.query(query, {"all": True}, pid=pid)
    assert refused["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


@pytest.mark.gateway(graphql_max_cost=20, graphql_max_aliases=2, graphql_max_fields=50)
async def test_the_limits_are_settings(graph: GraphClient) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    cheap = await graph.query("{ viewer { name { fullName } } }", pid=pid)
    assert cheap["extensions"]["cost"] == {"requested": 6, "limit": 20}
    costly = await graph.query(
        "{ viewer { cases(first: 2) { nodes { documents { title } } } } }", pid=pid
    )
    # viewer 5 + cases 10 + nodes 1 + 2 × documents 5
    assert costly["errors"][0]["extensions"] == {
        "code": "COST_LIMIT_EXCEEDED",
        "cost": 26,
        "limit": 20,
    }
    aliased = await graph.query("{ a: __typename b: __typename c: __typename }", pid=pid)
    assert aliased["errors"][0]["extensions"] == {
        "code": "ALIAS_LIMIT_EXCEEDED",
        "cost": 3,
        "limit": 2,
    }
