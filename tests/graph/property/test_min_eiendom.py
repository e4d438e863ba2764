"""Min eiendom over the whole stack: values from the population, co-owners, sections, other
municipalities, batching, pagination edges, partial failures and node(id:) authorization."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from resolvers.property.geo import utm33_to_wgs84

PROPERTY_FIELDS = """
  id matrikkelnummer { kommunenummer gardsnummer bruksnummer festenummer seksjonsnummer text }
  municipality { number name } ownershipShare isSectioned area
  address { street number letter postnummer poststed text }
  buildings { buildingNumber typeCode typeLabel builtYear floors footprintArea }
  feeBasis { total { amount currency } lines { kind kindLabel code description unit unitLabel
    quantity unitPrice { amount currency } annualAmount { amount currency } } }
  propertyTaxBasis { year assessedValue { amount } statutoryReduction { amount }
    basicDeduction { amount } taxBase { amount } ratePerMille annualTax { amount }
    exemption isExempt }
  waterMeters { id meterNumber installedOn replacedOn isActive
    readings { value readOn source sourceLabel }
    consumption(years: 3) { year consumption fromDate toDate estimated } }
  map { centroid { latitude longitude } east north boundary boundaryIsApproximate mapUrl }
"""
FULL_QUERY = (
    "query($first: Int, $after: String) { viewer { properties(first: $first, after: $after) {"
    " totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
    " edges { cursor node {" + PROPERTY_FIELDS + "} } } } }"
)


def _properties(result):
    assert "errors" not in result, result["errors"]
    return [edge["node"] for edge in result["data"]["viewer"]["properties"]["edges"]]


async def test_min_eiendom_of_an_ordinary_homeowner_matches_the_registers(graph):
    population = graph.stack.population
    person = population.person(1)
    (ownership,) = population.properties_of(person.pid)
    expected = ownership.property
    result = await graph.query(FULL_QUERY, {"first": 100}, pid=person.pid)
    (prop,) = _properties(result)
    connection = result["data"]["viewer"]["properties"]
    assert connection["totalCount"] == 1
    assert connection["pageInfo"]["hasNextPage"] is False

    assert prop["matrikkelnummer"] == {
        "kommunenummer": expected.kommunenummer,
        "gardsnummer": expected.gnr,
        "bruksnummer": expected.bnr,
        "festenummer": 0,
        "seksjonsnummer": 0,
        "text": expected.matrikkelnummer,
    }
    assert prop["municipality"] == {"number": "3030", "name": "Lillestrøm"}
    assert prop["ownershipShare"] == ownership.share == "1/1"
    assert prop["isSectioned"] is False
    assert Decimal(str(prop["area"])) == expected.area_m2

    (address,) = population.addresses_of(expected.matrikkelenhet_id)
    assert prop["address"]["street"] == address.street
    assert prop["address"]["number"] == address.number
    assert prop["address"]["letter"] == (address.letter or None)
    assert prop["address"]["postnummer"] == address.postnummer
    assert prop["address"]["poststed"] == address.poststed
    assert prop["address"]["text"] == (
        f"{address.street} {address.number}{address.letter}, {address.postnummer} "
        f"{address.poststed}"
    )

    buildings = sorted(
        population.buildings_of(expected.matrikkelenhet_id), key=lambda b: b.bygningsnummer
    )
    assert [b["buildingNumber"] for b in prop["buildings"]] == [b.bygningsnummer for b in buildings]
    for got, want in zip(prop["buildings"], buildings, strict=True):
        assert got["typeCode"] == want.type_code
        # The Bokmål label of the national code (the simulator abbreviates some).
        assert got["typeLabel"].startswith(want.type_name)
        assert got["builtYear"] == want.built_year
        assert got["floors"] == want.floors
        assert Decimal(str(got["footprintArea"])) == want.area_m2

    fee_lines = population.fee_basis(expected.matrikkelnummer)
    lines = prop["feeBasis"]["lines"]
    assert [(line["kind"], line["code"]) for line in lines] == [
        (f.kind.value, f.code) for f in fee_lines
    ]
    for got, want in zip(lines, fee_lines, strict=True):
        assert Decimal(got["quantity"]) == want.quantity
        assert Decimal(got["unitPrice"]["amount"]) == want.unit_price
        assert Decimal(got["annualAmount"]["amount"]) == want.annual_amount
        assert got["annualAmount"]["currency"] == "NOK"
        assert got["description"] == want.description
    assert lines[0]["kindLabel"] == "Vann"
    assert Decimal(prop["feeBasis"]["total"]["amount"]) == sum(f.annual_amount for f in fee_lines)

    tax = population.tax_basis(expected.matrikkelnummer)
    got_tax = prop["propertyTaxBasis"]
    assert got_tax["year"] == tax.year
    assert Decimal(got_tax["assessedValue"]["amount"]) == tax.assessed_value
    assert Decimal(got_tax["statutoryReduction"]["amount"]) == tax.statutory_reduction
    assert Decimal(got_tax["basicDeduction"]["amount"]) == tax.basic_deduction
    assert Decimal(got_tax["taxBase"]["amount"]) == tax.tax_base
    assert Decimal(got_tax["ratePerMille"]) == tax.rate_per_mille
    assert Decimal(got_tax["annualTax"]["amount"]) == tax.annual_tax
    assert got_tax["exemption"] == tax.exemption
    assert got_tax["isExempt"] is (tax.exemption is not None)

    (meter,) = population.meters(expected.matrikkelnummer)
    (got_meter,) = prop["waterMeters"]
    assert got_meter["meterNumber"] == meter.meter_number
    assert got_meter["installedOn"] == meter.installed_on.isoformat()
    assert got_meter["replacedOn"] is None and got_meter["isActive"] is True
    newest_first = sorted(meter.readings, key=lambda r: r.read_on, reverse=True)
    assert [(Decimal(r["value"]), r["readOn"], r["source"]) for r in got_meter["readings"]] == [
        (r.value_m3, r.read_on.isoformat(), r.source.value) for r in newest_first
    ]
    # Yearly consumption: last reading of the year minus last reading of the year before.
    expected_years = [
        (
            new.read_on.year,
            new.value_m3 - old.value_m3,
            "ESTIMATED" in (new.source.value, old.source.value),
        )
        for new, old in pairwise(newest_first)
    ][:3]
    assert [
        (c["year"], Decimal(c["consumption"]), c["estimated"]) for c in got_meter["consumption"]
    ] == expected_years

    lat, lon = prop["map"]["centroid"]["latitude"], prop["map"]["centroid"]["longitude"]
    assert abs(lat - address.lat) < 1e-6 and abs(lon - address.lon) < 1e-6
    assert (prop["map"]["east"], prop["map"]["north"]) == (address.east, address.north)
    boundary = prop["map"]["boundary"]
    assert boundary["type"] == "Polygon"
    ring = boundary["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert min(p[0] for p in ring) < lon < max(p[0] for p in ring)
    assert min(p[1] for p in ring) < lat < max(p[1] for p in ring)
    assert prop["map"]["boundaryIsApproximate"] is True
    assert prop["map"]["mapUrl"].startswith("https://")
    assert f"x={address.east:.0f}" in prop["map"]["mapUrl"]
    assert "3030" in prop["map"]["mapUrl"]


async def test_labels_follow_the_request_language(graph):
    query = """{ viewer { properties { nodes { feeBasis { lines { kindLabel } }
      buildings { typeLabel } waterMeters { readings(first: 1) { sourceLabel } } } } } }"""
    result = await graph.query(query, pid=graph.pid(1), headers={"Accept-Language": "en"})
    (prop,) = result["data"]["viewer"]["properties"]["nodes"]
    assert prop["feeBasis"]["lines"][0]["kindLabel"] == "Water"
    assert prop["waterMeters"][0]["readings"][0]["sourceLabel"] in {
        "Reported by you",
        "Read by the municipality",
        "Estimated",
    }


async def test_co_owners_both_see_the_shared_property_with_half_shares(graph):
    query = "{ viewer { properties { nodes { id matrikkelnummer { text } ownershipShare } } } }"
    seen = []
    for index in (6, 7):
        result = await graph.query(query, pid=graph.pid(index))
        assert "errors" not in result
        seen.append(result["data"]["viewer"]["properties"]["nodes"])
    (a,), (b,) = seen
    assert a == b
    assert a["ownershipShare"] == "1/2"
    owners = graph.stack.population.owners_of(
        graph.stack.population.properties_of(graph.pid(6))[0].property.matrikkelenhet_id
    )
    assert {person.index for person, _ in owners} == {6, 7}


async def test_meter_replacement_is_counted_once_across_the_meters(graph):
    # Co-owner A's property had its meter replaced: the active meter's consumption in the year
    # of the replacement is the old meter's last part plus the new meter's first part.
    population = graph.stack.population
    (ownership,) = population.properties_of(graph.pid(6))
    old, new = population.meters(ownership.property.matrikkelnummer)
    assert old.replaced_on is not None and new.installed_on == old.replaced_on
    query = """{ viewer { properties { nodes { waterMeters { meterNumber isActive replacedOn
      consumption(years: 5) { year consumption } } } } } }"""
    result = await graph.query(query, pid=graph.pid(6))
    (prop,) = result["data"]["viewer"]["properties"]["nodes"]
    active, replaced = prop["waterMeters"]
    assert (active["meterNumber"], active["isActive"]) == (new.meter_number, True)
    assert (replaced["meterNumber"], replaced["replacedOn"]) == (
        old.meter_number,
        old.replaced_on.isoformat(),
    )
    year = old.replaced_on.year
    before = max((r for r in old.readings if r.read_on.year < year), key=lambda r: r.read_on)
    final = max(old.readings, key=lambda r: r.read_on)
    new_end = max((r for r in new.readings if r.read_on.year == year), key=lambda r: r.read_on)
    want = (final.value_m3 - before.value_m3) + (new_end.value_m3 - new.readings[0].value_m3)
    by_year = {c["year"]: Decimal(c["consumption"]) for c in active["consumption"]}
    assert by_year[year] == want
    old_by_year = {c["year"]: Decimal(c["consumption"]) for c in replaced["consumption"]}
    assert old_by_year[year] == final.value_m3 - before.value_m3


async def test_sectioned_flat_and_a_cabin_in_another_municipality(graph):
    result = await graph.query(FULL_QUERY, {}, pid=graph.pid(9))
    flat, cabin = _properties(result)
    assert flat["isSectioned"] is True
    assert flat["matrikkelnummer"]["seksjonsnummer"] > 0
    assert flat["matrikkelnummer"]["text"].endswith(f"/{flat['matrikkelnummer']['seksjonsnummer']}")
    assert flat["waterMeters"] == []  # a section pays water by area, it has no meter
    assert {line["unit"] for line in flat["feeBasis"]["lines"] if line["kind"] == "WATER"} == {
        "COUNT",
        "SQUARE_METRES",
    }
    assert flat["propertyTaxBasis"] is not None

    assert cabin["municipality"] == {"number": "3301", "name": "Drammen"}
    # Min kommune's fee register knows nothing of a property in another municipality.
    assert cabin["feeBasis"] is None
    assert cabin["propertyTaxBasis"] is None
    assert cabin["waterMeters"] == []
    assert cabin["address"]["poststed"] == "Drammen"
    assert "kommune=3301" in cabin["map"]["mapUrl"]
    assert cabin["buildings"][0]["typeCode"] == "161"


async def test_a_renter_owns_nothing(graph):
    result = await graph.query(
        "{ viewer { properties { totalCount nodes { id } pageInfo { hasNextPage } } } }",
        pid=graph.pid(8),
    )
    assert result["data"]["viewer"]["properties"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False},
    }


async def test_calls_per_operation_do_not_grow_with_the_number_of_properties(graph):
    counts = {}
    for index in (1, 2):
        await graph.reset()
        result = await graph.query(FULL_QUERY, {"first": 100}, pid=graph.pid(index))
        assert len(_properties(result)) == (1 if index == 1 else 24)
        counts[index] = {
            "matrikkel": await graph.calls("matrikkel"),
            "fees": await graph.calls("fees"),
        }
    assert counts[1] == counts[2], counts
    assert counts[2]["fees"] == {"queryProperties": 1}
    matrikkel = counts[2]["matrikkel"]
    assert matrikkel["findPersonIdForIdent"] == 1
    # The chain of issue 10: the ids and the addresses are searched by fødselsnummer.
    assert matrikkel["findMatrikkelenheter"] == 1
    assert matrikkel["findAdresseInfoObjekter"] == 1
    assert matrikkel["findByggForMatrikkelenheter"] == 1
    assert sum(matrikkel.values()) <= 10


async def test_pagination_edges(graph):
    pid = graph.pid(2)
    query = """query($first: Int, $after: String) { viewer { properties(first: $first,
      after: $after) { totalCount edges { cursor node { matrikkelnummer { text } } }
      pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""

    async def page(**variables):
        return await graph.query(query, variables, pid=pid)

    empty = (await page(first=0))["data"]["viewer"]["properties"]
    assert empty["totalCount"] == 24 and empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is True

    full = (await page(first=100))["data"]["viewer"]["properties"]
    assert len(full["edges"]) == 24 and full["pageInfo"]["hasNextPage"] is False
    texts = [e["node"]["matrikkelnummer"]["text"] for e in full["edges"]]
    numbers = [tuple(int(x) for x in t.replace("-", "/").split("/")) for t in texts]
    assert numbers == sorted(numbers)  # deterministic: by matrikkelnummer

    first_ten = (await page(first=10))["data"]["viewer"]["properties"]
    rest = (await page(first=20, after=first_ten["pageInfo"]["endCursor"]))["data"]["viewer"][
        "properties"
    ]
    assert [e["node"]["matrikkelnummer"]["text"] for e in first_ten["edges"] + rest["edges"]] == (
        texts
    )
    assert rest["pageInfo"]["hasPreviousPage"] is True

    after_last = (await page(first=5, after=full["pageInfo"]["endCursor"]))["data"]["viewer"][
        "properties"
    ]
    assert after_last["edges"] == [] and after_last["pageInfo"]["hasNextPage"] is False

    for variables, argument in (
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"after": "not-a-cursor"}, "after"),
    ):
        refused = await page(**variables)
        assert refused["data"]["viewer"]["properties"] is None
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert error["extensions"]["argument"] == argument


async def test_fee_service_down_costs_only_its_fields(graph):
    await graph.fault("fees", operation="*", outage=True)
    query = """{ viewer { properties { nodes { matrikkelnummer { text } address { text }
      buildings { buildingNumber } map { mapUrl } feeBasis { total { amount } }
      propertyTaxBasis { annualTax { amount } } waterMeters { meterNumber } } }
      sources { source status } } }"""
    result = await graph.query(query, pid=graph.pid(1))
    (prop,) = result["data"]["viewer"]["properties"]["nodes"]
    assert prop["address"]["text"] and prop["buildings"] and prop["map"]["mapUrl"]
    assert prop["feeBasis"] is None
    assert prop["propertyTaxBasis"] is None
    assert prop["waterMeters"] is None
    failed = {tuple(e["path"][-1:]): e["extensions"] for e in result["errors"]}
    assert failed == {
        (field,): {"code": "SOURCE_UNAVAILABLE", "source": "FEES"}
        for field in ("feeBasis", "propertyTaxBasis", "waterMeters")
    }
    sources = {s["source"]: s["status"] for s in result["data"]["viewer"]["sources"]}
    assert sources["MATRIKKEL"] == "OK"


@pytest.mark.gateway(matrikkel_deadline_s=1.0)
async def test_matrikkel_timeout_nulls_the_properties_only(graph):
    await graph.fault("matrikkel", operation="findMatrikkelenheter", latency_ms=4000)
    result = await graph.query(
        "{ viewer { levelOfAssurance properties { totalCount } } }", pid=graph.pid(1)
    )
    assert result["data"]["viewer"] == {"levelOfAssurance": "SUBSTANTIAL", "properties": None}
    (error,) = result["errors"]
    assert error["path"] == ["viewer", "properties"]
    assert error["extensions"] == {"code": "SOURCE_TIMEOUT", "source": "MATRIKKEL"}


async def test_node_answers_own_property_and_meter_and_null_for_anyone_elses(graph):
    ids_query = "{ viewer { properties { nodes { id waterMeters { id meterNumber } } } } }"
    mine = (await graph.query(ids_query, pid=graph.pid(1)))["data"]["viewer"]["properties"]
    theirs = (await graph.query(ids_query, pid=graph.pid(6)))["data"]["viewer"]["properties"]
    (my_property,) = mine["nodes"]
    (my_meter,) = my_property["waterMeters"]
    (their_property,) = theirs["nodes"]
    query = """query($id: ID!) { node(id: $id) { id
      ... on Property { matrikkelnummer { text } ownershipShare }
      ... on WaterMeter { meterNumber readings(first: 1) { readOn } } } }"""

    found = await graph.query(query, {"id": my_property["id"]}, pid=graph.pid(1))
    assert found["data"]["node"]["id"] == my_property["id"]
    assert found["data"]["node"]["ownershipShare"] == "1/1"
    meter = await graph.query(query, {"id": my_meter["id"]}, pid=graph.pid(1))
    assert meter["data"]["node"]["meterNumber"] == my_meter["meterNumber"]
    assert len(meter["data"]["node"]["readings"]) == 1

    foreign_ids = [their_property["id"], their_property["waterMeters"][0]["id"]]
    for foreign in foreign_ids:
        refused = await graph.query(query, {"id": foreign}, pid=graph.pid(1))
        assert refused["data"] == {"node": None} and "errors" not in refused, foreign
    # The co-owner reaches the same property by the same id: it is theirs too.
    shared = await graph.query(query, {"id": their_property["id"]}, pid=graph.pid(7))
    assert shared["data"]["node"]["ownershipShare"] == "1/2"


async def test_map_position_is_the_inverse_of_the_registers_projection(graph):
    # Cross-check against the population's own WGS84 positions for the 24-property owner.
    population = graph.stack.population
    result = await graph.query(
        "{ viewer { properties(first: 100) { nodes { matrikkelnummer { text }"
        " map { centroid { latitude longitude } } } } } }",
        pid=graph.pid(2),
    )
    assert "errors" not in result
    nodes = {
        n["matrikkelnummer"]["text"]: n for n in result["data"]["viewer"]["properties"]["nodes"]
    }
    checked = 0
    for ownership in population.properties_of(graph.pid(2)):
        addresses = population.addresses_of(ownership.property.matrikkelenhet_id)
        got = nodes[ownership.property.matrikkelnummer]["map"]
        if not addresses:
            assert got is None  # bare land has no address point
            continue
        (address,) = addresses
        assert abs(got["centroid"]["latitude"] - address.lat) < 1e-6
        assert abs(got["centroid"]["longitude"] - address.lon) < 1e-6
        lat, lon = utm33_to_wgs84(address.east, address.north)
        assert abs(lat - address.lat) < 1e-6 and abs(lon - address.lon) < 1e-6
        checked += 1
    assert checked > 10
