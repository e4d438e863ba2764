"""Records returned by :class:`connectors.fees.FeesClient` (frozen, money as Decimal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class FeeKind(StrEnum):
    """The municipal fee groups of a property's gebyrgrunnlag."""

    WATER = "WATER"
    WASTEWATER = "WASTEWATER"
    WASTE = "WASTE"
    CHIMNEY_SWEEPING = "CHIMNEY_SWEEPING"


class ReadingSource(StrEnum):
    """Who produced a water-meter reading."""

    CITIZEN = "CITIZEN"
    TECHNICIAN = "TECHNICIAN"
    ESTIMATED = "ESTIMATED"


@dataclass(frozen=True)
class FeeLine:
    """One line of the fee basis: ``quantity × unit_price = annual_amount`` (NOK per year)."""

    kind: FeeKind
    code: str
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    annual_amount: Decimal


@dataclass(frozen=True)
class TaxBasis:
    """Eiendomsskattegrunnlag for one year (NOK; rate in per mille)."""

    year: int
    assessed_value: Decimal
    statutory_reduction: Decimal
    basic_deduction: Decimal
    tax_base: Decimal
    rate_per_mille: Decimal
    annual_tax: Decimal
    exemption: str | None


@dataclass(frozen=True)
class Reading:
    """A water-meter reading: the counter in m³ on a date."""

    read_on: date
    value_m3: Decimal
    source: ReadingSource


@dataclass(frozen=True)
class Meter:
    """A water meter with its readings, oldest first."""

    meter_number: str
    matrikkelnummer: str
    installed_on: date
    replaced_on: date | None
    readings: tuple[Reading, ...]

    @property
    def is_active(self) -> bool:
        """False once the meter has been replaced."""
        return self.replaced_on is None


@dataclass(frozen=True)
class PropertyRecord:
    """Everything the register holds for one property."""

    matrikkelnummer: str
    fee_basis: tuple[FeeLine, ...]
    tax_basis: TaxBasis | None
    meters: tuple[Meter, ...]


@dataclass(frozen=True)
class ReadingAccepted:
    """The register's receipt for a new reading.

    ``replayed`` is True when the register answered from its idempotency store: the reading was
    accepted by an earlier attempt carrying the same key.
    """

    receipt_id: str
    meter_number: str
    value_m3: Decimal
    read_on: date
    registered_at: datetime
    consumption_since_last: Decimal | None
    replayed: bool
