"""node(id:) for Case and Document: the viewer's own are found, anyone else's answer null."""

from __future__ import annotations

import base64

import pytest

from simulators.population import documented
from tests.graph.case.queries import NODE

IDS = "{ viewer { cases { nodes { id caseNumber documents { id documentNumber } } } } }"


def _id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def _ids(graph, person):
    result = await graph.query(IDS, pid=graph.pid(person))
    assert "errors" not in result, result
    return result["data"]["viewer"]["cases"]["nodes"]


async def test_own_case_and_document_by_id(graph):
    nodes = await _ids(graph, documented.DECISION)
    pid = graph.pid(documented.DECISION)
    for case in nodes:
        found = await graph.query(NODE, {"id": case["id"]}, pid=pid)
        assert "errors" not in found, found
        assert found["data"]["node"]["id"] == case["id"]
        assert found["data"]["node"]["caseNumber"] == case["caseNumber"]
        for document in case["documents"]:
            found = await graph.query(NODE, {"id": document["id"]}, pid=pid)
            assert found["data"]["node"]["documentNumber"] == document["documentNumber"]
            assert found["data"]["node"]["files"]


async def test_someone_elses_case_and_document_answer_like_missing_ones(graph):
    theirs = await _ids(graph, documented.DECISION)
    case = theirs[0]
    document = case["documents"][0]
    # A case number that exists nowhere, and a document number of the viewer's own case that
    # does not exist, must look exactly the same as the other person's real objects.
    mine = await _ids(graph, documented.HOMEOWNER)
    foreign = [
        case["id"],
        document["id"],
        _id("Case:1999/99999"),
        _id(f"Document:{mine[0]['caseNumber']}-999"),
        _id("Document:no-number-here"),
        _id("Document:"),
    ]
    for node_id in foreign:
        refused = await graph.query(NODE, {"id": node_id}, pid=graph.pid(documented.HOMEOWNER))
        assert refused["data"] == {"node": None} and "errors" not in refused, node_id


async def test_ids_are_opaque_and_hold_no_record_number(graph):
    population = graph.stack.population
    nodes = await _ids(graph, documented.DECISION)
    recnos = {
        str(number)
        for case in population.cases_of(graph.pid(documented.DECISION))
        for number in (case.recno, *(d.recno for d in case.documents))
    }
    for case in nodes:
        for node_id in (case["id"], *(d["id"] for d in case["documents"])):
            decoded = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
            assert not any(recno in decoded for recno in recnos), decoded
            assert graph.pid(documented.DECISION) not in decoded


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_node_of_a_case_while_p360_is_down_is_a_source_error(graph):
    nodes = await _ids(graph, documented.DECISION)
    await graph.fault("p360", operation="*", outage=True)
    result = await graph.query(NODE, {"id": nodes[0]["id"]}, pid=graph.pid(documented.DECISION))
    assert result["data"]["node"] is None
    assert result["errors"][0]["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "P360"}
