"""The yearly consumption rule, on hand-made meter histories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.fees.models import Meter, Reading, ReadingSource
from resolvers.property.consumption import (
    consumption_in,
    last_reading,
    meter_chain,
    yearly_consumption,
)

C, T, E = ReadingSource.CITIZEN, ReadingSource.TECHNICIAN, ReadingSource.ESTIMATED


def _meter(number, installed, replaced, *readings):
    return Meter(
        meter_number=number,
        matrikkelnummer="3030-1/1/0/0",
        installed_on=installed,
        replaced_on=replaced,
        readings=tuple(Reading(d, Decimal(v), s) for d, v, s in readings),
    )


STEADY = _meter(
    "A",
    date(2015, 5, 1),
    None,
    (date(2021, 12, 20), "1000", C),
    (date(2022, 12, 28), "1150", E),
    (date(2023, 12, 15), "1310", C),
    (date(2024, 12, 31), "1400", T),
)


def test_difference_of_last_readings_of_consecutive_years_newest_first():
    result = yearly_consumption([STEADY], 3)
    assert [(r.year, r.consumption_m3, r.estimated) for r in result] == [
        (2024, Decimal(90), False),
        (2023, Decimal(160), True),  # starts from the estimated 2022 reading
        (2022, Decimal(150), True),
    ]
    assert (result[0].from_date, result[0].to_date) == (date(2023, 12, 15), date(2024, 12, 31))


def test_the_first_year_without_an_earlier_reading_is_left_out():
    assert [r.year for r in yearly_consumption([STEADY], 10)] == [2024, 2023, 2022]
    assert consumption_in([STEADY], 2021) is None


def test_last_reading_of_the_year_is_used_when_there_are_several():
    meter = _meter(
        "B",
        date(2010, 1, 1),
        None,
        (date(2022, 12, 20), "100", C),
        (date(2023, 6, 1), "140", E),
        (date(2023, 12, 20), "190", C),
    )
    (figure,) = yearly_consumption([meter], 1)
    assert (figure.year, figure.consumption_m3, figure.estimated) == (2023, Decimal(90), False)


def test_a_replacement_adds_the_old_meters_last_part_and_the_new_meters_first_part():
    old = _meter(
        "OLD",
        date(2010, 1, 1),
        date(2023, 6, 10),
        (date(2022, 12, 20), "5000", C),
        (date(2023, 6, 10), "5070", T),  # final reading when it was taken down
    )
    new = _meter(
        "NEW",
        date(2023, 6, 10),
        None,
        (date(2023, 6, 10), "0", T),  # installation reading
        (date(2023, 12, 22), "85", C),
        (date(2024, 12, 18), "240", C),
    )
    chain = meter_chain(new, (old, new))
    assert [m.meter_number for m in chain] == ["OLD", "NEW"]
    result = yearly_consumption(chain, 3)
    assert [(r.year, r.consumption_m3) for r in result] == [
        (2024, Decimal(155)),
        (2023, Decimal(70 + 85)),
    ]
    assert result[1].from_date == date(2022, 12, 20)
    # The replaced meter's own chain does not reach forward to its successor.
    assert [m.meter_number for m in meter_chain(old, (old, new))] == ["OLD"]
    assert [(r.year, r.consumption_m3) for r in yearly_consumption([old], 3)] == [
        (2023, Decimal(70))
    ]


def test_a_meter_in_use_without_readings_in_the_year_makes_the_year_unknown():
    old = _meter("OLD", date(2010, 1, 1), date(2023, 6, 10), (date(2022, 12, 20), "10", C))
    new = _meter(
        "NEW", date(2023, 6, 10), None, (date(2023, 6, 10), "0", T), (date(2023, 12, 1), "5", C)
    )
    assert consumption_in([old, new], 2023) is None


def test_a_meter_installed_in_the_year_needs_its_installation_reading():
    meter = _meter("N", date(2023, 3, 1), None, (date(2023, 12, 20), "50", C))
    assert yearly_consumption([meter], 3) == []
    with_install = _meter(
        "N", date(2023, 3, 1), None, (date(2023, 3, 1), "0", T), (date(2023, 12, 20), "50", E)
    )
    (figure,) = yearly_consumption([with_install], 3)
    assert (figure.year, figure.consumption_m3, figure.estimated) == (2023, Decimal(50), True)


def test_no_readings_no_figures():
    assert yearly_consumption([_meter("X", date(2020, 1, 1), None)], 3) == []
    assert yearly_consumption([STEADY], 0) == []


# Two readings on one day: the register lists them in the order it registered them, and the
# later is the meter's reading of that day (a correction or a second reading that evening).
SAME_DAY = _meter(
    "S",
    date(2015, 5, 1),
    None,
    (date(2022, 12, 31), "900", C),
    (date(2022, 12, 31), "1000", T),
    (date(2023, 12, 31), "1100", C),
    (date(2023, 12, 31), "1200", C),
)


def test_of_two_readings_on_one_day_the_later_registered_counts():
    assert last_reading(SAME_DAY.readings) == SAME_DAY.readings[-1]
    figure = consumption_in([SAME_DAY], 2023)
    assert figure is not None
    assert figure.consumption_m3 == Decimal(200)  # 1200 − 1000, not 1100 − 900


def test_last_reading_is_the_newest_date_then_the_register_order():
    older_listed_last = (
        Reading(date(2024, 3, 1), Decimal(5), C),
        Reading(date(2024, 3, 1), Decimal(7), C),
        Reading(date(2023, 1, 1), Decimal(1), C),
    )
    assert last_reading(older_listed_last) == older_listed_last[1]
    assert last_reading(()) is None
