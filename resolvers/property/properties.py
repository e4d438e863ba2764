"""Resolver functions of Min eiendom: the viewer's properties and what hangs off them.

Everything goes through this request's dataloaders (:mod:`resolvers.property.loaders`), so a
query costs each back-office operation a fixed number of calls whatever the number of
properties. Ownership is checked here for node(id:): only the viewer's own properties and the
meters on them are ever returned.

A query that lists the properties says which Matrikkel branches it will need
(:class:`Branch`); each starts as soon as its key is known instead of when its field is
reached after the properties: the addresses and the PersonId with the request (they start from
the fødselsnummer), the buildings and the fee records (of properties whose matrikkelnummer the
connector has seen lately) as soon as the property ids are known.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from auth.viewer import Viewer
from connectors.fees.models import Meter, PropertyRecord
from connectors.matrikkel.client import MatrikkelClient
from connectors.matrikkel.models import Address, Building
from resolvers.context import Context
from resolvers.property.loaders import (
    AddressesByPidLoader,
    AddressesByPropertyIdLoader,
    BuildingsByPropertyIdLoader,
    OwnedPropertiesByPidLoader,
    OwnedProperty,
    PersonIdByPidLoader,
    PropertyIdsByPidLoader,
    PropertyRecordByMatrikkelnummerLoader,
    settle_quietly,
)


class Branch(enum.Enum):
    """A Matrikkel read that hangs off the property list and can start before it is done."""

    SHARE = "share"  # the viewer's PersonId, to find their share among the owners
    ADDRESSES = "addresses"
    BUILDINGS = "buildings"
    FEES = "fees"  # the fee service's record (fee basis, tax basis, meters) by matrikkelnummer


@dataclass(frozen=True)
class OwnedMeter:
    """A water meter on one of the viewer's properties, with the property's other meters."""

    meter: Meter
    siblings: tuple[Meter, ...]
    owned: OwnedProperty


async def owned_properties(
    context: Context, viewer: Viewer, branches: Iterable[Branch] = (), page_size: int = 0
) -> list[OwnedProperty]:
    """The viewer's properties, sorted by matrikkelnummer (one fetch per request).

    ``branches`` are the reads the query will need for these properties; they start now.
    ``page_size`` is how many of them the query shows from the first on (0: unknown).
    """
    start_branches(context, viewer.pid, frozenset(branches), page_size)
    loader = context.loader(OwnedPropertiesByPidLoader)
    return await loader.value(viewer.pid)


def start_branches(
    context: Context, pid: str, branches: frozenset[Branch], page_size: int = 0
) -> None:
    """Start each branch as soon as its key is known; the fields later find it under way.

    Loaders keep what they loaded for the request, so starting twice (aliases) asks once.
    The reads per property (buildings, fee records) start early only when every property
    is on the page (at most ``page_size``): the page is known only once the properties are
    sorted, and a read for properties the page does not show is the cost that should follow
    the page. The addresses are one search by person whatever the page.
    """
    if Branch.SHARE in branches:
        settle_quietly(context.loader(PersonIdByPidLoader).load(pid))
    if Branch.ADDRESSES in branches:
        settle_quietly(context.loader(AddressesByPidLoader).load(pid))
    if branches & {Branch.BUILDINGS, Branch.FEES}:
        ids = context.loader(PropertyIdsByPidLoader).load(pid)
        settle_quietly(ids)

        def with_ids(done: asyncio.Future[list[int]]) -> None:
            if done.cancelled() or done.exception() is not None or not done.result():
                return
            if len(done.result()) > page_size:
                return  # more properties than the page: their fields ask for the page only
            if Branch.BUILDINGS in branches:
                buildings = context.loader(BuildingsByPropertyIdLoader)
                settle_quietly(buildings.load_many(done.result()))
            if Branch.FEES in branches:
                _start_fees(context, done.result())

        ids.add_done_callback(with_ids)


def _start_fees(context: Context, ids: list[int]) -> None:
    """The fee records of the properties whose matrikkelnummer the connector has seen lately,
    side by side with their objects; a property not seen yet is asked when its field is."""
    matrikkel = context.services.connectors.get(MatrikkelClient)
    numbers = matrikkel.known_numbers(ids)
    if numbers:
        fees = context.loader(PropertyRecordByMatrikkelnummerLoader)
        settle_quietly(fees.load_many([str(numbers[i]) for i in ids if i in numbers]))


async def own_property(context: Context, viewer: Viewer, key: str) -> OwnedProperty | None:
    """The viewer's property whose matrikkelnummer text is `key`, or None."""
    for owned in await owned_properties(context, viewer):
        if str(owned.property.matrikkelnummer) == key:
            return owned
    return None


async def own_meter(context: Context, viewer: Viewer, meter_number: str) -> OwnedMeter | None:
    """The meter `meter_number` if it is on one of the viewer's properties, else None."""
    owned = await owned_properties(context, viewer)
    records = await context.loader(PropertyRecordByMatrikkelnummerLoader).values(
        [str(o.property.matrikkelnummer) for o in owned]
    )
    for prop, record in zip(owned, records, strict=True):
        if record is None:
            continue
        for meter in record.meters:
            if meter.meter_number == meter_number:
                return OwnedMeter(meter, record.meters, prop)
    return None


async def property_record(context: Context, owned: OwnedProperty) -> PropertyRecord | None:
    """The fee/tax/meter record of a property (None: the register does not know it)."""
    loader = context.loader(PropertyRecordByMatrikkelnummerLoader)
    return await loader.value(str(owned.property.matrikkelnummer))


async def addresses(context: Context, owned: OwnedProperty) -> list[Address]:
    """The property's street addresses, in register id order."""
    found = await context.loader(AddressesByPropertyIdLoader).value(owned.property.id)
    return sorted(found, key=lambda a: a.id)


async def buildings(context: Context, owned: OwnedProperty) -> list[Building]:
    """The buildings on the property, by building number."""
    found = await context.loader(BuildingsByPropertyIdLoader).value(owned.property.id)
    return sorted(found, key=lambda b: (b.bygningsnummer, b.id))
