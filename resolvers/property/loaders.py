"""Per-request dataloaders of the Min eiendom domain.

Each loader turns one level of a query into one batched connector call: the viewer's ownership
list (Matrikkel, once per request however many fields need it), addresses and buildings of all
listed properties (Matrikkel), and the fee/tax/meter record of all of them (fee service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.fees.client import FeesClient
from connectors.fees.models import PropertyRecord
from connectors.matrikkel.client import MatrikkelClient
from connectors.matrikkel.models import Address, Building, Property
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy


@dataclass(frozen=True)
class OwnedProperty:
    """A property of the viewer's with the viewer's registered share of it."""

    property: Property
    share: str | None


def _sort_key(owned: OwnedProperty) -> tuple[str, int, int, int, int, int]:
    number = owned.property.matrikkelnummer
    return (
        number.kommunenummer,
        number.gardsnummer,
        number.bruksnummer,
        number.festenummer,
        number.seksjonsnummer,
        owned.property.id,
    )


class OwnedPropertiesByPidLoader(RequestLoader[str, list[OwnedProperty]]):
    """The properties a person owns, sorted by matrikkelnummer; keyed by fødselsnummer.

    Only ever loaded with the viewer's own pid; being a loader, the list is fetched once per
    request however many fields (the connection, node(id:) checks) need it.
    """

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.owned", ttl_s=3600)

    async def fetch(self, pids: Sequence[str]) -> list[list[OwnedProperty]]:
        return [await self._owned(pid) for pid in pids]

    async def _owned(self, pid: str) -> list[OwnedProperty]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        person_id = await self.call(matrikkel.find_person_id(pid))
        if person_id is None:
            return []  # not in the register: owns nothing
        refs = await self.call(matrikkel.owned_properties(person_id))
        owned = [OwnedProperty(ref.property, ref.share) for ref in refs if ref.property]
        return sorted(owned, key=_sort_key)


class AddressesByPropertyIdLoader(RequestLoader[int, list[Address]]):
    """Street addresses of properties by MatrikkelenhetId (one Matrikkel batch per level)."""

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.addresses", ttl_s=6 * 3600)

    async def fetch(self, property_ids: Sequence[int]) -> list[list[Address]]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        return await self.call(matrikkel.addresses_for(list(property_ids)))


class BuildingsByPropertyIdLoader(RequestLoader[int, list[Building]]):
    """Buildings on properties by MatrikkelenhetId (one Matrikkel batch per level)."""

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.buildings", ttl_s=6 * 3600)

    async def fetch(self, property_ids: Sequence[int]) -> list[list[Building]]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        return await self.call(matrikkel.buildings_for(list(property_ids)))


class PropertyRecordByMatrikkelnummerLoader(RequestLoader[str, PropertyRecord | None]):
    """Fee basis, tax basis and water meters by matrikkelnummer text (``3030-12/45/0/0``).

    One fee-service call per level feeds ``feeBasis``, ``propertyTaxBasis`` and ``waterMeters``
    of every property; None where the register does not know the property.
    """

    system = "fees"
    cache_policy = CachePolicy("fees.records", ttl_s=3600)

    async def fetch(self, keys: Sequence[str]) -> list[PropertyRecord | None]:
        fees = self.context.services.connectors.get(FeesClient)
        return await self.call(fees.property_data(list(keys)))
