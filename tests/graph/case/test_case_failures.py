"""Public 360 failing: only the case fields are null, typed by code and source; the rest answers."""

from __future__ import annotations

import pytest

from simulators.population import documented

QUERY = """
{ viewer { levelOfAssurance
  cases(first: 5) { totalCount nodes { caseNumber documents { documentNumber } decision { id } } }
  sources { source status } } }
"""


async def test_p360_down_costs_only_the_cases(graph):
    await graph.fault("p360", operation="*", outage=True)
    result = await graph.query(QUERY, pid=graph.pid(documented.DECISION))
    viewer = result["data"]["viewer"]
    assert viewer["cases"] is None
    assert viewer["levelOfAssurance"] == "SUBSTANTIAL"
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "cases"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "P360"}
    sources = {s["source"]: s["status"] for s in viewer["sources"]}
    assert sources["P360"] == "UNAVAILABLE"


async def test_other_systems_still_answer_beside_a_p360_outage(graph):
    await graph.fault("p360", operation="*", outage=True)
    query = "{ viewer { cases { totalCount } invoices(first: 1) { totalCount } } }"
    result = await graph.query(query, pid=graph.pid(documented.DECISION))
    assert result["data"]["viewer"]["cases"] is None
    assert result["data"]["viewer"]["invoices"]["totalCount"] > 0
    assert [e["path"] for e in result["errors"]] == [["viewer", "cases"]]


@pytest.mark.gateway(p360_deadline_s=1.0)
async def test_p360_slow_is_a_timeout(graph):
    await graph.fault("p360", operation="GetCases", latency_ms=3000)
    result = await graph.query(QUERY, pid=graph.pid(documented.DECISION))
    assert result["data"]["viewer"]["cases"] is None
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "cases"]
    assert error["extensions"] == {"code": "SOURCE_TIMEOUT", "source": "P360"}


async def test_documents_failing_alone_keeps_the_case_list(graph):
    await graph.fault("p360", operation="GetDocuments", outage=True)
    result = await graph.query(QUERY, pid=graph.pid(documented.DECISION))
    cases = result["data"]["viewer"]["cases"]
    assert cases["totalCount"] == 2
    assert all(node["documents"] is None and node["decision"] is None for node in cases["nodes"])
    assert all(node["caseNumber"] for node in cases["nodes"])
    assert {e["extensions"]["code"] for e in result["errors"]} == {"SOURCE_UNAVAILABLE"}
    assert {tuple(e["path"][-1:]) for e in result["errors"]} == {("documents",), ("decision",)}
    # The failed person-wide fetch is one call, shared by every case's fields.
    assert (await graph.calls("p360")).get("GetDocuments") == 1
