"""viewer: id, level of assurance, name, sources; node(id:) for the Citizen."""

from __future__ import annotations

from kernel.systems import SYSTEM_NAMES

QUERY = """
{ viewer { id levelOfAssurance name { fullName givenName familyName }
  sources { source sourceLabel status statusLabel asOf unavailableSince } } }
"""


async def test_viewer_with_name_and_sources(graph):
    person = graph.stack.population.person(1)
    result = await graph.query(QUERY, pid=person.pid)
    assert "errors" not in result, result
    viewer = result["data"]["viewer"]
    assert viewer["levelOfAssurance"] == "SUBSTANTIAL"
    assert viewer["name"]["familyName"]
    assert viewer["name"]["fullName"].endswith(viewer["name"]["familyName"])
    sources = {s["source"]: s for s in viewer["sources"]}
    assert set(sources) == {name.upper() for name in SYSTEM_NAMES}
    assert sources["P360"]["status"] == "OK"
    assert sources["P360"]["asOf"] is not None  # the name came from Public 360 just now
    assert sources["P360"]["statusLabel"] == "Oppdatert"


async def test_high_level_of_assurance(graph):
    result = await graph.query(
        "{ viewer { levelOfAssurance } }", pid=graph.pid(1), acr="idporten-loa-high"
    )
    assert result["data"]["viewer"]["levelOfAssurance"] == "HIGH"


async def test_p360_down_costs_only_the_name(graph):
    await graph.fault("p360", operation="*", outage=True)
    result = await graph.query(QUERY, pid=graph.pid(1))
    viewer = result["data"]["viewer"]
    assert viewer["name"] is None
    assert viewer["levelOfAssurance"] == "SUBSTANTIAL"
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "name"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "P360"}
    sources = {s["source"]: s for s in viewer["sources"]}
    assert sources["P360"]["status"] == "UNAVAILABLE"
    assert sources["P360"]["unavailableSince"] is not None
    assert sources["MATRIKKEL"]["status"] == "OK"


async def test_node_answers_own_citizen_and_null_for_others(graph):
    mine = await graph.query("{ viewer { id } }", pid=graph.pid(1))
    theirs = await graph.query("{ viewer { id } }", pid=graph.pid(2))
    own_id = mine["data"]["viewer"]["id"]
    other_id = theirs["data"]["viewer"]["id"]
    assert own_id != other_id
    query = "query($id: ID!) { node(id: $id) { id ... on Citizen { levelOfAssurance } } }"
    found = await graph.query(query, {"id": own_id}, pid=graph.pid(1))
    assert found["data"]["node"] == {"id": own_id, "levelOfAssurance": "SUBSTANTIAL"}
    for foreign in (other_id, "bm9wZQ", "not base64 at all!", "Q2l0aXplbjo"):
        refused = await graph.query(query, {"id": foreign}, pid=graph.pid(1))
        assert refused["data"]["node"] is None, foreign
        assert "errors" not in refused


async def test_anonymous_viewer_is_refused(graph):
    result = await graph.query("{ viewer { id } }")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sources_report_a_nested_failure(graph):
    # The fee service is only called after Matrikkel answered (nested under properties):
    # sources must still wait for it and report it.
    await graph.fault("fees", operation="*", outage=True)
    query = """{ viewer {
      properties { nodes { matrikkelnummer { text } feeBasis { total { amount } } } }
      sources { source status } } }"""
    result = await graph.query(query, pid=graph.pid(1))
    viewer = result["data"]["viewer"]
    assert viewer["properties"]["nodes"][0]["feeBasis"] is None
    assert {e["extensions"]["source"] for e in result["errors"]} == {"FEES"}
    sources = {s["source"]: s["status"] for s in viewer["sources"]}
    assert sources == {
        name.upper(): "UNAVAILABLE" if name == "fees" else "OK" for name in SYSTEM_NAMES
    }


async def test_one_failed_batch_gives_each_field_its_own_error(graph):
    # One fee-service call feeds every property's feeBasis; when it fails, every one of the
    # 24 fields is null with an error at its own path (not 24 copies of the first path).
    await graph.fault("fees", operation="*", outage=True)
    query = "{ viewer { properties(first: 100) { nodes { feeBasis { total { amount } } } } } }"
    result = await graph.query(query, pid=graph.pid(2))
    nodes = result["data"]["viewer"]["properties"]["nodes"]
    assert len(nodes) == 24
    failed = [i for i, node in enumerate(nodes) if node["feeBasis"] is None]
    paths = sorted(tuple(error["path"]) for error in result["errors"])
    expected = sorted(("viewer", "properties", "nodes", i, "feeBasis") for i in failed)
    assert failed and paths == expected
    assert {error["extensions"]["code"] for error in result["errors"]} == {"SOURCE_UNAVAILABLE"}
