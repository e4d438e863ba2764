"""The back-office read cache over the real stack: a warm dashboard asks no system, identical
reads share one call, the viewer's own writes are refetched, a failing system's kept copy is
served as STALE, MINSIDE_CACHE=off asks every time, and no key holds a fødselsnummer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.matrikkel.client import MatrikkelClient
from kernel.servers import running_servers
from kernel.systems import SYSTEM_NAMES
from minside.stack import RunningStack
from simulators.population import documented
from tests.graph.conftest import GRAPH_SETTINGS, GraphClient, own_gateway
from tests.graph.submission.helpers import (
    PDF,
    SUBMIT_APPLICATION,
    SUBMIT_READING,
    digging,
    homeowner_meter,
    post_multipart,
    reading_input,
    receipt,
)

DASHBOARD = (Path(__file__).parents[2] / "bench" / "dashboard.graphql").read_text()


@asynccontextmanager
async def uncached_gateway(back_office: RunningStack, tmp_path: Path) -> AsyncIterator[GraphClient]:
    """A second gateway with the cache off, in front of the same back office."""
    overrides = {**GRAPH_SETTINGS, "cache": "off"}
    overrides["outbox_url"] = f"sqlite:///{tmp_path / 'uncached.sqlite3'}"
    stack, spec = await own_gateway(back_office, overrides)
    async with running_servers([spec]), aiohttp.ClientSession() as http:
        yield GraphClient(stack, http)


async def all_calls(graph: GraphClient) -> dict[str, dict[str, int]]:
    return {system: await graph.calls(system) for system in SYSTEM_NAMES}


def total(calls: dict[str, dict[str, int]]) -> int:
    return sum(sum(per_operation.values()) for per_operation in calls.values())


async def dashboard(graph: GraphClient, pid: str) -> dict[str, Any]:
    result = await graph.query(DASHBOARD, pid=pid)
    assert "errors" not in result, result["errors"]
    viewer: dict[str, Any] = result["data"]["viewer"]
    return viewer


def statuses(viewer: dict[str, Any]) -> dict[str, str]:
    return {source["source"]: source["status"] for source in viewer["sources"]}


async def test_a_warm_dashboard_asks_no_back_office_system(graph: GraphClient) -> None:
    for person in (documented.HOMEOWNER, documented.MANY_CASES, documented.CO_OWNER_A):
        await dashboard(graph, graph.pid(person))
    cold = await all_calls(graph)
    assert total(cold) > 0
    for person in (documented.HOMEOWNER, documented.MANY_CASES, documented.CO_OWNER_A):
        warm = await dashboard(graph, graph.pid(person))
        assert set(statuses(warm).values()) == {"OK"}
        # asOf of a cached copy: when it was fetched, not later than now.
        assert all(s["asOf"] is not None for s in warm["sources"])
    assert await all_calls(graph) == cold


async def test_aliases_of_the_name_cost_one_call(graph: GraphClient) -> None:
    query = "{ viewer { a: name { fullName } b: name { fullName } c: name { givenName } } }"
    result = await graph.query(query, pid=graph.pid(documented.HOMEOWNER))
    assert "errors" not in result, result
    assert result["data"]["viewer"]["a"] == result["data"]["viewer"]["b"]
    assert (await graph.calls("p360")).get("GetPrivatePersons") == 1


async def test_concurrent_identical_dashboards_share_each_call(
    graph: GraphClient, back_office: RunningStack, tmp_path: Path
) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    async with uncached_gateway(back_office, tmp_path) as uncached:
        await dashboard(uncached, pid)
        one_dashboard = await all_calls(uncached)
    await graph.reset()  # the counters of the shared simulators back to zero
    for system in SYSTEM_NAMES:  # slow enough that the requests surely overlap
        await graph.fault(system, operation="*", latency_ms=300)
    viewers = await asyncio.gather(*(dashboard(graph, pid) for _ in range(8)))
    for field in ("name", "properties", "cases"):  # (download links differ: short-lived)
        assert all(viewer[field] == viewers[0][field] for viewer in viewers[1:]), field
    # Eight dashboards at once cost what one costs.
    assert await all_calls(graph) == one_dashboard


async def test_a_meter_reading_refreshes_that_properties_record(graph: GraphClient) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    meter = homeowner_meter(graph)
    await dashboard(graph, pid)
    before = await all_calls(graph)
    answer = await graph.query(SUBMIT_READING, {"input": reading_input(meter)}, pid=pid)
    receipt(answer, "submitMeterReading")
    after_write = await all_calls(graph)
    await dashboard(graph, pid)
    after = await all_calls(graph)
    # The fee register's record of the property is read again; nothing else is.
    assert after["fees"]["queryProperties"] == (after_write["fees"]["queryProperties"] + 1)
    for system in ("matrikkel", "p360", "visma"):
        assert after[system] == before[system], system


async def test_an_application_refreshes_the_cases(graph: GraphClient) -> None:
    pid = graph.pid(documented.HOMEOWNER)
    await dashboard(graph, pid)
    before = await all_calls(graph)
    variables = {"input": digging(idempotencyKey="read-cache-application-1")}
    files = [("variables.input.files.0.file", "kart.pdf", "application/pdf", PDF)]
    status, body = await post_multipart(graph, SUBMIT_APPLICATION, variables, files, pid=pid)
    assert status == 200, body
    receipt(body, "submitApplication")
    after_write = await all_calls(graph)
    await dashboard(graph, pid)
    after = await all_calls(graph)
    assert after["p360"]["GetCases"] == after_write["p360"]["GetCases"] + 1
    for system in ("matrikkel", "fees", "visma"):
        assert after[system] == before[system], system


@pytest.mark.parametrize(
    "fault",
    [{"outage": True}, {"latency_ms": 3000}],  # down, or slower than its 1 s deadline
    ids=["down", "slow"],
)
# Public 360's reads expire at once, so the next query asks it; the copies are kept.
@pytest.mark.gateway(
    cache_ttl_s={"p360.cases": 0, "p360.documents": 0, "p360.person": 0}, p360_deadline_s=1.0
)
async def test_a_failing_system_is_served_from_its_kept_copy_as_stale(
    graph: GraphClient, fault: dict[str, Any]
) -> None:
    pid = graph.pid(documented.DECISION)
    started = datetime.now().astimezone()
    warm = await dashboard(graph, pid)
    fetched = datetime.now().astimezone()
    asked = (await graph.calls("p360")).get("GetCases", 0)
    await graph.fault("p360", operation="*", **fault)

    served = await dashboard(graph, pid)
    assert (await graph.calls("p360")).get("GetCases", 0) > asked  # it was asked first
    assert served["cases"] == warm["cases"] and served["name"] == warm["name"]
    assert statuses(served) == {
        "MATRIKKEL": "OK",
        "FEES": "OK",
        "P360": "STALE",
        "VISMA": "OK",
    }
    (p360,) = [s for s in served["sources"] if s["source"] == "P360"]
    as_of = datetime.fromisoformat(p360["asOf"])
    assert started <= as_of <= fetched

    # Someone whose data was never fetched has nothing kept: unavailable, typed errors.
    result = await graph.query(DASHBOARD, pid=graph.pid(documented.MANY_CASES))
    assert {e["extensions"]["source"] for e in result["errors"]} == {"P360"}
    assert statuses(result["data"]["viewer"])["P360"] == "UNAVAILABLE"


@pytest.mark.gateway(cache="off")
async def test_cache_off_asks_every_system_every_time(graph: GraphClient) -> None:
    assert graph.stack.gateway_app.state.gateway.services.read_cache is None
    pid = graph.pid(documented.HOMEOWNER)
    await dashboard(graph, pid)
    once = await all_calls(graph)
    # Matrikkel's reference data (roads, postal areas, known numbers) has its own long-lived
    # cache in the connector, which MINSIDE_CACHE does not govern: empty it to compare.
    matrikkel = graph.stack.gateway_app.state.gateway.services.connectors.get(MatrikkelClient)
    matrikkel.reference_cache.clear()
    matrikkel.number_cache.clear()
    await dashboard(graph, pid)
    twice = await all_calls(graph)
    for system in SYSTEM_NAMES:
        assert twice[system] == {op: 2 * n for op, n in once[system].items()}, system


async def test_no_cache_key_holds_a_fodselsnummer(graph: GraphClient) -> None:
    pids = [graph.pid(person) for person in range(1, 10)]
    for pid in pids:
        await dashboard(graph, pid)
    read_cache = graph.stack.gateway_app.state.gateway.services.read_cache
    keys = read_cache.store.keys()
    assert keys
    for pid in pids:
        assert not any(pid in key or pid[:6] in key for key in keys)
    assert len(keys) <= graph.stack.settings.cache_max_entries
