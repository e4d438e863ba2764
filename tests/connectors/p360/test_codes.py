"""360 code values → connector enums: case status (Noark 5 saksstatus) and case kinds."""

from __future__ import annotations

import pytest

from connectors.p360.codes import CASE_TYPE_BY_KIND, kind_of, status_of
from connectors.p360.models import CaseKind, CaseStatus


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Under behandling", CaseStatus.IN_PROGRESS),
        ("B", CaseStatus.IN_PROGRESS),
        ("Avsluttet", CaseStatus.CLOSED),
        (" avsluttet ", CaseStatus.CLOSED),
        ("A", CaseStatus.CLOSED),
        ("Avskrevet", CaseStatus.CLOSED),
        ("Utgår", CaseStatus.CLOSED),
        ("Reservert", CaseStatus.OPEN),
        ("Opprettet av saksbehandler", CaseStatus.OPEN),
        ("Avsluttet av saksbehandler", CaseStatus.DECIDED),
        ("Ferdig fra saksbehandler", CaseStatus.DECIDED),
        ("S", CaseStatus.DECIDED),
        (None, CaseStatus.IN_PROGRESS),
        ("Something new", CaseStatus.IN_PROGRESS),
    ],
)
def test_status_of(raw: str | None, expected: CaseStatus) -> None:
    assert status_of(raw) is expected


def test_open_statuses() -> None:
    assert {status for status in CaseStatus if status.is_open} == {
        CaseStatus.OPEN,
        CaseStatus.IN_PROGRESS,
    }


def test_every_kind_round_trips_through_its_case_type_code() -> None:
    for kind in CaseKind:
        assert kind_of(CASE_TYPE_BY_KIND[kind]) is kind
        assert kind_of(CASE_TYPE_BY_KIND[kind].lower()) is kind
    assert kind_of("UKJENT") is CaseKind.OTHER
    assert kind_of(None) is CaseKind.OTHER


def test_kind_falls_back_to_the_case_type_description() -> None:
    assert kind_of("BYGG", "Byggesak") is CaseKind.BUILDING
    assert kind_of("X1", "Vann, avløp og renovasjon") is CaseKind.WATER_SEWAGE_WASTE
    assert kind_of("SOKNAD", "Byggesak") is CaseKind.APPLICATION  # the code wins
    assert kind_of("X1", "Klage") is CaseKind.OTHER
