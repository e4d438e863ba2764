"""Yearly water consumption from a meter's readings (pure computation, no I/O).

The rule, per calendar year ``Y`` and per meter of the chain (the meter and those it replaced):

* **end** — the meter's last reading dated in ``Y``;
* **start** — the meter's last reading dated before 1 January ``Y``; for a meter installed during
  ``Y`` (no earlier reading), its reading on the installation date (the installation reading,
  normally 0). A meter with readings in ``Y`` but no start is incomplete.
* consumption(``Y``) = Σ (end − start) over the chain's meters that have an end in ``Y``; a meter
  replaced during ``Y`` contributes up to its final reading, its successor from its installation
  reading, so a replacement neither loses nor double-counts water.

Of two readings on one day the later registered counts: the register lists a meter's readings
oldest first, same-day ones in the order it registered them, and checks a new reading against
the last of that list (:func:`last_reading`).

Readings are not interpolated to 31 December: the register reads meters around the turn of the
year, and interpolating would report a figure nobody measured. ``from_date``/``to_date`` say which
readings a figure spans. A year is left out when any meter in use that year lacks a start or an
end reading; ``estimated`` is true when any reading used is an estimate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connectors.fees.models import Meter, Reading, ReadingSource


@dataclass(frozen=True)
class YearConsumption:
    """Water used in one calendar year (m³) and the readings the figure spans."""

    year: int
    consumption_m3: Decimal
    from_date: date
    to_date: date
    estimated: bool


def in_register_order(readings: Iterable[Reading]) -> list[Reading]:
    """`readings` oldest first; readings of one day in the order the register lists them (the
    order it registered them in), so the last is the one it takes as the day's reading."""
    return [r for _, r in sorted(enumerate(readings), key=lambda item: (item[1].read_on, item[0]))]


def last_reading(readings: Iterable[Reading]) -> Reading | None:
    """The reading the register takes as the last: the newest date, and of several readings
    on that day the one it registered last (None: no readings)."""
    ordered = in_register_order(readings)
    return ordered[-1] if ordered else None


def meter_chain(meter: Meter, siblings: Sequence[Meter]) -> list[Meter]:
    """`meter` and the meters it replaced on the same property, oldest first.

    A predecessor is a sibling installed before `meter` and replaced on or before `meter`'s
    installation date; a replaced meter's chain does not reach forward to its successor.
    """
    chain = [
        other
        for other in siblings
        if other.meter_number != meter.meter_number
        and other.installed_on < meter.installed_on
        and other.replaced_on is not None
        and other.replaced_on <= meter.installed_on
    ]
    chain.append(meter)
    return sorted(chain, key=lambda m: (m.installed_on, m.meter_number))


def _in_use(meter: Meter, year: int) -> bool:
    installed = meter.installed_on.year <= year
    return installed and (meter.replaced_on is None or meter.replaced_on.year >= year)


def _start(meter: Meter, year: int) -> Reading | None:
    before = last_reading(r for r in meter.readings if r.read_on.year < year)
    if before is not None:
        return before
    if meter.installed_on.year == year:
        # The installation reading: the first of its day (the counter before any use).
        return next((r for r in meter.readings if r.read_on == meter.installed_on), None)
    return None


def _end(meter: Meter, year: int) -> Reading | None:
    return last_reading(r for r in meter.readings if r.read_on.year == year)


def consumption_in(chain: Sequence[Meter], year: int) -> YearConsumption | None:
    """The chain's consumption in `year` by the rule above, or None when it cannot be told."""
    total = Decimal(0)
    used: list[Reading] = []
    for meter in chain:
        if not _in_use(meter, year):
            continue
        start, end = _start(meter, year), _end(meter, year)
        if start is None or end is None:
            return None
        total += end.value_m3 - start.value_m3
        used.extend((start, end))
    if not used:
        return None
    return YearConsumption(
        year=year,
        consumption_m3=total,
        from_date=min(r.read_on for r in used),
        to_date=max(r.read_on for r in used),
        estimated=any(r.source is ReadingSource.ESTIMATED for r in used),
    )


def yearly_consumption(chain: Sequence[Meter], years: int) -> list[YearConsumption]:
    """The last `years` calendar years the chain has a figure for, newest first."""
    read_years = {r.read_on.year for meter in chain for r in meter.readings}
    if not read_years or years <= 0:
        return []
    result: list[YearConsumption] = []
    for year in range(max(read_years), min(read_years) - 1, -1):
        figure = consumption_in(chain, year)
        if figure is not None:
            result.append(figure)
            if len(result) == years:
                break
    return result
