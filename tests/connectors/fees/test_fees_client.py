"""FeesClient against the fee/meter simulator over a real loopback socket."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from connectors.errors import (
    CircuitOpen,
    MalformedResponse,
    NotFound,
    Rejected,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.fees import (
    FeeKind,
    IdempotencyConflict,
    PropertyRecord,
    ReadingRejectionCode,
    ReadingSource,
)

HOME = "3030-1/101/0/0"  # documented homeowner: a house with one active meter
LAND = [f"3030-1/2{slot:02d}/0/0" for slot in range(1, 6)]  # landowner's first properties
UNKNOWN = "3030-999/999/0/0"


async def test_property_data_is_aligned_with_missing_keys_as_none(stack):
    client = stack.client()
    keys = [UNKNOWN, HOME, "not-a-matrikkelnummer", HOME]
    records = await client.property_data(keys)
    assert [r is None for r in records] == [True, False, True, False]
    home = records[1]
    assert isinstance(home, PropertyRecord)
    assert home == records[3]
    assert home.matrikkelnummer == HOME
    expected_fees = stack.population.fee_basis(HOME)
    assert [(f.code, f.annual_amount) for f in home.fee_basis] == [
        (f.code, f.annual_amount) for f in expected_fees
    ]
    assert all(isinstance(f.kind, FeeKind) for f in home.fee_basis)
    tax = stack.population.tax_basis(HOME)
    assert home.tax_basis is not None
    assert home.tax_basis.annual_tax == tax.annual_tax
    assert home.tax_basis.rate_per_mille == tax.rate_per_mille
    (meter,) = home.meters
    expected = stack.population.meters(HOME)[0]
    assert meter.meter_number == expected.meter_number
    assert [(r.read_on, r.value_m3) for r in meter.readings] == [
        (r.read_on, r.value_m3) for r in expected.readings
    ]
    assert isinstance(meter.readings[0].value_m3, Decimal)
    # Duplicates and the malformed key were not sent: one call for the one unique good batch.
    assert stack.control.calls["queryProperties"] == 1


async def test_property_data_is_chunked_by_batch_size(stack):
    client = stack.client(batch_size=2)
    keys = [*LAND, UNKNOWN]
    records = await client.property_data(keys)
    assert [r.matrikkelnummer if r else None for r in records] == [*LAND, None]
    calls = await stack.admin_json("/_admin/calls")
    assert calls["queryProperties"] == 3  # 6 keys in batches of 2


async def test_empty_key_list_makes_no_call(stack):
    assert await stack.client().property_data([]) == []
    assert stack.control.calls["queryProperties"] == 0


async def test_meter_by_number_and_not_found(stack):
    client = stack.client()
    number = stack.population.meters(HOME)[0].meter_number
    meter = await client.meter(number)
    assert meter.matrikkelnummer == HOME
    assert meter.is_active
    with pytest.raises(NotFound) as caught:
        await client.meter("999999")
    assert caught.value.system == "fees"


async def test_submit_reading_and_idempotent_replay(stack):
    client = stack.client()
    meter = stack.population.meters(HOME)[0]
    value = meter.readings[-1].value_m3 + Decimal("7.250")
    accepted = await client.submit_reading(
        meter.meter_number, value, date(2026, 6, 1), "reading-1", comment="Fra Min side"
    )
    assert accepted.value_m3 == value
    assert accepted.read_on == date(2026, 6, 1)
    assert accepted.consumption_since_last == Decimal("7.250")
    assert not accepted.replayed
    again = await client.submit_reading(
        meter.meter_number, value, date(2026, 6, 1), "reading-1", comment="Fra Min side"
    )
    assert again.replayed
    assert again.receipt_id == accepted.receipt_id
    latest = stack.population.meters(HOME)[0].readings
    assert len(latest) == len(meter.readings) + 1
    assert latest[-1].source == ReadingSource.CITIZEN

    with pytest.raises(IdempotencyConflict) as caught:
        await client.submit_reading(meter.meter_number, value + 1, date(2026, 6, 1), "reading-1")
    assert caught.value.code == "idempotency_conflict"
    assert not isinstance(caught.value, Rejected)


@pytest.mark.parametrize(
    ("delta", "read_on", "code"),
    [
        (Decimal("-1"), date(2026, 6, 1), ReadingRejectionCode.BELOW_LAST_READING),
        (Decimal("1"), date(2026, 6, 16), ReadingRejectionCode.DATE_IN_FUTURE),
        (Decimal("1"), date(2020, 1, 1), ReadingRejectionCode.BEFORE_LAST_READING),
    ],
)
async def test_submit_reading_rejections_carry_the_code(stack, delta, read_on, code):
    meter = stack.population.meters(HOME)[0]
    with pytest.raises(Rejected) as caught:
        await stack.client().submit_reading(
            meter.meter_number, meter.readings[-1].value_m3 + delta, read_on, f"k-{code}"
        )
    assert caught.value.code == code
    assert caught.value.operation == "submitReading"
    assert stack.population.meters(HOME)[0].readings == meter.readings


async def test_submit_reading_on_unknown_meter(stack):
    with pytest.raises(Rejected) as caught:
        await stack.client().submit_reading("999999", Decimal(1), date(2026, 6, 1), "k")
    assert caught.value.code == ReadingRejectionCode.UNKNOWN_METER
    # A number that would change the URL path is refused before any call.
    with pytest.raises(Rejected):
        await stack.client().submit_reading("../healthz", Decimal(1), date(2026, 6, 1), "k")
    assert stack.control.calls["submitReading"] == 1


async def test_latency_beyond_the_deadline_is_a_timeout_and_reads_are_retried(stack):
    stack.fault("getMeter", latency_ms=1500)
    number = stack.population.meters(HOME)[0].meter_number
    with pytest.raises(SystemTimeout):
        await stack.client(deadline_s=0.5).meter(number)
    assert stack.control.calls["getMeter"] == 3  # 1 + 2 retries


async def test_slow_body_beyond_the_deadline_is_a_timeout(stack):
    stack.fault("queryProperties", slow_body_ms=2000)
    with pytest.raises(SystemTimeout):
        await stack.client(deadline_s=0.5).property_data([HOME])


async def test_writes_are_never_retried(stack):
    stack.fault("submitReading", outage=True)
    meter = stack.population.meters(HOME)[0]
    with pytest.raises(SystemUnavailable):
        await stack.client().submit_reading(
            meter.meter_number, meter.readings[-1].value_m3 + 1, date(2026, 6, 1), "k"
        )
    assert stack.control.calls["submitReading"] == 1


async def test_server_error_is_a_remote_fault_with_the_problem_code(stack):
    stack.fault("queryProperties", error_rate=1.0)
    with pytest.raises(RemoteFault) as caught:
        await stack.client().property_data([HOME])
    assert caught.value.code == "internal_error"
    assert not isinstance(caught.value, Rejected)
    assert stack.control.calls["queryProperties"] == 1  # the system answered: no retry


@pytest.mark.parametrize("mode", ["truncated", "not_json", "wrong_shape"])
async def test_malformed_payload_is_malformed_response(stack, mode):
    await stack.admin_json(
        "/_admin/garble", "POST", json={"operation": "queryProperties", "mode": mode}
    )
    with pytest.raises(MalformedResponse):
        await stack.client().property_data([HOME])


async def test_wrong_credentials_are_unauthorized(stack):
    with pytest.raises(RemoteFault) as caught:
        await stack.client(password="wrong").property_data([HOME])
    assert caught.value.code == "unauthorized"


async def test_outage_opens_the_breaker_and_it_recovers(stack):
    client = stack.client()
    stack.fault("*", outage=True)
    for _ in range(3):
        with pytest.raises(SystemUnavailable) as caught:
            await client.ping()
        assert not isinstance(caught.value, CircuitOpen)
        if stack.resilience.breaker_state == "open":
            break
    assert stack.resilience.breaker_state == "open"
    calls_when_opened = stack.control.calls["health"]
    with pytest.raises(CircuitOpen):
        await client.property_data([HOME])
    assert stack.control.calls["health"] == calls_when_opened
    assert stack.control.calls["queryProperties"] == 0

    stack.control.clear_faults()
    await asyncio.sleep(0.4)  # past breaker_reset_s: the next call is the half-open probe
    records = await client.property_data([HOME])
    assert records[0] is not None
    assert stack.resilience.breaker_state == "closed"


async def test_unreachable_backend_is_unavailable(stack):
    from kernel.servers import free_port

    client = stack.client()
    dead = type(client)(
        stack.session, f"http://127.0.0.1:{free_port()}", "u", "p", stack.resilience
    )
    with pytest.raises(SystemUnavailable):
        await dead.ping()


async def test_ping(stack):
    await stack.client().ping()
    assert stack.control.calls["health"] == 1


async def test_no_personal_identity_number_in_any_url(stack):
    import re

    client = stack.client()
    number = stack.population.meters(HOME)[0].meter_number
    await client.property_data([HOME, *LAND])
    await client.meter(number)
    await client.ping()
    paths = await stack.admin_json("/_admin/requests")
    assert len(paths) >= 3
    assert not any(re.search(r"\d{11}", path) for path in paths)


async def test_malformed_meter_number_is_not_found_without_a_call(stack):
    with pytest.raises(NotFound):
        await stack.client().meter("../../healthz")
    assert stack.control.calls == {}
