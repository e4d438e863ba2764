"""The synthetic population: determinism, identity numbers, lazy scale, documented persons."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal

import pytest

from minside.commands import population as population_command
from simulators.population import (
    CASE_STATUS_CLOSED,
    CaseKind,
    InvoiceStatus,
    Population,
    ReadingSource,
)
from simulators.population import documented as doc
from simulators.population.checkdigits import is_valid_pid
from simulators.population.geo import wgs84_to_utm33
from simulators.population.identity import decode_pid, encode_pid

TODAY = date(2026, 3, 1)


@pytest.fixture
def population() -> Population:
    return Population(seed=2026, size=1000, today=TODAY)


def _pid(population: Population, index: int) -> str:
    return population.person(index).pid


def _snapshot(population: Population, index: int) -> object:
    """Everything generated for one person, as comparable values."""
    pid = _pid(population, index)
    owned = population.properties_of(pid)
    return (
        population.person(index),
        owned,
        [population.buildings_of(o.property.matrikkelenhet_id) for o in owned],
        [population.addresses_of(o.property.matrikkelenhet_id) for o in owned],
        [population.fee_basis(o.property.matrikkelnummer) for o in owned],
        [population.tax_basis(o.property.matrikkelnummer) for o in owned],
        [population.meters(o.property.matrikkelnummer) for o in owned],
        population.cases_of(pid),
        population.invoices_of(pid),
    )


def test_same_seed_gives_the_same_data_in_any_order() -> None:
    first = Population(seed=11, size=500, today=TODAY)
    second = Population(seed=11, size=500, today=TODAY)
    indexes = [0, 2, 17, 123, 499]
    forward = [_snapshot(first, i) for i in indexes]
    backward = [_snapshot(second, i) for i in reversed(indexes)]
    assert forward == list(reversed(backward))


def test_a_different_seed_gives_different_people() -> None:
    first = Population(seed=1, size=500, today=TODAY)
    second = Population(seed=2, size=500, today=TODAY)
    assert [first.person(i).pid for i in range(50)] != [second.person(i).pid for i in range(50)]
    assert [first.person(i).name for i in range(50)] != [second.person(i).name for i in range(50)]
    assert _snapshot(first, 200) != _snapshot(second, 200)


def test_pids_are_valid_tenor_numbers_that_decode_to_their_index(population: Population) -> None:
    pids = set()
    for index in [*range(300), 999]:
        person = population.person(index)
        assert is_valid_pid(person.pid)
        assert int(person.pid[2:4]) > 80  # Tenor: month + 80
        assert int(person.pid[2:4]) - 80 == person.birth_date.month
        assert int(person.pid[0:2]) == person.birth_date.day
        assert person.gender == ("F" if int(person.pid[8]) % 2 == 0 else "M")
        assert population.person_by_pid(person.pid) == person
        pids.add(person.pid)
    assert len(pids) == 301


def test_unknown_or_malformed_pids_are_not_found(population: Population) -> None:
    real = population.person(5).pid
    tampered = real[:10] + str((int(real[10]) + 1) % 10)
    assert population.person_by_pid(tampered) is None
    assert population.person_by_pid("abc") is None
    assert population.person_by_pid("01010112345") is None  # not a Tenor number
    beyond = encode_pid(5000, population.seed)[0]  # a valid pid of a person past `size`
    assert decode_pid(beyond, population.seed) == 5000
    assert population.person_by_pid(beyond) is None
    assert population.properties_of(beyond) == []
    with pytest.raises(IndexError):
        population.person(1000)


def test_a_large_population_is_lazy() -> None:
    big = Population(seed=3, size=100_000, today=TODAY)
    last = big.person(99_999)
    assert big.person_by_pid(last.pid) == last
    assert big.cases_of(last.pid) == big.cases_of(last.pid)
    for owned in big.properties_of(last.pid):
        assert big.property_by_number(owned.property.matrikkelnummer) == owned.property


def test_names_look_norwegian(population: Population) -> None:
    person = population.person(42)
    assert person.given_name and person.family_name
    assert person.name == f"{person.given_name} {person.family_name}"


# --- documented persons --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [2026, 7])
def test_documented_persons_have_what_they_claim(seed: int) -> None:
    population = Population(seed=seed, size=10, today=TODAY)
    listed = {entry["key"]: entry for entry in population.documented_persons()}
    assert len(listed) == len(doc.DOCUMENTED)

    def counts(key: str) -> dict[str, int]:
        value = listed[key]["counts"]
        assert isinstance(value, dict)
        return value

    assert counts("nothing") == {"properties": 0, "cases": 0, "invoices": 0, "meters": 0}
    assert counts("landowner")["properties"] >= 20
    assert counts("many-cases")["cases"] >= 100

    overdue_pid = str(listed["overdue"]["pid"])
    overdue = [inv for inv in population.invoices_of(overdue_pid) if inv.overdue]
    assert any(inv.status == InvoiceStatus.IKKE_BETALT for inv in overdue)
    assert any(inv.status == InvoiceStatus.INKASSOVARSEL for inv in overdue)

    decision_cases = population.cases_of(str(listed["decision"]["pid"]))
    applications = [c for c in decision_cases if c.kind == CaseKind.APPLICATION and c.decision]
    assert applications and applications[0].status == CASE_STATUS_CLOSED
    assert any(c.decision is None for c in decision_cases)

    a, b = str(listed["co-owner-a"]["pid"]), str(listed["co-owner-b"]["pid"])

    def halves(pid: str) -> set[int]:
        owned = population.properties_of(pid)
        return {o.property.matrikkelenhet_id for o in owned if o.share == "1/2"}

    shared_a, shared_b = halves(a), halves(b)
    assert shared_a and shared_a == shared_b
    owners = population.owners_of(next(iter(shared_a)))
    assert sorted(person.pid for person, _ in owners) == sorted([a, b])

    flats = population.properties_of(str(listed["apartment"]["pid"]))
    assert any(o.property.snr > 0 and o.property.is_sectioned for o in flats)
    assert any(o.property.kommunenummer == "3301" for o in flats)
    for entry in listed.values():
        person = population.person_by_pid(str(entry["pid"]))
        assert person is not None and person.name == entry["name"]


def _run_cli(argv: list[str]) -> int:
    # Only this command's parser, so the test does not depend on the other commands' imports.
    parser = argparse.ArgumentParser(prog="minside")
    population_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_cli_is_registered() -> None:
    from minside.cli import COMMAND_MODULES

    assert "minside.commands.population" in COMMAND_MODULES


def test_cli_prints_the_documented_persons(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(["population", "--seed", "5", "--size", "10"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["seed"] == 5 and printed["size"] == 10
    assert [p["index"] for p in printed["persons"]] == list(range(10))
    assert printed["persons"][0]["counts"]["properties"] == 0


def test_cli_rejects_a_too_small_population(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(["population", "--size", "3"]) == 2
    assert "size" in capsys.readouterr().err


# --- Matrikkel data ----------------------------------------------------------------------


def test_properties_have_matrikkelnummer_buildings_addresses_and_outline(
    population: Population,
) -> None:
    owned = population.properties_of(_pid(population, doc.LANDOWNER))
    assert len(owned) == 24
    home = owned[0].property
    assert home.matrikkelnummer == f"3030-{home.gnr}/{home.bnr}/0/0"
    assert population.property_by_id(home.matrikkelenhet_id) == home
    assert population.property_by_number(home.matrikkelnummer) == home
    assert population.property_by_number(home.matrikkelnummer.replace("3030", "3301")) is None
    buildings = population.buildings_of(home.matrikkelenhet_id)
    assert buildings and all(1800 < b.built_year < TODAY.year for b in buildings)
    assert population.building_by_id(buildings[0].bygg_id) == buildings[0]
    (address,) = population.addresses_of(home.matrikkelenhet_id)
    assert population.address_by_id(address.adresse_id) == address
    assert 58.0 < address.lat < 61.0 and 8.0 < address.lon < 12.5  # southern Norway
    east, north = wgs84_to_utm33(address.lat, address.lon)
    assert abs(east - address.east) < 0.01 and abs(north - address.north) < 0.01
    assert 200_000 < address.east < 350_000 and 6_550_000 < address.north < 6_700_000
    ring = home.boundary_wgs84
    assert len(ring) >= 4 and ring[0] == ring[-1]
    assert len(home.boundary_utm33) == len(ring)
    assert any(o.property.land_use == "Ubebygd" for o in owned)


def test_utm33_projection_matches_a_known_point() -> None:
    # On the zone's central meridian at 60°N: easting 500 000, northing 6 651 411.19 m.
    east, north = wgs84_to_utm33(60.0, 15.0)
    assert east == pytest.approx(500_000.0, abs=0.01)
    assert north == pytest.approx(6_651_411.19, abs=0.05)


def test_fee_tax_and_meters_of_a_house(population: Population) -> None:
    (owned,) = population.properties_of(_pid(population, doc.HOMEOWNER))
    number = owned.property.matrikkelnummer
    fees = population.fee_basis(number)
    assert {line.kind.value for line in fees} >= {"WATER", "WASTEWATER", "WASTE"}
    for line in fees:
        assert line.unit in ("m3", "m2", "count")
        assert line.annual_amount == (line.quantity * line.unit_price).quantize(Decimal("0.01"))
    tax = population.tax_basis(number)
    assert tax is not None
    assert tax.tax_base == tax.assessed_value - tax.statutory_reduction - tax.basic_deduction
    if tax.exemption is None:
        assert tax.annual_tax == (tax.tax_base * tax.rate_per_mille / 1000).quantize(
            Decimal("0.01")
        )
    (meter,) = population.meters(number)
    assert meter.is_active and len(meter.readings) >= 4
    values = [r.value_m3 for r in meter.readings]
    assert values == sorted(values)
    assert all(isinstance(r.source, ReadingSource) for r in meter.readings)
    assert population.meter_by_number(meter.meter_number) == meter


def test_some_meters_are_replaced(population: Population) -> None:
    (owned,) = population.properties_of(_pid(population, doc.CO_OWNER_A))
    old, new = population.meters(owned.property.matrikkelnummer)
    assert old.replaced_on is not None and not old.is_active
    assert new.installed_on == old.replaced_on and new.is_active
    assert new.readings[0].value_m3 == 0


def test_a_property_elsewhere_has_no_local_fees(population: Population) -> None:
    owned = population.properties_of(_pid(population, doc.APARTMENT))
    elsewhere = next(o.property for o in owned if o.property.kommunenummer == "3301")
    assert population.fee_basis(elsewhere.matrikkelnummer) == []
    assert population.tax_basis(elsewhere.matrikkelnummer) is None
    assert population.meters(elsewhere.matrikkelnummer) == []


def test_random_people_include_co_owners_and_sections() -> None:
    population = Population(seed=99, size=400, today=TODAY)
    shares = [o for i in range(10, 400) for o in population.properties_of(_pid(population, i))]
    assert any(o.share == "1/2" for o in shares)
    assert any(o.property.is_sectioned for o in shares)
    assert any(o.property.kommunenummer == "3301" for o in shares)
