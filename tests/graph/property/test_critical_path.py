"""The dashboard's Matrikkel chain is as short as the contract allows (issue 10).

Checked on the simulators' own call records, never on elapsed time: with every call held for
a while, calls that run side by side overlap, and a call that waits for another starts after
it ended. The longest chain of calls each starting after the previous one ended is the
number of dependent round trips.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kernel.systems import SYSTEM_NAMES
from simulators.population import documented

# The chain is what the back-office read cache would hide: these tests ask every time.
pytestmark = pytest.mark.gateway(cache="off")

DASHBOARD = (Path(__file__).resolve().parents[3] / "bench" / "dashboard.graphql").read_text()
HELD_MS = 300
BACK_OFFICES = SYSTEM_NAMES


def _calls(graph, systems=BACK_OFFICES):
    """The calls of the last held dashboard: a straggler of an earlier test (a call still held
    at a shared simulator when that test ended) may finish meanwhile, and is left out."""
    since = graph.held_since
    return [
        (f"{system}.{op}", start, end)
        for system in systems
        for op, start, end in graph.stack.control(system).intervals
        if start >= since
    ]


def longest_chain(calls) -> list[str]:
    """The longest sequence of calls each starting after the one before it ended."""
    ordered = sorted(calls, key=lambda call: call[1])
    best: list[list[str]] = []
    for i, (name, start, _end) in enumerate(ordered):
        before = [best[j] for j in range(i) if ordered[j][2] <= start]
        best.append([*max(before, key=len, default=[]), name])
    return max(best, key=len, default=[])


def overlap(calls, *names: str) -> bool:
    chosen = [next(c for c in calls if c[0] == name) for name in names]
    return max(start for _, start, _ in chosen) < min(end for _, _, end in chosen)


async def _held_dashboard(graph, query=DASHBOARD, person=documented.HOMEOWNER):
    for system in BACK_OFFICES:
        await graph.fault(system, operation="*", latency_ms=HELD_MS)
    for system in BACK_OFFICES:
        graph.stack.control(system).intervals.clear()
    graph.held_since = time.monotonic()  # the simulators record on the same clock
    result = await graph.query(query, pid=graph.pid(person))
    assert "errors" not in result, result["errors"]
    return result


async def test_the_dashboard_is_three_dependent_round_trips(graph):
    await _held_dashboard(graph)
    calls = _calls(graph)
    chain = longest_chain(calls)
    assert len(chain) == 3, chain
    names = {name for name, _, _ in calls}
    # No PersonId step before the properties, no address id map by property.
    assert "matrikkel.findEideMatrikkelenheterForPerson" not in names
    assert "matrikkel.findAdresserForMatrikkelenheter" not in names
    # The searches by fødselsnummer and the PersonId (for the share) start together.
    assert overlap(
        calls,
        "matrikkel.findMatrikkelenheter",
        "matrikkel.findAdresseInfoObjekter",
        "matrikkel.findPersonIdForIdent",
    )


async def test_a_returning_viewers_dashboard_is_two_dependent_round_trips(graph):
    # The first visit leaves the properties' matrikkelnummer and the roads and postal areas
    # in the connector's reference caches; the next one asks the fee service for the known
    # numbers side by side with the properties' objects.
    first = await _held_dashboard(graph)
    second = await _held_dashboard(graph)
    assert first["data"]["viewer"]["properties"] == second["data"]["viewer"]["properties"]
    calls = _calls(graph)
    chain = longest_chain(calls)
    assert len(chain) == 2, chain
    assert overlap(calls, "matrikkel.getObjects", "fees.queryProperties")
    assert [name for name, _, _ in calls].count("fees.queryProperties") == 1


async def test_per_property_reads_start_early_only_when_the_page_holds_every_property(graph):
    # 24 properties, a page of 10, caches warm: the fee records wait for the page (known
    # once the properties are sorted) instead of being asked for all 24 ahead of it.
    query = "{ viewer { properties(first: 10) { nodes { feeBasis { total { amount } } } } } }"
    answers = [
        await _held_dashboard(graph, query, documented.LANDOWNER),
        await _held_dashboard(graph, query, documented.LANDOWNER),
    ]
    assert answers[0] == answers[1]
    assert len(answers[1]["data"]["viewer"]["properties"]["nodes"]) == 10
    calls = _calls(graph, ("matrikkel", "fees"))
    (objects,) = [c for c in calls if c[0] == "matrikkel.getObjects"]
    (fees,) = [c for c in calls if c[0] == "fees.queryProperties"]
    assert fees[1] >= objects[2]


async def test_buildings_start_as_soon_as_the_property_ids_are_known(graph):
    query = """{ viewer { properties(first: 100) { nodes {
        ownershipShare buildings { buildingNumber } } } } }"""
    await _held_dashboard(graph, query, documented.LANDOWNER)
    calls = _calls(graph, ("matrikkel",))
    # The buildings' id map goes out with the properties' objects, not after them.
    objects = [c for c in calls if c[0] == "matrikkel.getObjects"]
    bygg = next(c for c in calls if c[0] == "matrikkel.findByggForMatrikkelenheter")
    assert any(max(o[1], bygg[1]) < min(o[2], bygg[2]) for o in objects)
    assert len(longest_chain(calls)) == 3  # ids -> id map -> building objects


async def test_roads_and_postal_areas_are_not_asked_again(graph):
    query = "{ viewer { properties { nodes { address { text } } } } }"
    answers, calls = [], []
    for _ in range(2):
        await graph.reset()
        answers.append(await graph.query(query, pid=graph.pid(documented.HOMEOWNER)))
        calls.append(await graph.calls("matrikkel"))
    assert answers[0] == answers[1] and "errors" not in answers[1]
    assert answers[1]["data"]["viewer"]["properties"]["nodes"][0]["address"]["text"]
    # getObjects of the properties, of the addresses, then of their roads and postal areas;
    # the second time those come from the reference cache.
    assert calls[0]["getObjects"] == 3
    assert calls[1] == {**calls[0], "getObjects": 2}


async def test_a_query_without_the_branches_does_not_start_them(graph):
    await graph.reset()
    result = await graph.query(
        "{ viewer { properties { totalCount nodes { area } } } }", pid=graph.pid(1)
    )
    assert "errors" not in result, result
    assert await graph.calls("matrikkel") == {
        "findMatrikkelenheter": 1,
        "getObjects": 1,
        "findPersonIdForIdent": 1,  # the share is part of the property record
    }
