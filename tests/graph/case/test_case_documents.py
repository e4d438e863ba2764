"""Documents, files and decisions of cases; a decision filed in 360 shows in the next query;
documents of all cases cost the same few calls for 3 cases as for 120."""

from __future__ import annotations

import pytest

from simulators.population import documented
from tests.graph.case.queries import FULL


def _by_number(result):
    assert "errors" not in result, result
    return {node["caseNumber"]: node for node in result["data"]["viewer"]["cases"]["nodes"]}


async def test_the_application_shows_its_decision(graph):
    population = graph.stack.population
    cases = population.cases_of(population.person(documented.DECISION).pid)
    application = next(c for c in cases if c.kind.name == "APPLICATION")
    pending = next(c for c in cases if c is not application)
    answer = _by_number(await graph.query(FULL, pid=graph.pid(documented.DECISION)))

    decided = answer[application.case_number]
    assert decided["kind"] == "APPLICATION"
    assert decided["status"] == "CLOSED"
    numbers = [d["documentNumber"] for d in decided["documents"]]
    # Journal order, and only what the party may see (no internal notes, drafts, exempt entries).
    visible = [d.document_number for d in application.documents if d.is_visible_to_party]
    assert numbers == visible and len(visible) < len(application.documents)
    expected = next(d for d in application.documents if d.is_decision)
    decision = decided["decision"]
    assert decision["documentNumber"] == expected.document_number
    assert decision["title"] == expected.title
    assert decision["isDecision"] is True
    assert decision["files"][0]["name"].endswith(".pdf")
    assert decided["closedAt"] == expected.document_date.isoformat()
    listed = next(
        d for d in decided["documents"] if d["documentNumber"] == expected.document_number
    )
    assert listed["id"] == decision["id"]
    assert listed["direction"] == "OUTGOING"
    assert listed["directionLabel"] == "Utgående"
    assert {d["direction"] for d in decided["documents"]} == {"INCOMING", "OUTGOING"}
    for document in decided["documents"]:
        assert document["files"], document
        for file in document["files"]:
            assert file["contentType"] == "application/pdf"
            assert file["downloadUrl"].startswith(f"{graph.stack.gateway_url}/files/")

    still_open = answer[pending.case_number]
    assert still_open["decision"] is None
    assert still_open["closedAt"] is None
    assert all(not d["isDecision"] for d in still_open["documents"])


async def test_labels_follow_accept_language(graph):
    query = (
        "{ viewer { cases { nodes { kind kindLabel status statusLabel "
        "documents { direction directionLabel } } } } }"
    )
    labels = {}
    for language in ("nb", "nn", "en"):
        result = await graph.query(
            query, pid=graph.pid(documented.DECISION), headers={"Accept-Language": language}
        )
        assert "errors" not in result, result
        labels[language] = {
            (node["kind"], node["kindLabel"], node["status"], node["statusLabel"])
            for node in result["data"]["viewer"]["cases"]["nodes"]
        }
    assert ("APPLICATION", "Søknad", "CLOSED", "Avsluttet") in labels["nb"]
    assert ("APPLICATION", "Søknad", "CLOSED", "Avslutta") in labels["nn"]
    assert ("APPLICATION", "Application", "CLOSED", "Closed") in labels["en"]
    assert ("BUILDING", "Byggjesak", "IN_PROGRESS", "Under handsaming") in labels["nn"]


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_a_decision_filed_in_360_appears_in_the_next_query(graph):
    population = graph.stack.population
    pid = graph.pid(documented.DECISION)
    pending = next(c for c in population.cases_of(pid) if c.kind.name == "BUILDING")
    before = _by_number(await graph.query(FULL, pid=pid))[pending.case_number]
    assert before["decision"] is None
    assert before["status"] == "IN_PROGRESS"

    async with graph.http.post(
        f"{graph.stack.urls['p360']}/_admin/cases/{pending.case_number}/decision",
        json={"title": "Vedtak om rammetillatelse", "outcome": "innvilget"},
    ) as response:
        assert response.status == 201, await response.text()
        filed = await response.json()

    after = _by_number(await graph.query(FULL, pid=pid))[pending.case_number]
    decision = after["decision"]
    assert decision["documentNumber"] == filed["document_number"]
    assert decision["title"] == "Vedtak om rammetillatelse"
    assert decision["files"][0]["name"] == "Vedtak om rammetillatelse.pdf"
    assert after["status"] == "CLOSED"
    assert after["closedAt"] == population.today.isoformat()
    assert after["documents"][-1]["documentNumber"] == filed["document_number"]


async def test_documents_of_3_or_120_cases_cost_the_same_calls(graph):
    """Batching proof: documents + files + decision + closedAt of every case on the page."""
    counts = {}
    documents = {}
    for person in (documented.HOMEOWNER, documented.MANY_CASES):
        await graph.reset()
        result = await graph.query(FULL, {"first": 100}, pid=graph.pid(person))
        nodes = result["data"]["viewer"]["cases"]["nodes"]
        assert "errors" not in result, result
        documents[person] = sum(len(node["documents"]) for node in nodes)
        counts[person] = await graph.calls("p360")
    assert documents[documented.HOMEOWNER] < 10
    assert documents[documented.MANY_CASES] > 250  # 100 cases on the page, ~3 documents each
    assert counts[documented.HOMEOWNER] == counts[documented.MANY_CASES]
    assert counts[documented.MANY_CASES] == {"GetCases": 1, "GetDocuments": 1}
    # Listing download URLs fetches no file: bytes only move when a link is followed.
    assert "GetFileWithMetadata" not in counts[documented.MANY_CASES]


async def test_several_case_fields_share_one_fetch(graph):
    await graph.reset()
    query = """{ viewer {
      all: cases(first: 100) { totalCount nodes { decision { id } } }
      open: cases(filter: {open: true}) { totalCount nodes { documents { id } } }
      buildings: cases(filter: {kinds: [BUILDING]}) { nodes { closedAt } } } }"""
    result = await graph.query(query, pid=graph.pid(documented.MANY_CASES))
    assert "errors" not in result, result
    assert await graph.calls("p360") == {"GetCases": 1, "GetDocuments": 1}
