"""The outbox's database down while the gateway runs: a submission gets a typed
SUBMISSIONS_UNAVAILABLE error and nothing is saved or sent; the citizen's other data is served;
once the database is back, the same submission (same key) is accepted as new."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from simulators.population import documented
from stores.outbox_postgres import PostgresOutbox
from tests.graph.submission.helpers import (
    SUBMISSIONS,
    SUBMIT_READING,
    homeowner_meter,
    reading_input,
    receipt,
)
from tests.services import unreachable_pool


@pytest.fixture
async def unreachable_outbox() -> Iterator[PostgresOutbox]:
    """A real PostgreSQL outbox whose server does not answer (nothing listens on its port)."""
    pool = await unreachable_pool(timeout_s=0.5)
    outbox = PostgresOutbox(pool, lambda: datetime.now(UTC), op_timeout_s=0.5)
    yield outbox
    await outbox.close()


async def test_a_submission_while_the_outbox_is_down_saves_nothing_and_says_so(
    graph, unreachable_outbox
):
    state = graph.stack.gateway_app.state.gateway
    working = state.services
    pid = graph.pid(documented.HOMEOWNER)
    meter = homeowner_meter(graph)
    readings_before = len(meter.readings)
    reading = reading_input(meter, "12")

    state.services = dataclasses.replace(working, outbox=unreachable_outbox)
    try:
        result = await graph.query(SUBMIT_READING, {"input": reading}, pid=pid)
        # The mutation's field is nullable (a sibling mutation keeps its result): null alone.
        assert result["data"] == {"submitMeterReading": None}
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "SUBMISSIONS_UNAVAILABLE"
        assert "sending the same submission again is safe" in error["message"]

        listed = await graph.query(
            "{ viewer { name { fullName } submissions { receiptId } pendingApplications "
            "{ receiptId } properties { nodes { waterMeters { meterNumber pendingReadings "
            "{ receiptId } } } } } }",
            pid=pid,
        )
        viewer = listed["data"]["viewer"]
        assert viewer["name"]["fullName"]  # the rest is served
        assert viewer["submissions"] is None and viewer["pendingApplications"] is None
        (meter_node,) = viewer["properties"]["nodes"][0]["waterMeters"]
        assert meter_node["meterNumber"] == meter.meter_number
        assert meter_node["pendingReadings"] is None
        assert {e["extensions"]["code"] for e in listed["errors"]} == {"SUBMISSIONS_UNAVAILABLE"}
    finally:
        state.services = working

    assert (await graph.calls("fees")).get("submitReading", 0) == 0
    assert len(meter.readings) == readings_before
    # The database back: the same key is a new submission (none was kept), delivered once.
    answer = receipt(
        await graph.query(SUBMIT_READING, {"input": reading}, pid=pid), "submitMeterReading"
    )
    assert answer["status"] == "DELIVERED"
    assert len(homeowner_meter(graph).readings) == readings_before + 1
    listed = await graph.query(SUBMISSIONS, {}, pid=pid)
    assert [item["receiptId"] for item in listed["data"]["viewer"]["submissions"]] == [
        answer["receiptId"]
    ]
