"""The graph under back-office trouble: concurrency, each system failing alone, typed errors,
"unavailable since", and no personal data in the logs while it all happens."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from kernel.systems import SYSTEM_NAMES

DASHBOARD = (Path(__file__).resolve().parents[2] / "bench" / "dashboard.graphql").read_text()
# Which dashboard sections each system feeds (a failure may null only these).
FED_BY = {
    "matrikkel": {"properties"},
    "fees": {"properties"},  # feeBasis, propertyTaxBasis, waterMeters inside properties
    "p360": {"cases", "name"},
    "visma": {"invoices"},
}


def test_every_registered_system_says_what_it_feeds():
    assert set(FED_BY) == set(SYSTEM_NAMES)


async def test_independent_branches_call_their_systems_concurrently(graph):
    # Each system holds every call for a second. Run one after another, the calls' time
    # windows could not overlap; concurrent branches make them overlap. (An ordering check on
    # the simulators' own records, not a timing assertion on the response.)
    # Only calls that began in this test count: the simulators are shared, and a slowed call
    # that an earlier test gave up on may still be finishing.
    since = time.monotonic()
    for system in ("p360", "visma", "matrikkel"):
        await graph.fault(system, operation="*", latency_ms=1000)
    result = await graph.query(DASHBOARD, pid=graph.pid(1))
    assert "errors" not in result, result["errors"]
    first = {
        system: next(
            (start, end)
            for op, start, end in graph.stack.control(system).intervals
            if op in {"GetCases", "searchInvoices", "findPersonIdForIdent"} and start >= since
        )
        for system in ("p360", "visma", "matrikkel")
    }
    starts = [start for start, _ in first.values()]
    ends = [end for _, end in first.values()]
    assert max(starts) < min(ends), f"the first calls did not overlap: {first}"


@pytest.mark.parametrize("down", SYSTEM_NAMES)
async def test_each_system_failing_alone_costs_only_its_fields(graph, down):
    await graph.fault(down, operation="*", outage=True)
    result = await graph.query(DASHBOARD, pid=graph.pid(1))
    viewer = result["data"]["viewer"]
    errors = result["errors"]
    assert errors, "an outage must be reported"
    assert {e["extensions"]["source"] for e in errors} == {down.upper()}
    assert {e["extensions"]["code"] for e in errors} == {"SOURCE_UNAVAILABLE"}
    failed_sections = {e["path"][1] for e in errors}
    assert failed_sections <= FED_BY[down]
    # Everything fed by the other systems is there.
    if "properties" not in FED_BY[down]:
        assert viewer["properties"]["nodes"][0]["feeBasis"]["total"]["amount"]
    if down != "p360":
        assert viewer["cases"]["totalCount"] == 3 and viewer["name"]["fullName"]
    if down != "visma":
        assert viewer["invoices"] is not None
    if down == "fees":  # Matrikkel's part of each property is still served
        assert viewer["properties"]["nodes"][0]["address"]["text"]
    sources = {s["source"]: s["status"] for s in viewer["sources"]}
    assert sources[down.upper()] == "UNAVAILABLE"
    assert all(status == "OK" for source, status in sources.items() if source != down.upper())


async def test_a_back_office_error_is_source_error_without_its_text(graph):
    await graph.fault("visma", operation="*", error_rate=1.0)
    result = await graph.query("{ viewer { invoices { totalCount } } }", pid=graph.pid(4))
    (error,) = result["errors"]
    assert result["data"]["viewer"]["invoices"] is None
    assert error["extensions"] == {"code": "SOURCE_ERROR", "source": "VISMA"}
    assert "Traceback" not in error["message"] and "500" not in error["message"]


async def test_unavailable_since_is_the_start_of_the_outage(graph):
    await graph.fault("visma", operation="*", outage=True)
    query = "{ viewer { invoices { totalCount } sources { source status unavailableSince } } }"

    async def since():
        result = await graph.query(query, pid=graph.pid(1))
        (visma,) = [s for s in result["data"]["viewer"]["sources"] if s["source"] == "VISMA"]
        assert visma["status"] == "UNAVAILABLE"
        return visma["unavailableSince"]

    first = await since()
    assert first is not None
    assert await since() == first  # still failing: still "since" the first failure


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_no_personal_data_in_logs_while_things_fail(graph, caplog):
    pid = graph.pid(1)
    caplog.set_level(logging.DEBUG)
    await graph.query(DASHBOARD, pid=pid)
    for system in SYSTEM_NAMES:
        await graph.fault(system, operation="*", outage=True)
    await graph.query(DASHBOARD, pid=pid)
    await graph.fault("p360", operation="*", error_rate=1.0)
    await graph.query("{ viewer { cases { totalCount } name { fullName } } }", pid=pid)
    token = graph.stack.token(pid)
    text = "\n".join(record.getMessage() for record in caplog.records)
    text += "\n".join(str(record.args) for record in caplog.records)
    assert caplog.records, "the failures should have been logged somewhere"
    assert pid not in text
    assert token not in text and token.split(".")[1] not in text
