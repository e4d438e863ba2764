"""Connector of Kartverket's Matrikkel API (SOAP): a person's properties, addresses, buildings."""

from connectors.matrikkel.client import MatrikkelClient
from connectors.matrikkel.errors import MatrikkelError
from connectors.matrikkel.models import (
    Address,
    Building,
    Matrikkelnummer,
    Owner,
    OwnershipRef,
    Property,
)

__all__ = [
    "Address",
    "Building",
    "MatrikkelClient",
    "MatrikkelError",
    "Matrikkelnummer",
    "Owner",
    "OwnershipRef",
    "Property",
]
