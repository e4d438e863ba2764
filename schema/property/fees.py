"""Gebyrgrunnlag and eiendomsskattegrunnlag of a property (from the fee service)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from connectors.fees import models as fees
from kernel.i18n import Language
from schema.common import Money
from schema.labels import Label, label


@strawberry.enum(description="The municipal fee group of a fee line.")
class FeeKind(Enum):
    WATER = "WATER"
    WASTEWATER = "WASTEWATER"
    WASTE = "WASTE"
    CHIMNEY_SWEEPING = "CHIMNEY_SWEEPING"


FEE_KIND_LABELS = {
    FeeKind.WATER: Label("Vann", "Vatn", "Water"),
    FeeKind.WASTEWATER: Label("Avløp", "Avløp", "Wastewater"),
    FeeKind.WASTE: Label("Renovasjon", "Renovasjon", "Waste collection"),
    FeeKind.CHIMNEY_SWEEPING: Label("Feiing og tilsyn", "Feiing og tilsyn", "Chimney sweeping"),
}


@strawberry.enum(description="What a fee line's quantity counts.")
class FeeUnit(Enum):
    COUNT = "count"
    CUBIC_METRES = "m3"
    SQUARE_METRES = "m2"
    OTHER = "other"


FEE_UNIT_LABELS = {
    FeeUnit.COUNT: Label("stk", "stk", "pcs"),
    FeeUnit.CUBIC_METRES: Label("m³", "m³", "m³"),
    FeeUnit.SQUARE_METRES: Label("m²", "m²", "m²"),
    FeeUnit.OTHER: Label("enhet", "eining", "unit"),
}


def _unit(value: str) -> FeeUnit:
    try:
        return FeeUnit(value)
    except ValueError:
        return FeeUnit.OTHER  # a unit the register added later: still show the line


@strawberry.type(description="One line of the fee basis: quantity × unit price per year.")
class FeeLine:
    kind: FeeKind
    kind_label: str = strawberry.field(description="The fee group, in the request's language.")
    code: str = strawberry.field(description='The register\'s tariff code, e.g. "VANN-FAST".')
    description: str = strawberry.field(description="The register's text (Norwegian).")
    unit: FeeUnit
    unit_label: str = strawberry.field(description="The unit, in the request's language.")
    quantity: Decimal
    unit_price: Money
    annual_amount: Money = strawberry.field(description="quantity × unitPrice, per year.")

    @classmethod
    def from_record(cls, line: fees.FeeLine, language: Language) -> FeeLine:
        kind = FeeKind(line.kind.value)
        unit = _unit(line.unit)
        return cls(
            kind=kind,
            kind_label=label(FEE_KIND_LABELS, kind, language),
            code=line.code,
            description=line.description,
            unit=unit,
            unit_label=label(FEE_UNIT_LABELS, unit, language),
            quantity=line.quantity,
            unit_price=Money.nok(line.unit_price),
            annual_amount=Money.nok(line.annual_amount),
        )


@strawberry.type(description="Gebyrgrunnlag: what the property's municipal fees are based on.")
class FeeBasis:
    lines: list[FeeLine]
    total: Money = strawberry.field(description="The sum of the lines' annual amounts.")

    @classmethod
    def from_lines(cls, lines: tuple[fees.FeeLine, ...], language: Language) -> FeeBasis:
        total = sum((line.annual_amount for line in lines), Decimal("0.00"))
        return cls(
            lines=[FeeLine.from_record(line, language) for line in lines],
            total=Money.nok(total),
        )


@strawberry.type(description="Eiendomsskattegrunnlag: how the property tax is computed.")
class PropertyTaxBasis:
    year: int = strawberry.field(description="The tax year.")
    assessed_value: Money = strawberry.field(description="Takst (assessed value).")
    statutory_reduction: Money = strawberry.field(
        description="Obligatorisk reduksjon (statutory reduction) as an amount."
    )
    basic_deduction: Money = strawberry.field(description="Bunnfradrag (basic deduction).")
    tax_base: Money = strawberry.field(
        description="Grunnlag: assessed value − reduction − deduction, not below 0."
    )
    rate_per_mille: Decimal = strawberry.field(description='Promillesats, e.g. "2.4".')
    annual_tax: Money = strawberry.field(description="Tax for the year (0 when exempt).")
    exemption: str | None = strawberry.field(
        description="Fritak with its legal ground, or null when the property is not exempt."
    )

    @strawberry.field(description="True when the property is exempt from property tax.")
    def is_exempt(self) -> bool:
        return self.exemption is not None

    @classmethod
    def from_record(cls, tax: fees.TaxBasis) -> PropertyTaxBasis:
        return cls(
            year=tax.year,
            assessed_value=Money.nok(tax.assessed_value),
            statutory_reduction=Money.nok(tax.statutory_reduction),
            basic_deduction=Money.nok(tax.basic_deduction),
            tax_base=Money.nok(tax.tax_base),
            rate_per_mille=tax.rate_per_mille,
            annual_tax=Money.nok(tax.annual_tax),
            exemption=tax.exemption,
        )
