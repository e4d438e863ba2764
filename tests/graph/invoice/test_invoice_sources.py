"""Mine faktura when Visma fails, node(id:) across viewers, and one Visma search per query."""

from __future__ import annotations

import base64

import pytest

OVERDUE_PERSON, HOMEOWNER, LANDOWNER, APARTMENT = 4, 1, 2, 9

WITH_OTHERS = """
{ viewer { levelOfAssurance name { fullName }
  invoices(first: 5) { totalCount nodes { invoiceNumber } }
  sources { source status } } }
"""

NODE = """
query($id: ID!) { node(id: $id) { id
  ... on Invoice { invoiceNumber status outstanding { amount } } } }
"""


async def test_visma_down_costs_only_the_invoices(graph):
    await graph.fault("visma", operation="*", outage=True)
    result = await graph.query(WITH_OTHERS, pid=graph.pid(OVERDUE_PERSON))
    viewer = result["data"]["viewer"]
    assert viewer["invoices"] is None
    assert viewer["levelOfAssurance"] == "SUBSTANTIAL"
    assert viewer["name"]["fullName"]
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "invoices"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "VISMA"}
    assert "0250013" not in error["message"]  # no pid (documented person 4) in the message
    sources = {s["source"]: s["status"] for s in viewer["sources"]}
    assert sources["VISMA"] == "UNAVAILABLE"
    assert sources["P360"] == "OK"


@pytest.mark.gateway(visma_deadline_s=1.0)  # and no retries (the graph fixture's)
async def test_visma_slow_is_a_source_timeout(graph):
    await graph.fault("visma", operation="searchInvoices", latency_ms=4000)
    result = await graph.query(WITH_OTHERS, pid=graph.pid(OVERDUE_PERSON))
    viewer = result["data"]["viewer"]
    assert viewer["invoices"] is None
    assert viewer["name"]["fullName"]
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "invoices"]
    assert error["extensions"] == {"code": "SOURCE_TIMEOUT", "source": "VISMA"}


async def test_every_invoice_field_of_a_query_shares_one_search(graph):
    query = """
    { viewer {
        all: invoices(first: 100) { totalCount }
        overdue: invoices(filter: {statuses: [OVERDUE]}) { totalCount }
        unpaid: invoices(filter: {unpaidOnly: true}) { totalCount }
        properties(first: 100) { nodes { matrikkelnummer { text }
          invoices(first: 100) { totalCount nodes { invoiceNumber matrikkelnummer } } } }
    } }
    """
    for index in (HOMEOWNER, LANDOWNER, APARTMENT, OVERDUE_PERSON):
        await graph.reset()
        result = await graph.query(query, pid=graph.pid(index))
        assert "errors" not in result, result
        viewer = result["data"]["viewer"]
        calls = await graph.calls("visma")
        assert calls.get("searchInvoices") == 1, (index, calls)
        assert calls.get("lookupInvoices", 0) == 0
        expected = graph.stack.population.invoices_of(graph.pid(index))
        assert viewer["all"]["totalCount"] == len(expected)
        properties = viewer["properties"]["nodes"]
        if index == LANDOWNER:
            assert len(properties) == 24
        by_property = {
            p["matrikkelnummer"]["text"]: [n["invoiceNumber"] for n in p["invoices"]["nodes"]]
            for p in properties
        }
        for prop in properties:
            for node in prop["invoices"]["nodes"]:
                assert node["matrikkelnummer"] == prop["matrikkelnummer"]["text"]
        # Every property invoice of the viewer lands on its property, newest first.
        for text, numbers in by_property.items():
            assert numbers == [i.invoice_number for i in expected if i.matrikkelnummer == text], (
                text
            )
        with_property = [i for i in expected if i.matrikkelnummer is not None]
        assert sum(len(n) for n in by_property.values()) == len(with_property)


async def test_property_invoices_are_null_when_visma_is_down(graph):
    await graph.fault("visma", operation="*", outage=True)
    query = """{ viewer { properties { nodes { matrikkelnummer { text }
      invoices { totalCount } } } } }"""
    result = await graph.query(query, pid=graph.pid(APARTMENT))
    nodes = result["data"]["viewer"]["properties"]["nodes"]
    assert len(nodes) == 2
    assert all(node["invoices"] is None for node in nodes)
    assert all(node["matrikkelnummer"]["text"] for node in nodes)
    paths = sorted(tuple(error["path"]) for error in result["errors"])
    # Each property's field carries its own error; the ERP was asked once.
    assert paths == [
        ("viewer", "properties", "nodes", 0, "invoices"),
        ("viewer", "properties", "nodes", 1, "invoices"),
    ]
    assert {error["extensions"]["code"] for error in result["errors"]} == {"SOURCE_UNAVAILABLE"}
    assert (await graph.calls("visma")).get("searchInvoices") == 1


async def test_node_answers_own_invoice_and_null_for_someone_elses(graph):
    mine = await graph.query(
        "{ viewer { invoices { nodes { id invoiceNumber status } } } }",
        pid=graph.pid(OVERDUE_PERSON),
    )
    theirs = await graph.query("{ viewer { invoices { nodes { id } } } }", pid=graph.pid(HOMEOWNER))
    own = mine["data"]["viewer"]["invoices"]["nodes"][0]
    found = await graph.query(NODE, {"id": own["id"]}, pid=graph.pid(OVERDUE_PERSON))
    assert "errors" not in found, found
    assert found["data"]["node"]["invoiceNumber"] == own["invoiceNumber"]
    assert found["data"]["node"]["status"] == own["status"]
    foreign = theirs["data"]["viewer"]["invoices"]["nodes"][0]["id"]
    # The same id asked by its owner works, by anyone else answers like a missing one.
    refused = await graph.query(NODE, {"id": foreign}, pid=graph.pid(OVERDUE_PERSON))
    assert refused["data"] == {"node": None} and "errors" not in refused
    missing = await graph.query(NODE, {"id": own["id"]}, pid=graph.pid(HOMEOWNER))
    assert missing["data"] == {"node": None} and "errors" not in missing
    from schema.relay import global_id

    for key in ("0", "nope-no-such-invoice", "../../x", "9" * 41):
        absent = await graph.query(
            NODE, {"id": str(global_id("Invoice", key))}, pid=graph.pid(OVERDUE_PERSON)
        )
        assert absent["data"] == {"node": None} and "errors" not in absent, key


async def test_invoice_id_is_opaque_and_stable(graph):
    query = "{ viewer { invoices { nodes { id invoiceNumber } } } }"
    first = await graph.query(query, pid=graph.pid(OVERDUE_PERSON))
    again = await graph.query(query, pid=graph.pid(OVERDUE_PERSON))
    assert first == again
    for node in first["data"]["viewer"]["invoices"]["nodes"]:
        assert node["invoiceNumber"] not in node["id"]


@pytest.mark.gateway(cache="off")  # counts the calls of one request
async def test_several_invoice_nodes_cost_the_one_list_search(graph):
    listed = await graph.query(
        "{ viewer { invoices { nodes { id invoiceNumber } } } }", pid=graph.pid(OVERDUE_PERSON)
    )
    nodes = listed["data"]["viewer"]["invoices"]["nodes"]
    await graph.reset()
    query = (
        "{ viewer { invoices { totalCount } } "
        + " ".join(
            f'n{i}: node(id: "{node["id"]}") {{ ... on Invoice {{ invoiceNumber }} }}'
            for i, node in enumerate(nodes)
        )
        + " }"
    )
    result = await graph.query(query, pid=graph.pid(OVERDUE_PERSON))
    assert "errors" not in result, result
    assert [result["data"][f"n{i}"]["invoiceNumber"] for i in range(len(nodes))] == [
        node["invoiceNumber"] for node in nodes
    ]
    # Every node is found in the viewer's own list: the one search the list field makes too.
    assert await graph.calls("visma") == {"searchInvoices": 1}


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_an_invoice_node_needs_the_invoice_in_the_viewers_own_list(graph):
    # With an ERP that ignores the customer on by-number reads (misconfigured), someone else's
    # invoice id still answers like a missing one: only the viewer's own list counts.
    pid = graph.pid(OVERDUE_PERSON)
    population = graph.stack.population
    from schema.relay import global_id

    theirs = population.invoices_of(graph.pid(HOMEOWNER))[0].invoice_number
    own = population.invoices_of(pid)[0].invoice_number
    await graph.admin.request("visma", "POST", "/_admin/customer-filter", {"enabled": False})
    visma = graph.stack.settings.system("visma")
    credentials = f"{visma.username}:{visma.password.get_secret_value()}".encode()
    async with graph.http.post(
        f"{graph.stack.urls['visma']}/api/v1/invoices/lookup",
        json={"fakturanummer": [theirs], "customerIdentifier": pid},
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
    ) as response:
        assert (await response.json())["results"][0]["found"] is True  # the ERP would answer
    await graph.admin.request("visma", "POST", "/_admin/reset")  # counters only
    refused = await graph.query(NODE, {"id": str(global_id("Invoice", theirs))}, pid=pid)
    assert refused["data"] == {"node": None} and "errors" not in refused
    found = await graph.query(NODE, {"id": str(global_id("Invoice", own))}, pid=pid)
    assert found["data"]["node"]["invoiceNumber"] == own
    # Each request: the one list search, nothing by number.
    assert await graph.calls("visma") == {"searchInvoices": 2}


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_invoice_node_while_visma_is_down_is_null_with_the_source_error(graph):
    listed = await graph.query(
        "{ viewer { invoices { nodes { id } } } }", pid=graph.pid(OVERDUE_PERSON)
    )
    own = listed["data"]["viewer"]["invoices"]["nodes"][0]["id"]
    await graph.fault("visma", operation="*", outage=True)
    result = await graph.query(NODE, {"id": own}, pid=graph.pid(OVERDUE_PERSON))
    assert result["data"]["node"] is None
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "VISMA"}
