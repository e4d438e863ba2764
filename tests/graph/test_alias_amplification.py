"""Aliases cost nothing at the back office: N copies of a field ask each system what one asks.

Every back-office read goes through a per-request loader, so a query that repeats a field under
many aliases (an amplification attack: 500 aliases of ``viewer { name }`` once made 500
``GetPrivatePersons`` calls) costs one call per operation and key. The gateways here run with
the read cache off, so only the per-request loaders can merge the copies.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.matrikkel.client import MatrikkelClient
from kernel.systems import SYSTEM_NAMES
from simulators.population import documented
from tests.graph.conftest import GraphClient

# Far above the alias, field and cost limits (schema.cost), and without the viewer's rate limit
# (gateway.rate_limit), which would refuse these requests before execution: here the loaders,
# not the limits, must make N aliases cost one call.
pytestmark = pytest.mark.gateway(
    cache="off",
    graphql_max_aliases=5000,
    graphql_max_fields=20_000,
    graphql_max_cost=1_000_000,
    rate_limit_viewer_cost=0,
)

PROPERTY_FIELDS = """
  id matrikkelnummer { text } ownershipShare area address { text }
  buildings { buildingNumber typeLabel }
  feeBasis { total { amount } }
  propertyTaxBasis { annualTax { amount } }
  waterMeters { id meterNumber readings(first: 2) { value } consumption(years: 2) { year }
                pendingReadings { receiptId } }
  map { centroid { latitude } boundaryIsApproximate }
  invoices(first: 3) { totalCount nodes { invoiceNumber pdfUrl } }
"""
CASE_FIELDS = """
  id caseNumber title statusLabel
  documents { id title files { name downloadUrl } }
  decision { title }
"""
INVOICE_FIELDS = "id invoiceNumber status outstanding { amount } lines { description } pdfUrl"
LINKS = frozenset({"downloadUrl", "pdfUrl"})


async def all_calls(graph: GraphClient) -> dict[str, dict[str, int]]:
    return {system: await graph.calls(system) for system in SYSTEM_NAMES}


def forget_reference_data(graph: GraphClient) -> None:
    """Empty Matrikkel's per-process reference caches (roads, postal areas, known numbers),
    which MINSIDE_CACHE does not govern, so two runs of a query ask the same."""
    matrikkel = graph.stack.gateway_app.state.gateway.services.connectors.get(MatrikkelClient)
    matrikkel.reference_cache.clear()
    matrikkel.number_cache.clear()


def without_links(value: Any) -> Any:
    """`value` without its download links: each is signed afresh, so no two are equal."""
    if isinstance(value, dict):
        return {k: without_links(v) for k, v in value.items() if k not in LINKS}
    if isinstance(value, list):
        return [without_links(v) for v in value]
    return value


def aliased(selection: str, copies: int, fragments: str = "") -> str:
    """A query with `copies` aliases of the root field `selection` (which may spread
    `fragments`: the gateway parses at most 5,000 tokens)."""
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(copies)) + " } " + fragments


async def cost(
    graph: GraphClient, selection: str, copies: int, pid: str, fragments: str = ""
) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """The answer to `copies` aliases of `selection`, and what it asked of each system."""
    forget_reference_data(graph)
    await graph.reset()
    result = await graph.query(aliased(selection, copies, fragments), pid=pid)
    assert "errors" not in result, result["errors"][:3]
    data: dict[str, Any] = without_links(result["data"])
    assert all(value == data["a0"] for value in data.values())
    return data, await all_calls(graph)


async def assert_aliases_cost_one(
    graph: GraphClient, selection: str, pid: str, copies: int = 100, fragments: str = ""
) -> dict[str, Any]:
    one, once = await cost(graph, selection, 1, pid, fragments)
    many, repeated = await cost(graph, selection, copies, pid, fragments)
    assert many["a0"] == one["a0"]
    assert repeated == once, (once, repeated)
    assert any(once.values()), "the query asked no back-office system at all"
    answer: dict[str, Any] = one["a0"]
    return answer


async def ids_of(graph: GraphClient, pid: str) -> dict[str, str]:
    """Global ids of one of each of the viewer's objects."""
    query = """{ viewer { id
      properties(first: 1) { nodes { id waterMeters { id } } }
      cases(first: 10) { nodes { id documents { id } } }
      invoices(first: 1) { nodes { id } } } }"""
    result = await graph.query(query, pid=pid)
    assert "errors" not in result, result
    viewer = result["data"]["viewer"]
    (prop,) = viewer["properties"]["nodes"]
    document = next(d for case in viewer["cases"]["nodes"] for d in case["documents"] or [])
    return {
        "Citizen": viewer["id"],
        "Property": prop["id"],
        "WaterMeter": prop["waterMeters"][0]["id"],
        "Case": viewer["cases"]["nodes"][0]["id"],
        "Document": document["id"],
        "Invoice": viewer["invoices"]["nodes"][0]["id"],
    }


async def test_200_aliases_of_the_name_make_one_call(graph: GraphClient) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    data, calls = await cost(graph, "viewer { name { fullName } }", 200, pid)
    assert data["a0"]["name"]["fullName"]
    assert calls["p360"] == {"GetPrivatePersons": 1}
    assert not any(calls[system] for system in SYSTEM_NAMES if system != "p360")


async def test_aliases_of_the_whole_viewer_cost_what_one_costs(graph: GraphClient) -> None:
    fragments = f"""fragment Everything on Citizen {{ id name {{ fullName }}
      properties(first: 10) {{ totalCount nodes {{ {PROPERTY_FIELDS} }} }}
      cases(first: 5) {{ totalCount nodes {{ {CASE_FIELDS} }} }}
      invoices(first: 5) {{ totalCount nodes {{ {INVOICE_FIELDS} }} }}
      pendingApplications {{ receiptId }} submissions {{ receiptId }} }}"""
    pid = graph.pid(documented.HOMEOWNER)
    await assert_aliases_cost_one(graph, "viewer { ...Everything }", pid, 200, fragments)


@pytest.mark.parametrize(
    ("type_name", "fields"),
    [
        ("Citizen", "levelOfAssurance name { fullName }"),
        ("Property", PROPERTY_FIELDS),
        ("WaterMeter", "meterNumber readings(first: 3) { value readOn } consumption { year }"),
        ("Case", CASE_FIELDS),
        ("Document", "title files { name downloadUrl }"),
        ("Invoice", INVOICE_FIELDS),
    ],
)
async def test_aliases_of_one_node_cost_what_one_costs(
    graph: GraphClient, type_name: str, fields: str
) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    node_id = (await ids_of(graph, pid))[type_name]
    selection = f'node(id: "{node_id}") {{ id ...Fields }}'
    fragments = f"fragment Fields on {type_name} {{ {fields} }}"
    found = await assert_aliases_cost_one(graph, selection, pid, 200, fragments)
    assert found["id"] == node_id


async def test_aliases_of_a_property_field_cost_what_one_costs(graph: GraphClient) -> None:
    # Many copies of each field under one property, and of the property list itself.
    fields = " ".join(
        f"f{i}_{j}: {field}"
        for i in range(20)
        for j, field in enumerate(
            (
                "address { text }",
                "buildings { buildingNumber }",
                "feeBasis { total { amount } }",
                "waterMeters { readings { value } }",
                "invoices { totalCount }",
                "map { mapUrl }",
            )
        )
    )
    fragments = f"fragment Fields on Property {{ {fields} }}"
    selection = "viewer { properties { nodes { ...Fields } } }"
    pid = graph.pid(documented.LANDOWNER)
    await assert_aliases_cost_one(graph, selection, pid, 20, fragments)


async def test_aliases_of_the_submissions_read_the_outbox_once_per_filter(
    graph: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The outbox is the gateway's own store, not a back-office system, but a store query per
    # alias would still let one request hold the database for as long as it likes.
    outbox = graph.stack.gateway_app.state.gateway.services.outbox
    reads: list[Any] = []
    list_for_viewer = outbox.list_for_viewer

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[1:])
        return await list_for_viewer(*args, **kwargs)

    monkeypatch.setattr(outbox, "list_for_viewer", counted)
    fragments = """fragment Submissions on Citizen {
      pendingApplications { receiptId } all: submissions { receiptId }
      pending: submissions(statuses: [PENDING]) { receiptId }
      readings: submissions(kinds: [METER_READING], statuses: [PENDING]) { receiptId }
      properties { nodes { waterMeters { pendingReadings { receiptId } } } } }"""
    pid = graph.pid(documented.HOMEOWNER)
    await cost(graph, "viewer { ...Submissions }", 200, pid, fragments)
    # pendingApplications, the three filters of submissions (pendingReadings is the third's).
    assert len(reads) == 4, reads
