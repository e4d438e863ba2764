"""submitMeterReading over the real stack: every validation rule (alone and together, before any
side effect), delivery to the fee register with a receipt, idempotent replay and conflict, and
a register outage (accepted as PENDING, listed, delivered once after recovery)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from simulators.population import documented
from simulators.population.models import Reading, ReadingSource
from tests.graph.submission.helpers import (
    SUBMIT_READING,
    codes,
    homeowner_meter,
    meter_id,
    reading_input,
    receipt,
    submissions,
    today_iso,
    wait_until,
)

MUTATION = "submitMeterReading"


async def submit(graph, variables, pid=None):
    return await graph.query(
        SUBMIT_READING, {"input": variables}, pid=pid or graph.pid(documented.HOMEOWNER)
    )


PENDING_ON_METER = """{ viewer { properties { nodes { waterMeters {
  pendingReadings { receiptId status reading { value } } } } } } }"""


async def pending_on_meter(graph, pid):
    result = await graph.query(PENDING_ON_METER, pid=pid)
    assert "errors" not in result, result
    return [
        (item["receiptId"], item["status"])
        for node in result["data"]["viewer"]["properties"]["nodes"]
        for meter in node["waterMeters"]
        for item in meter["pendingReadings"]
    ]


async def test_a_reading_is_delivered_with_the_registers_figures(graph):
    meter = homeowner_meter(graph)
    before = len(meter.readings)
    last = meter.readings[-1].value_m3
    answer = receipt(await submit(graph, reading_input(meter, "42.5")), MUTATION)

    assert answer["status"] == "DELIVERED"
    assert answer["statusLabel"] == "Levert"
    assert answer["meterNumber"] == meter.meter_number
    assert Decimal(answer["reading"]["value"]) == last + Decimal("42.5")
    assert answer["reading"]["readOn"] == today_iso()
    assert Decimal(answer["consumptionSinceLast"]) == Decimal("42.5")
    assert answer["registerReceiptId"]
    assert answer["rejectionReason"] is None
    stored = graph.stack.population.meter_by_number(meter.meter_number).readings
    assert len(stored) == before + 1
    assert stored[-1].value_m3 == last + Decimal("42.5")


async def test_comma_decimal_and_a_comment_are_accepted(graph):
    meter = homeowner_meter(graph)
    value = format(meter.readings[-1].value_m3 + 10, "f").replace(".", ",")
    answer = receipt(
        await submit(graph, reading_input(meter, value=value, comment="Avlest av nabo")),
        MUTATION,
    )
    assert answer["status"] == "DELIVERED"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"value": "12a"}, ("value", "INVALID_FORMAT")),
        ({"value": "1.2.3"}, ("value", "INVALID_FORMAT")),
        ({"value": "２１５０"}, ("value", "INVALID_FORMAT")),  # fullwidth digits
        ({"value": "١٢٣"}, ("value", "INVALID_FORMAT")),  # Arabic-Indic digits
        ({"value": ""}, ("value", "INVALID_FORMAT")),
        ({"value": "-1"}, ("value", "OUT_OF_RANGE")),
        ({"value": "1234567"}, ("value", "OUT_OF_RANGE")),
        ({"value": "12.1234"}, ("value", "OUT_OF_RANGE")),
        ({"readOn": (date.today() + timedelta(days=2)).isoformat()}, ("readOn", "DATE_IN_FUTURE")),
        ({"comment": "x" * 501}, ("comment", "TOO_LONG")),
        ({"idempotencyKey": ""}, ("idempotencyKey", "INVALID_FORMAT")),
        ({"idempotencyKey": "k" * 201}, ("idempotencyKey", "INVALID_FORMAT")),
        ({"meterId": "not-an-id"}, ("meterId", "NOT_FOUND")),
    ],
)
async def test_form_rules_each_alone(graph, overrides, expected):
    meter = homeowner_meter(graph)
    result = await submit(graph, reading_input(meter, **overrides))
    assert codes(result, MUTATION) == {expected}
    assert await graph.calls("fees") == {}  # refused before the register was even asked


async def test_a_value_in_other_digits_is_refused_with_what_to_type(graph):
    meter = homeowner_meter(graph)
    result = await graph.query(
        SUBMIT_READING,
        {"input": reading_input(meter, value="２１５０")},
        pid=graph.pid(documented.HOMEOWNER),
        headers={"Accept-Language": "en"},
    )
    (error,) = result["data"][MUTATION]["errors"]
    assert error["code"] == "INVALID_FORMAT"
    assert "0–9" in error["message"], error
    assert await graph.calls("fees") == {}


async def test_someone_elses_meter_is_not_found(graph):
    population = graph.stack.population
    (owned,) = population.properties_of(graph.pid(documented.HOMEOWNER))
    (meter,) = population.meters(owned.property.matrikkelnummer)
    result = await submit(graph, reading_input(meter), pid=graph.pid(documented.RENTER))
    assert codes(result, MUTATION) == {("meterId", "NOT_FOUND")}
    result = await submit(graph, reading_input(meter, meterId=meter_id("999999999")))
    assert codes(result, MUTATION) == {("meterId", "NOT_FOUND")}
    assert "submitReading" not in await graph.calls("fees")


async def test_register_rules_each_alone(graph):
    meter = homeowner_meter(graph)
    last = meter.readings[-1]
    below = format(last.value_m3 - 1, "f")
    before_last = (last.read_on - timedelta(days=1)).isoformat()
    cases = [
        ({"value": below}, {("value", "VALUE_BELOW_LAST_READING")}),
        (
            {"value": format(last.value_m3, "f"), "readOn": before_last},
            {("readOn", "DATE_BEFORE_LAST_READING")},
        ),
        ({"value": format(last.value_m3 + 5000, "f")}, {("value", "UNUSUAL_CONSUMPTION")}),
    ]
    for overrides, expected in cases:
        assert codes(await submit(graph, reading_input(meter, **overrides)), MUTATION) == expected
    assert "submitReading" not in await graph.calls("fees")
    assert len(graph.stack.population.meter_by_number(meter.meter_number).readings) == len(
        meter.readings
    )


async def test_several_problems_are_reported_together(graph):
    meter = homeowner_meter(graph)
    last = meter.readings[-1]
    result = await submit(
        graph,
        reading_input(
            meter,
            value=format(last.value_m3 - 1, "f"),
            readOn=(last.read_on - timedelta(days=3)).isoformat(),
        ),
    )
    assert codes(result, MUTATION) == {
        ("value", "VALUE_BELOW_LAST_READING"),
        ("readOn", "DATE_BEFORE_LAST_READING"),
    }
    result = await submit(
        graph,
        reading_input(
            meter,
            value="x",
            readOn=(date.today() + timedelta(days=3)).isoformat(),
            comment="y" * 600,
            idempotencyKey="",
        ),
    )
    assert codes(result, MUTATION) == {
        ("value", "INVALID_FORMAT"),
        ("readOn", "DATE_IN_FUTURE"),
        ("comment", "TOO_LONG"),
        ("idempotencyKey", "INVALID_FORMAT"),
    }


async def test_unusual_consumption_is_accepted_when_confirmed(graph):
    meter = homeowner_meter(graph)
    variables = reading_input(meter, "5000")
    assert codes(await submit(graph, variables), MUTATION) == {("value", "UNUSUAL_CONSUMPTION")}
    answer = receipt(await submit(graph, {**variables, "confirmUnusual": True}), MUTATION)
    assert answer["status"] == "DELIVERED"
    assert Decimal(answer["consumptionSinceLast"]) == Decimal(5000)


async def test_messages_follow_accept_language(graph):
    meter = homeowner_meter(graph)
    variables = {"input": reading_input(meter, value="abc")}
    pid = graph.pid(documented.HOMEOWNER)
    english = await graph.query(
        SUBMIT_READING, variables, pid=pid, headers={"Accept-Language": "en"}
    )
    nynorsk = await graph.query(
        SUBMIT_READING, variables, pid=pid, headers={"Accept-Language": "nn-NO"}
    )
    assert english["data"][MUTATION]["errors"][0]["message"].startswith("Invalid format")
    assert nynorsk["data"][MUTATION]["errors"][0]["message"].startswith("Ugyldig format")


async def test_a_replaced_meters_successor_may_read_lower(graph):
    population = graph.stack.population
    pid = graph.pid(documented.CO_OWNER_A)
    meters = [
        meter
        for owned in population.properties_of(pid)
        for meter in population.meters(owned.property.matrikkelnummer)
    ]
    old = next(m for m in meters if m.replaced_on is not None)
    new = next(m for m in meters if m.replaced_on is None and m.installed_on >= old.replaced_on)
    assert new.readings[-1].value_m3 < old.readings[-1].value_m3
    answer = receipt(await submit(graph, reading_input(new, "10"), pid=pid), MUTATION)
    assert answer["status"] == "DELIVERED"
    # The replaced meter itself takes no more readings.
    result = await submit(graph, reading_input(old, "10"), pid=pid)
    assert codes(result, MUTATION) == {("meterId", "METER_REPLACED")}


async def test_replay_answers_the_same_receipt_and_a_changed_input_conflicts(graph):
    meter = homeowner_meter(graph)
    before = len(meter.readings)
    variables = reading_input(meter, "12", idempotencyKey="campaign-2026-homeowner")
    first = receipt(await submit(graph, variables), MUTATION)
    again = receipt(await submit(graph, variables), MUTATION)
    assert again == first
    # "12.50" and "12.5" are the same reading: still a replay.
    same = {**variables, "value": variables["value"] + "0", "confirmUnusual": True}
    assert receipt(await submit(graph, same), MUTATION)["receiptId"] == first["receiptId"]

    changed = {**variables, "value": format(Decimal(variables["value"]) + 1, "f")}
    assert codes(await submit(graph, changed), MUTATION) == {("idempotencyKey", "CONFLICT")}
    assert len(graph.stack.population.meter_by_number(meter.meter_number).readings) == before + 1
    calls = await graph.calls("fees")
    assert calls["submitReading"] == 1

    # The key is the viewer's own: another citizen's identical key is a new submission.
    population = graph.stack.population
    pid = graph.pid(documented.LANDOWNER)
    owned = population.properties_of(pid)[0]
    other_meter = population.meters(owned.property.matrikkelnummer)[0]
    other = receipt(
        await submit(
            graph,
            reading_input(other_meter, "3", idempotencyKey=variables["idempotencyKey"]),
            pid=pid,
        ),
        MUTATION,
    )
    assert other["receiptId"] != first["receiptId"]


async def test_register_outage_gives_pending_then_delivers_exactly_once(graph):
    meter = homeowner_meter(graph)
    before = len(meter.readings)
    pid = graph.pid(documented.HOMEOWNER)
    await graph.fault("fees", operation="submitReading", outage=True)
    variables = reading_input(meter, "7")
    answer = receipt(await submit(graph, variables), MUTATION)
    assert answer["status"] == "PENDING"
    assert answer["consumptionSinceLast"] is None

    pending = await submissions(graph, pid, statuses=["PENDING"])
    assert [(s["receiptId"], s["kind"]) for s in pending] == [
        (answer["receiptId"], "METER_READING")
    ]
    assert pending[0]["reading"]["value"] == answer["reading"]["value"]
    # ... and in the matching list: the meter's own pending readings.
    assert await pending_on_meter(graph, pid) == [(answer["receiptId"], "PENDING")]
    # A replay while pending answers the same pending receipt, and sends nothing new.
    assert receipt(await submit(graph, variables), MUTATION)["receiptId"] == answer["receiptId"]

    async with graph.http.delete(f"{graph.stack.urls['fees']}/_admin/faults") as response:
        assert response.status in (200, 204)

    async def delivered():
        items = await submissions(graph, pid, kinds=["METER_READING"])
        return items[0]["status"] == "DELIVERED" and items[0]

    done = await wait_until(delivered)
    assert done["receiptId"] == answer["receiptId"]
    assert Decimal(done["consumptionSinceLast"]) == Decimal(7)
    assert await submissions(graph, pid, statuses=["PENDING"]) == []
    assert await pending_on_meter(graph, pid) == []
    readings = graph.stack.population.meter_by_number(meter.meter_number).readings
    assert len(readings) == before + 1
    assert format(readings[-1].value_m3, "f") == variables["value"]


async def test_register_rejection_is_visible(graph):
    # The register refuses what the gateway could not know: a reading registered meanwhile by
    # a technician makes this one "before the last reading" at delivery time.
    meter = homeowner_meter(graph)
    pid = graph.pid(documented.HOMEOWNER)
    await graph.fault("fees", operation="submitReading", outage=True)
    answer = receipt(await submit(graph, reading_input(meter, "5")), MUTATION)
    assert answer["status"] == "PENDING"
    from simulators.population.models import Reading, ReadingSource

    graph.stack.population.add_reading(
        meter.meter_number,
        Reading(date.today(), meter.readings[-1].value_m3 + 100, ReadingSource.TECHNICIAN),
    )
    async with graph.http.delete(f"{graph.stack.urls['fees']}/_admin/faults") as response:
        assert response.status in (200, 204)

    async def rejected():
        items = await submissions(graph, pid, statuses=["REJECTED"])
        return items and items[0]

    done = await wait_until(rejected)
    assert done["receiptId"] == answer["receiptId"]
    assert done["rejectionCode"] == "below_last_reading"
    # The citizen gets our words for it, never the register's own error text.
    assert done["rejectionReason"] == "Målerstanden er lavere enn forrige avlesning."


async def test_anonymous_is_refused(graph):
    meter = homeowner_meter(graph)
    result = await graph.query(SUBMIT_READING, {"input": reading_input(meter)})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_of_two_readings_on_one_day_the_later_registered_is_the_last(graph):
    # The register lists readings oldest first, same-day ones in the order it registered them,
    # and checks a new reading against the last of the list.
    meter = homeowner_meter(graph)
    last = meter.readings[-1].value_m3
    today = date.fromisoformat(today_iso())
    population = graph.stack.population
    for increase in (10, 20):
        population.add_reading(
            meter.meter_number, Reading(today, last + increase, ReadingSource.CITIZEN)
        )
    between = format(last + 15, "f")

    result = await submit(graph, reading_input(meter, value=between))
    assert codes(result, MUTATION) == {("value", "VALUE_BELOW_LAST_READING")}
    assert "submitReading" not in await graph.calls("fees")  # refused at once, nothing sent
    assert await submissions(graph, graph.pid(documented.HOMEOWNER)) == []
    shown = await graph.query(
        "{ viewer { properties { nodes { waterMeters { readings(first: 1) { value } } } } } }",
        pid=graph.pid(documented.HOMEOWNER),
    )
    (node,) = shown["data"]["viewer"]["properties"]["nodes"]
    assert Decimal(node["waterMeters"][0]["readings"][0]["value"]) == last + 20
    at_last = format(last + 20, "f")
    assert receipt(await submit(graph, reading_input(meter, value=at_last)), MUTATION)
