"""viewer.cases paging over the person with 120 cases: every page, order, edges and bad input."""

from __future__ import annotations

from simulators.population import documented
from tests.graph.case.queries import CASES


def _expected_order(graph) -> list[str]:
    population = graph.stack.population
    cases = population.cases_of(population.person(documented.MANY_CASES).pid)
    ordered = sorted(cases, key=lambda case: (case.opened_on, case.case_number), reverse=True)
    return [case.case_number for case in ordered]


async def test_first_after_walks_all_120_cases_newest_first(graph):
    pid = graph.pid(documented.MANY_CASES)
    seen: list[str] = []
    opened: list[str] = []
    after = None
    pages = 0
    while True:
        result = await graph.query(CASES, {"first": 50, "after": after}, pid=pid)
        assert "errors" not in result, result
        connection = result["data"]["viewer"]["cases"]
        assert connection["totalCount"] == 120
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        edges = connection["edges"]
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        seen += [edge["node"]["caseNumber"] for edge in edges]
        opened += [edge["node"]["openedAt"] for edge in edges]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 3  # 50 + 50 + 20
    assert len(seen) == len(set(seen)) == 120
    assert seen == _expected_order(graph)
    assert opened == sorted(opened, reverse=True)


async def test_default_page_is_twenty_and_the_last_page_has_no_next(graph):
    pid = graph.pid(documented.MANY_CASES)
    first = await graph.query(CASES, pid=pid)
    connection = first["data"]["viewer"]["cases"]
    assert len(connection["edges"]) == 20
    assert connection["pageInfo"]["hasNextPage"] is True
    # The cursor of the 100th case: what follows is the last 20.
    hundred = await graph.query(CASES, {"first": 100}, pid=pid)
    cursor = hundred["data"]["viewer"]["cases"]["pageInfo"]["endCursor"]
    last = await graph.query(CASES, {"first": 100, "after": cursor}, pid=pid)
    tail = last["data"]["viewer"]["cases"]
    assert len(tail["edges"]) == 20
    assert tail["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["caseNumber"] for e in tail["edges"]] == _expected_order(graph)[100:]


async def test_first_above_100_and_bad_cursors_are_bad_user_input(graph):
    pid = graph.pid(documented.MANY_CASES)
    query = (
        "query($first: Int, $after: String) { viewer { levelOfAssurance "
        "cases(first: $first, after: $after) { totalCount } } }"
    )
    for variables, argument in (
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"first": 10, "after": "not-a-cursor"}, "after"),
        ({"first": 10, "after": "Y3Vyc29yOi01"}, "after"),  # "cursor:-5"
    ):
        result = await graph.query(query, variables, pid=pid)
        # Only the connection is lost; the viewer still answers.
        assert result["data"]["viewer"] == {"levelOfAssurance": "SUBSTANTIAL", "cases": None}
        (error,) = result["errors"]
        assert error["path"] == ["viewer", "cases"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert error["extensions"]["argument"] == argument


async def test_bad_page_arguments_cost_no_call_to_the_archive(graph):
    before = (await graph.calls("p360")).get("GetCases", 0)
    for arguments in ("first: 101", 'after: "garbage"'):
        result = await graph.query(
            f"{{ viewer {{ cases({arguments}) {{ totalCount }} }} }}",
            pid=graph.pid(documented.MANY_CASES),
        )
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await graph.calls("p360")).get("GetCases", 0) == before


async def test_person_without_cases_has_an_empty_connection(graph):
    result = await graph.query(CASES, pid=graph.pid(documented.NOTHING))
    assert "errors" not in result, result
    connection = result["data"]["viewer"]["cases"]
    assert connection["totalCount"] == 0
    assert connection["edges"] == []
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
