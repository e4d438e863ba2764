"""Water meters (vannmålere) of a property, their readings and yearly consumption."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from connectors.fees import models as fees
from resolvers.context import Context
from resolvers.property.consumption import (
    YearConsumption,
    in_register_order,
    meter_chain,
    yearly_consumption,
)
from resolvers.submission.loaders import PendingReadingsByMeterNumberLoader
from schema.labels import Label, label
from schema.relay import MAX_PAGE_SIZE, BadUserInput, Node, global_id

if TYPE_CHECKING:
    from schema.submission.types import MeterReadingReceipt

MAX_CONSUMPTION_YEARS = 20


@strawberry.enum(description="Who produced a meter reading.")
class ReadingSource(Enum):
    CITIZEN = "CITIZEN"
    TECHNICIAN = "TECHNICIAN"
    ESTIMATED = "ESTIMATED"


READING_SOURCE_LABELS = {
    ReadingSource.CITIZEN: Label("Innrapportert av deg", "Innrapportert av deg", "Reported by you"),
    ReadingSource.TECHNICIAN: Label(
        "Avlest av kommunen", "Avlesen av kommunen", "Read by the municipality"
    ),
    ReadingSource.ESTIMATED: Label("Stipulert", "Stipulert", "Estimated"),
}


@strawberry.type(description="A reading of a water meter's counter.")
class MeterReading:
    value: Decimal = strawberry.field(description="The counter in m³.")
    read_on: date
    source: ReadingSource
    source_label: str = strawberry.field(description="Who read it, in the request's language.")


@strawberry.type(
    description="Water used in one calendar year (m³): the last reading of the year minus the "
    "last reading of the year before, per meter, summed over a meter replacement. Not "
    "interpolated to 31 December: fromDate/toDate are the readings the figure spans."
)
class ConsumptionPeriod:
    year: int
    consumption: Decimal = strawberry.field(description="m³ used in the year.")
    from_date: date = strawberry.field(description="Date of the earliest reading used.")
    to_date: date = strawberry.field(description="Date of the latest reading used.")
    estimated: bool = strawberry.field(description="True when any reading used is estimated.")

    @classmethod
    def from_computed(cls, figure: YearConsumption) -> ConsumptionPeriod:
        return cls(
            year=figure.year,
            consumption=figure.consumption_m3,
            from_date=figure.from_date,
            to_date=figure.to_date,
            estimated=figure.estimated,
        )


@strawberry.type(description="A water meter (vannmåler) on one of the viewer's properties.")
class WaterMeter(Node):
    meter: strawberry.Private[fees.Meter]
    siblings: strawberry.Private[tuple[fees.Meter, ...]]
    meter_number: str
    installed_on: date
    replaced_on: date | None = strawberry.field(
        description="When the meter was replaced (null while it is in use)."
    )

    @classmethod
    def from_record(cls, meter: fees.Meter, siblings: tuple[fees.Meter, ...]) -> WaterMeter:
        """`siblings`: all meters of the same property (for consumption over a replacement)."""
        return cls(
            id=global_id("WaterMeter", meter.meter_number),
            meter=meter,
            siblings=siblings,
            meter_number=meter.meter_number,
            installed_on=meter.installed_on,
            replaced_on=meter.replaced_on,
        )

    @strawberry.field(description="True while the meter is in use (not replaced).")
    def is_active(self) -> bool:
        return self.meter.is_active

    @strawberry.field(
        description="Readings, newest first (of two on one day, the later registered first); "
        "`first` limits how many (at most 100)."
    )
    def readings(
        self,
        info: Info[Context, None],
        first: Annotated[
            int | None,
            strawberry.argument(
                description=f"Readings to return: at most {MAX_PAGE_SIZE} (all when absent)."
            ),
        ] = None,
    ) -> list[MeterReading]:
        if first is not None and not 0 <= first <= MAX_PAGE_SIZE:
            raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}", "first")
        # Of two readings on one day, the later registered (the day's reading) comes first.
        newest = in_register_order(self.meter.readings)[::-1]
        language = info.context.language
        return [
            MeterReading(
                value=r.value_m3,
                read_on=r.read_on,
                source=(source := ReadingSource(r.source.value)),
                source_label=label(READING_SOURCE_LABELS, source, language),
            )
            for r in newest[:first]
        ]

    @strawberry.field(
        description="Readings the citizen submitted that are not yet in the register (the "
        "municipality's system was unavailable); they move to `readings` once delivered. "
        "Null, with a SUBMISSIONS_UNAVAILABLE error, while the gateway's store of submissions "
        "does not answer."
    )
    async def pending_readings(
        self, info: Info[Context, None]
    ) -> list[Annotated[MeterReadingReceipt, strawberry.lazy("schema.submission.types")]] | None:
        from schema.submission.types import MeterReadingReceipt

        context = info.context
        records = await context.loader(PendingReadingsByMeterNumberLoader).load(self.meter_number)
        return [MeterReadingReceipt.from_record(r, context.language) for r in records]

    @strawberry.field(
        description="Consumption per calendar year, newest first, for the last `years` years "
        "with a complete figure (this meter and the meters it replaced)."
    )
    def consumption(self, years: int = 3) -> list[ConsumptionPeriod]:
        if not 1 <= years <= MAX_CONSUMPTION_YEARS:
            raise BadUserInput(f"years must be between 1 and {MAX_CONSUMPTION_YEARS}", "years")
        chain = meter_chain(self.meter, self.siblings)
        return [ConsumptionPeriod.from_computed(f) for f in yearly_consumption(chain, years)]


def sorted_meters(meters: tuple[fees.Meter, ...]) -> list[fees.Meter]:
    """Meters in use first, then newest installation first (a stable order for clients)."""
    return sorted(
        meters, key=lambda m: (not m.is_active, -m.installed_on.toordinal(), m.meter_number)
    )
