"""Connector for the municipality's fee, property-tax and water-meter register (HTTP/JSON).

The contract is the project's own OpenAPI document ``contracts/fees/fees.v1.yaml``.
"""

from connectors.fees.client import FeesClient
from connectors.fees.errors import IdempotencyConflict, ReadingRejectionCode
from connectors.fees.models import (
    FeeKind,
    FeeLine,
    Meter,
    PropertyRecord,
    Reading,
    ReadingAccepted,
    ReadingSource,
    TaxBasis,
)

__all__ = [
    "FeeKind",
    "FeeLine",
    "FeesClient",
    "IdempotencyConflict",
    "Meter",
    "PropertyRecord",
    "Reading",
    "ReadingAccepted",
    "ReadingRejectionCode",
    "ReadingSource",
    "TaxBasis",
]
