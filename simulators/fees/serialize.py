"""Population records as the JSON of ``contracts/fees/fees.v1.yaml`` (money as decimal strings)."""

from __future__ import annotations

from collections.abc import Set
from decimal import Decimal
from typing import Any

from simulators.population import Population
from simulators.population.models import FeeLine, Meter, TaxBasis

__all__ = ["fee_line_json", "meter_json", "property_json", "tax_basis_json"]


def _dec(value: Decimal) -> str:
    return format(value, "f")


def fee_line_json(line: FeeLine) -> dict[str, Any]:
    """One gebyrgrunnlag line."""
    return {
        "kind": line.kind.value,
        "code": line.code,
        "description": line.description,
        "unit": line.unit,
        "quantity": _dec(line.quantity),
        "unitPrice": _dec(line.unit_price),
        "annualAmount": _dec(line.annual_amount),
    }


def tax_basis_json(tax: TaxBasis) -> dict[str, Any]:
    """The eiendomsskattegrunnlag of one year."""
    return {
        "year": tax.year,
        "assessedValue": _dec(tax.assessed_value),
        "statutoryReduction": _dec(tax.statutory_reduction),
        "basicDeduction": _dec(tax.basic_deduction),
        "taxBase": _dec(tax.tax_base),
        "ratePerMille": _dec(tax.rate_per_mille),
        "annualTax": _dec(tax.annual_tax),
        "exemption": tax.exemption,
    }


def meter_json(meter: Meter) -> dict[str, Any]:
    """A meter with its readings, oldest first."""
    return {
        "meterNumber": meter.meter_number,
        "matrikkelnummer": meter.matrikkelnummer,
        "installedOn": meter.installed_on.isoformat(),
        "replacedOn": None if meter.replaced_on is None else meter.replaced_on.isoformat(),
        "readings": [
            {
                "value": _dec(reading.value_m3),
                "readOn": reading.read_on.isoformat(),
                "source": reading.source.value,
            }
            for reading in meter.readings
        ],
    }


def property_json(population: Population, matrikkelnummer: str, parts: Set[str]) -> dict[str, Any]:
    """The query result for one key: ``found: false`` when the register does not know it.

    The register knows the properties of its own municipality, and every one of those has a
    tax basis (possibly with an exemption), so that is the test for "known".
    """
    tax = population.tax_basis(matrikkelnummer)
    fees = population.fee_basis(matrikkelnummer)
    meters = population.meters(matrikkelnummer)
    if tax is None and not fees and not meters:
        return {"matrikkelnummer": matrikkelnummer, "found": False}
    result: dict[str, Any] = {"matrikkelnummer": matrikkelnummer, "found": True}
    if "feeBasis" in parts:
        result["feeBasis"] = [fee_line_json(line) for line in fees]
    if "taxBasis" in parts:
        result["taxBasis"] = None if tax is None else tax_basis_json(tax)
    if "meters" in parts:
        result["meters"] = [meter_json(meter) for meter in meters]
    return result
