"""Per-request dataloaders of the Min eiendom domain.

Each loader turns one level of a query into one batched connector call: the viewer's ownership
list (Matrikkel, once per request however many fields need it), addresses and buildings of all
listed properties (Matrikkel), and the fee/tax/meter record of all of them (fee service).

The Matrikkel chain is as short as the contract allows (issue 10), every step a loader of its
own so a branch can start as soon as its key is known (:mod:`resolvers.property.properties`
starts them):

- the property ids and the viewer's addresses are searched by fødselsnummer
  (:class:`PropertyIdsByPidLoader`, :class:`AddressesByPidLoader`): no PersonId first;
- the properties' objects, the PersonId (for the viewer's share) and the buildings' id map
  need only the ids, so they run side by side;
- roads and postal areas come from the connector's per-process reference cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


def settle_quietly(future: asyncio.Future[Any]) -> None:
    """Retrieve a started load's failure when it ends, whoever (if anyone) awaits it.

    A branch started ahead of its field may fail before the field asks (or the field may never
    run, when its parent failed); the field re-raises the failure itself.
    """
    future.add_done_callback(lambda done: done.cancelled() or done.exception())


class PropertyIdsByPidLoader(RequestLoader[str, list[int]]):
    """The MatrikkelenhetIds of the properties a person owns, searched by fødselsnummer."""

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.property_ids", ttl_s=3600)

    async def fetch(self, pids: Sequence[str]) -> list[list[int]]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        return [await self.call(matrikkel.property_ids_of(pid)) for pid in pids]


class PersonIdByPidLoader(RequestLoader[str, int | None]):
    """The Matrikkel PersonId of a person (None if unknown): it names them among the owners."""

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.person_id", ttl_s=3600)

    async def fetch(self, pids: Sequence[str]) -> list[int | None]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        return [await self.call(matrikkel.find_person_id(pid)) for pid in pids]


class OwnedPropertiesByPidLoader(RequestLoader[str, list[OwnedProperty]]):
    """The properties a person owns, sorted by matrikkelnummer; keyed by fødselsnummer.

    Only ever loaded with the viewer's own pid; being a loader, the list is fetched once per
    request however many fields (the connection, node(id:) checks) need it. Two dependent
    round trips: the ids, then the objects and (side by side) the PersonId for the share.
    """

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.owned", ttl_s=3600)

    async def fetch(self, pids: Sequence[str]) -> list[list[OwnedProperty]]:
        return [await self._owned(pid) for pid in pids]

    async def _owned(self, pid: str) -> list[OwnedProperty]:
        ids = await self.context.loader(PropertyIdsByPidLoader).load(pid)
        if not ids:
            return []  # owns nothing (or is not in the register)
        # Started before the objects are asked for, so both are one round trip; a query that
        # shows the share started it even earlier (resolvers.property.properties).
        person = self.context.loader(PersonIdByPidLoader).load(pid)
        settle_quietly(person)
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        found = await self.call(matrikkel.get_properties(ids))
        person_id = await person
        owned = [
            OwnedProperty(p, None if person_id is None else p.share_of(person_id))
            for p in found
            if p is not None
        ]
        return sorted(owned, key=_sort_key)


class AddressesByPidLoader(RequestLoader[str, dict[int, list[Address]]]):
    """Street addresses of every property a person owns, by MatrikkelenhetId, searched by
    fødselsnummer: it needs no property id, so it can start with the request."""

    system = "matrikkel"
    cache_policy = CachePolicy("matrikkel.addresses_of_person", ttl_s=6 * 3600)

    async def fetch(self, pids: Sequence[str]) -> list[dict[int, list[Address]]]:
        matrikkel = self.context.services.connectors.get(MatrikkelClient)
        return [await self.call(matrikkel.addresses_of_person(pid)) for pid in pids]


class AddressesByPropertyIdLoader(RequestLoader[int, list[Address]]):
    """Street addresses of the viewer's properties by MatrikkelenhetId.

    Keys are ids of the viewer's own properties (they come from the viewer's list), so the
    viewer's addresses, fetched once per request by :class:`AddressesByPidLoader`, hold them.
    """

    system = "matrikkel"
    # No cache of its own: it is cut from the viewer's address search, which is cached per
    # person (a second, per-property copy could outlive it and serve it to other owners).

    async def fetch(self, property_ids: Sequence[int]) -> list[list[Address]]:
        viewer = self.context.viewer
        if viewer is None:
            raise RuntimeError("addresses are only loaded for a logged-in viewer")
        by_property = await self.context.loader(AddressesByPidLoader).load(viewer.pid)
        return [by_property.get(i, []) for i in property_ids]


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
