"""CaseFilter: kinds, statuses, open/closed, opened date range (inclusive) and its validation."""

from __future__ import annotations

from datetime import date

from simulators.population import documented
from simulators.population.models import CASE_STATUS_CLOSED, CASE_STATUS_OPEN
from tests.graph.case.queries import CASES

KINDS = ("APPLICATION", "BUILDING", "PLANNING", "WATER_SEWAGE_WASTE", "OTHER")


def _cases(graph):
    population = graph.stack.population
    return population.cases_of(population.person(documented.MANY_CASES).pid)


async def _filtered(graph, case_filter):
    result = await graph.query(
        CASES, {"filter": case_filter, "first": 100}, pid=graph.pid(documented.MANY_CASES)
    )
    assert "errors" not in result, result
    connection = result["data"]["viewer"]["cases"]
    nodes = [edge["node"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(nodes)  # every filter here fits one page
    return nodes


async def test_each_kind(graph):
    cases = _cases(graph)
    for kind in KINDS:
        nodes = await _filtered(graph, {"kinds": [kind]})
        expected = {case.case_number for case in cases if case.kind.name == kind}
        assert expected, kind  # the person has cases of every kind: the filter is exercised
        assert {node["caseNumber"] for node in nodes} == expected
        assert {node["kind"] for node in nodes} == {kind}
    both = await _filtered(graph, {"kinds": ["PLANNING", "OTHER"]})
    assert {node["kind"] for node in both} == {"PLANNING", "OTHER"}


async def test_open_and_closed(graph):
    cases = _cases(graph)
    still_open = await _filtered(graph, {"open": True})
    finished = await _filtered(graph, {"open": False})
    assert {n["caseNumber"] for n in still_open} == {
        c.case_number for c in cases if c.status == CASE_STATUS_OPEN
    }
    assert {n["caseNumber"] for n in finished} == {
        c.case_number for c in cases if c.status == CASE_STATUS_CLOSED
    }
    assert {n["status"] for n in still_open} == {"IN_PROGRESS"}
    assert {n["status"] for n in finished} == {"CLOSED"}
    assert all(n["closedAt"] is None for n in still_open)
    assert all(n["closedAt"] >= n["openedAt"] for n in finished)
    assert len(still_open) + len(finished) == 120


async def test_statuses_and_combined_criteria(graph):
    cases = _cases(graph)
    closed = await _filtered(graph, {"statuses": ["CLOSED"]})
    assert len(closed) == sum(1 for c in cases if c.status == CASE_STATUS_CLOSED)
    assert await _filtered(graph, {"statuses": ["DECIDED", "OPEN"]}) == []
    open_buildings = await _filtered(graph, {"kinds": ["BUILDING"], "open": True})
    assert {n["caseNumber"] for n in open_buildings} == {
        c.case_number for c in cases if c.kind.name == "BUILDING" and c.status == CASE_STATUS_OPEN
    }


async def test_opened_date_range_is_inclusive(graph):
    cases = _cases(graph)
    days = sorted(case.opened_on for case in cases)
    start, end = days[30], days[60]
    nodes = await _filtered(graph, {"openedFrom": start.isoformat(), "openedTo": end.isoformat()})
    expected = {c.case_number for c in cases if start <= c.opened_on <= end}
    assert len(expected) >= 31  # both ends count
    assert {n["caseNumber"] for n in nodes} == expected
    # One day, both bounds equal.
    day = start.isoformat()
    one_day = await _filtered(graph, {"openedFrom": day, "openedTo": day})
    assert {n["openedAt"] for n in one_day} == {start.isoformat()}
    # Open-ended ranges.
    since = await _filtered(graph, {"openedFrom": days[-5].isoformat()})
    recent = {c.case_number for c in cases if c.opened_on >= days[-5]}
    assert {n["caseNumber"] for n in since} == recent
    until = await _filtered(graph, {"openedTo": date(1990, 1, 1).isoformat()})
    assert until == []


async def test_a_range_that_ends_before_it_starts_is_bad_user_input(graph):
    before = (await graph.calls("p360")).get("GetCases", 0)
    result = await graph.query(
        CASES,
        {"filter": {"openedFrom": "2024-06-02", "openedTo": "2024-06-01"}},
        pid=graph.pid(documented.MANY_CASES),
    )
    assert result["data"]["viewer"]["cases"] is None
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "cases"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.openedFrom"}
    assert (await graph.calls("p360")).get("GetCases", 0) == before  # refused before any call


async def test_an_unknown_kind_is_refused_by_validation(graph):
    result = await graph.query(
        CASES, {"filter": {"kinds": ["PARKING"]}}, pid=graph.pid(documented.MANY_CASES)
    )
    assert result["data"] is None
    assert "PARKING" in result["errors"][0]["message"]
