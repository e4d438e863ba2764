"""The deterministic synthetic population shared by all simulators.

``Population(seed, size)`` is lazy: records are generated on first use from the seed and cached;
ids decode to their generating person, so lookups never scan. See :mod:`.documented` for the
test persons with fixed contents, and :mod:`.models` for the records.
"""

from simulators.population.errors import InvalidInputError, NotFoundError, PopulationError
from simulators.population.models import (
    CASE_STATUS_CLOSED,
    CASE_STATUS_OPEN,
    Address,
    Building,
    Case,
    CaseKind,
    DocFile,
    Document,
    DocumentDirection,
    FeeKind,
    FeeLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Meter,
    NewFile,
    Ownership,
    Person,
    Property,
    Reading,
    ReadingSource,
    TaxBasis,
)
from simulators.population.population import Population

__all__ = [
    "CASE_STATUS_CLOSED",
    "CASE_STATUS_OPEN",
    "Address",
    "Building",
    "Case",
    "CaseKind",
    "DocFile",
    "Document",
    "DocumentDirection",
    "FeeKind",
    "FeeLine",
    "InvalidInputError",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Meter",
    "NewFile",
    "NotFoundError",
    "Ownership",
    "Person",
    "Population",
    "PopulationError",
    "Property",
    "Reading",
    "ReadingSource",
    "TaxBasis",
]
