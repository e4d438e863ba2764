"""The fee/meter simulator speaks its OpenAPI contract over a real socket."""

from __future__ import annotations

from decimal import Decimal

import jsonschema
import pytest
import yaml

from tests.json_simulators import assert_openapi_matches_routes

HOMEOWNER_PROPERTY = "3030-1/101/0/0"  # documented person 1: a house with one active meter
UNKNOWN_PROPERTY = "3030-999/999/0/0"


async def post(sim, path, body, headers=None, auth=True):
    send = {**(sim.auth if auth else {}), **(headers or {})}
    async with sim.session.post(sim.url + path, json=body, headers=send) as response:
        return response.status, response.headers, await response.read()


async def get(sim, path, auth=True):
    async with sim.session.get(sim.url + path, headers=sim.auth if auth else {}) as response:
        return response.status, response.headers, await response.read()


def json_of(raw):
    import json

    return json.loads(raw)


async def test_health_and_openapi_document_are_served(fees_sim, openapi_doc, validate):
    status, _, body = await get(fees_sim, "/healthz", auth=False)
    assert status == 200
    validate("Health", json_of(body))
    status, headers, body = await get(fees_sim, "/openapi.yaml", auth=False)
    assert status == 200
    assert headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(body) == openapi_doc
    assert openapi_doc["openapi"].startswith("3.1")


@pytest.mark.parametrize("auth", [None, ("minside", "wrong")])
async def test_api_needs_basic_auth(fees_sim, validate, auth):
    import aiohttp

    async with fees_sim.session.post(
        fees_sim.url + "/api/v1/properties/query",
        json={"matrikkelnummer": [HOMEOWNER_PROPERTY]},
        headers={"Authorization": aiohttp.encode_basic_auth(*auth)} if auth else {},
    ) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        problem = await response.json(content_type=None)
    validate("Problem", problem)
    assert problem["code"] == "unauthorized"
    assert fees_sim.control.calls["queryProperties"] == 0


async def test_query_is_aligned_with_keys_and_explicit_about_missing_ones(fees_sim, validate):
    keys = [UNKNOWN_PROPERTY, HOMEOWNER_PROPERTY, UNKNOWN_PROPERTY]
    status, _, raw = await post(fees_sim, "/api/v1/properties/query", {"matrikkelnummer": keys})
    assert status == 200
    body = json_of(raw)
    validate("PropertyQueryResult", body)
    assert [r["matrikkelnummer"] for r in body["results"]] == keys
    assert [r["found"] for r in body["results"]] == [False, True, False]
    found = body["results"][1]
    population = fees_sim.population
    assert len(found["feeBasis"]) == len(population.fee_basis(HOMEOWNER_PROPERTY))
    tax = population.tax_basis(HOMEOWNER_PROPERTY)
    assert Decimal(found["taxBasis"]["annualTax"]) == tax.annual_tax
    assert [m["meterNumber"] for m in found["meters"]] == [
        m.meter_number for m in population.meters(HOMEOWNER_PROPERTY)
    ]
    assert fees_sim.control.calls["queryProperties"] == 1


async def test_property_of_another_municipality_is_not_found(fees_sim):
    # Documented person 9 has a cabin in kommune 3301: Matrikkel knows it, this register not.
    person = fees_sim.population.person(9)
    elsewhere = [
        o.property.matrikkelnummer
        for o in fees_sim.population.properties_of(person.pid)
        if o.property.kommunenummer != "3030"
    ]
    assert elsewhere
    _, _, raw = await post(fees_sim, "/api/v1/properties/query", {"matrikkelnummer": elsewhere})
    assert [r["found"] for r in json_of(raw)["results"]] == [False]


async def test_include_limits_the_parts(fees_sim, validate):
    _, _, raw = await post(
        fees_sim,
        "/api/v1/properties/query",
        {"matrikkelnummer": [HOMEOWNER_PROPERTY], "include": ["taxBasis"]},
    )
    body = json_of(raw)
    validate("PropertyQueryResult", body)
    assert set(body["results"][0]) == {"matrikkelnummer", "found", "taxBasis"}


async def test_batch_over_the_cap_is_refused(fees_sim, validate):
    keys = [f"3030-1/{n}/0/0" for n in range(1, 502)]
    status, headers, raw = await post(
        fees_sim, "/api/v1/properties/query", {"matrikkelnummer": keys}
    )
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == "batch_too_large"
    status, _, _ = await post(fees_sim, "/api/v1/properties/query", {"matrikkelnummer": keys[:500]})
    assert status == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"matrikkelnummer": ["12/45"]}, "invalid_matrikkelnummer"),
        ({"matrikkelnummer": []}, "invalid_request"),
        ({"matrikkelnummer": [HOMEOWNER_PROPERTY], "include": ["owners"]}, "invalid_request"),
        ({"keys": [HOMEOWNER_PROPERTY]}, "invalid_request"),
    ],
)
async def test_bad_queries_get_422_with_a_code(fees_sim, validate, body, code):
    status, _, raw = await post(fees_sim, "/api/v1/properties/query", body)
    assert status == 422
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == code


async def test_meter_by_number(fees_sim, validate):
    meter = fees_sim.population.meters(HOMEOWNER_PROPERTY)[0]
    status, _, raw = await get(fees_sim, f"/api/v1/meters/{meter.meter_number}")
    assert status == 200
    body = json_of(raw)
    validate("Meter", body)
    assert body["matrikkelnummer"] == HOMEOWNER_PROPERTY
    assert [Decimal(r["value"]) for r in body["readings"]] == [r.value_m3 for r in meter.readings]
    status, _, raw = await get(fees_sim, "/api/v1/meters/999999")
    assert status == 404
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == "not_found"


def _active_meter(sim):
    return sim.population.meters(HOMEOWNER_PROPERTY)[0]


async def test_reading_is_registered_and_replayed_by_idempotency_key(fees_sim, validate):
    meter = _active_meter(fees_sim)
    last = meter.readings[-1]
    value = last.value_m3 + Decimal("12.5")
    path = f"/api/v1/meters/{meter.meter_number}/readings"
    body = {"value": str(value), "readOn": "2026-06-10", "comment": "Avlest av eier"}
    status, _, raw = await post(fees_sim, path, body, {"Idempotency-Key": "k-1"})
    assert status == 201
    first = json_of(raw)
    validate("ReadingAccepted", first)
    assert Decimal(first["consumptionSinceLast"]) == Decimal("12.5")
    assert fees_sim.population.meters(HOMEOWNER_PROPERTY)[0].readings[-1].value_m3 == value

    status, headers, raw = await post(fees_sim, path, body, {"Idempotency-Key": "k-1"})
    assert status == 200
    assert headers["Idempotent-Replayed"] == "true"
    assert json_of(raw) == first
    # The replay did not register a second reading.
    readings = fees_sim.population.meters(HOMEOWNER_PROPERTY)[0].readings
    assert len(readings) == len(meter.readings) + 1

    changed = {**body, "value": str(value + 1)}
    status, _, raw = await post(fees_sim, path, changed, {"Idempotency-Key": "k-1"})
    assert status == 409
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == "idempotency_conflict"


async def test_reading_without_idempotency_key_is_refused(fees_sim, validate):
    meter = _active_meter(fees_sim)
    status, _, raw = await post(
        fees_sim,
        f"/api/v1/meters/{meter.meter_number}/readings",
        {"value": "99999", "readOn": "2026-06-10"},
    )
    assert status == 400
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == "idempotency_key_missing"


async def test_reading_validation_codes(fees_sim, validate):
    meter = _active_meter(fees_sim)
    last = meter.readings[-1]
    above = str(last.value_m3 + 1)
    cases = [
        (
            meter.meter_number,
            {"value": str(last.value_m3 - 1), "readOn": "2026-06-10"},
            "below_last_reading",
        ),
        (meter.meter_number, {"value": above, "readOn": "2026-06-16"}, "date_in_future"),
        (
            meter.meter_number,
            {"value": above, "readOn": last.read_on.replace(day=1).isoformat()},
            "before_last_reading",
        ),
        ("999999", {"value": above, "readOn": "2026-06-10"}, "unknown_meter"),
        (meter.meter_number, {"value": "-3", "readOn": "2026-06-10"}, "invalid_value"),
        (meter.meter_number, {"value": 12.5, "readOn": "2026-06-10"}, "invalid_value"),
        (meter.meter_number, {"value": above, "readOn": "10.06.2026"}, "invalid_request"),
    ]
    for number, body, code in cases:
        status, _, raw = await post(
            fees_sim, f"/api/v1/meters/{number}/readings", body, {"Idempotency-Key": code}
        )
        assert (status, json_of(raw)["code"]) == (422, code)
        validate("Problem", json_of(raw))
    assert fees_sim.population.meters(HOMEOWNER_PROPERTY)[0].readings == meter.readings


async def test_reading_on_a_replaced_meter_is_refused(fees_sim):
    # Documented person 6 (co-owner A) has a meter that was replaced.
    person = fees_sim.population.person(6)
    number = fees_sim.population.properties_of(person.pid)[0].property.matrikkelnummer
    replaced = [m for m in fees_sim.population.meters(number) if not m.is_active]
    assert replaced
    status, _, raw = await post(
        fees_sim,
        f"/api/v1/meters/{replaced[0].meter_number}/readings",
        {"value": "99999", "readOn": "2026-06-10"},
        {"Idempotency-Key": "r"},
    )
    assert (status, json_of(raw)["code"]) == (422, "meter_replaced")


async def test_injected_error_and_outage(fees_sim, validate):
    async with fees_sim.session.post(
        fees_sim.url + "/_admin/faults", json={"operation": "getMeter", "error_rate": 1.0}
    ) as response:
        assert response.status == 200
    meter = _active_meter(fees_sim)
    status, _, raw = await get(fees_sim, f"/api/v1/meters/{meter.meter_number}")
    assert status == 500
    validate("Problem", json_of(raw))
    assert json_of(raw)["code"] == "internal_error"

    fees_sim.control.clear_faults()
    async with fees_sim.session.post(
        fees_sim.url + "/_admin/faults", json={"operation": "*", "outage": True}
    ) as response:
        assert response.status == 200
    status, _, raw = await get(fees_sim, f"/api/v1/meters/{meter.meter_number}")
    assert (status, raw) == (503, b"")
    async with fees_sim.session.get(fees_sim.url + "/_admin/calls") as response:
        assert (await response.json())["getMeter"] == 2


async def test_slow_body_still_delivers_the_same_json(fees_sim, validate):
    fees_sim.control.clear_faults()
    async with fees_sim.session.post(
        fees_sim.url + "/_admin/faults", json={"operation": "queryProperties", "slow_body_ms": 200}
    ) as response:
        assert response.status == 200
    status, _, raw = await post(
        fees_sim, "/api/v1/properties/query", {"matrikkelnummer": [HOMEOWNER_PROPERTY]}
    )
    assert status == 200
    validate("PropertyQueryResult", json_of(raw))


@pytest.mark.parametrize("mode", ["truncated", "not_json", "wrong_shape"])
async def test_garble_switch_breaks_the_payload(fees_sim, validate, mode):
    async with fees_sim.session.post(
        fees_sim.url + "/_admin/garble", json={"operation": "queryProperties", "mode": mode}
    ) as response:
        assert response.status == 200
    status, _, raw = await post(
        fees_sim, "/api/v1/properties/query", {"matrikkelnummer": [HOMEOWNER_PROPERTY]}
    )
    assert status == 200
    with pytest.raises((ValueError, jsonschema.ValidationError)):
        validate("PropertyQueryResult", json_of(raw))
    async with fees_sim.session.delete(fees_sim.url + "/_admin/garble") as response:
        assert response.status == 200
    _, _, raw = await post(
        fees_sim, "/api/v1/properties/query", {"matrikkelnummer": [HOMEOWNER_PROPERTY]}
    )
    validate("PropertyQueryResult", json_of(raw))


async def test_state_reset_forgets_readings_and_their_idempotency_keys(fees_sim):
    meter = _active_meter(fees_sim)
    path = f"/api/v1/meters/{meter.meter_number}/readings"
    body = {"value": str(meter.readings[-1].value_m3 + 1), "readOn": "2026-06-10"}
    status, _, _ = await post(fees_sim, path, body, {"Idempotency-Key": "again"})
    assert status == 201
    await post(fees_sim, "/_admin/garble", {"operation": "*", "mode": "truncated"})
    async with fees_sim.session.post(fees_sim.url + "/_admin/reset?state=true") as response:
        assert response.status == 200
        assert (await response.json())["state"] is True
    assert fees_sim.population.meters(HOMEOWNER_PROPERTY)[0].readings == meter.readings
    assert fees_sim.control.calls["submitReading"] == 0
    status, _, raw = await post(fees_sim, path, body, {"Idempotency-Key": "again"})
    assert status == 201  # registered anew (and not garbled any more)
    json_of(raw)


def test_openapi_document_is_valid_openapi_and_matches_the_routes(openapi_doc):
    from simulators.fees.app import build_app

    assert_openapi_matches_routes("fees", openapi_doc, build_app)
