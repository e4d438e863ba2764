"""Resolver functions of Min eiendom: the viewer's properties and what hangs off them.

Everything goes through this request's dataloaders (:mod:`resolvers.property.loaders`), so a
query costs each back-office operation a fixed number of calls whatever the number of
properties. Ownership is checked here for node(id:): only the viewer's own properties and the
meters on them are ever returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth.viewer import Viewer
from connectors.fees.models import Meter, PropertyRecord
from connectors.matrikkel.models import Address, Building
from resolvers.context import Context
from resolvers.errors import loaded
from resolvers.property.loaders import (
    AddressesByPropertyIdLoader,
    BuildingsByPropertyIdLoader,
    OwnedPropertiesByPidLoader,
    OwnedProperty,
    PropertyRecordByMatrikkelnummerLoader,
)


@dataclass(frozen=True)
class OwnedMeter:
    """A water meter on one of the viewer's properties, with the property's other meters."""

    meter: Meter
    siblings: tuple[Meter, ...]
    owned: OwnedProperty


async def owned_properties(context: Context, viewer: Viewer) -> list[OwnedProperty]:
    """The viewer's properties, sorted by matrikkelnummer (one fetch per request)."""
    owned: list[OwnedProperty] = await loaded(
        context.sources, context.loader(OwnedPropertiesByPidLoader).load(viewer.pid)
    )
    return owned


async def own_property(context: Context, viewer: Viewer, key: str) -> OwnedProperty | None:
    """The viewer's property whose matrikkelnummer text is `key`, or None."""
    for owned in await owned_properties(context, viewer):
        if str(owned.property.matrikkelnummer) == key:
            return owned
    return None


async def own_meter(context: Context, viewer: Viewer, meter_number: str) -> OwnedMeter | None:
    """The meter `meter_number` if it is on one of the viewer's properties, else None."""
    owned = await owned_properties(context, viewer)
    records = await loaded(
        context.sources,
        context.loader(PropertyRecordByMatrikkelnummerLoader).load_many(
            [str(o.property.matrikkelnummer) for o in owned]
        ),
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
    record: PropertyRecord | None = await loaded(
        context.sources,
        context.loader(PropertyRecordByMatrikkelnummerLoader).load(
            str(owned.property.matrikkelnummer)
        ),
    )
    return record


async def addresses(context: Context, owned: OwnedProperty) -> list[Address]:
    """The property's street addresses, in register id order."""
    found: list[Address] = await loaded(
        context.sources, context.loader(AddressesByPropertyIdLoader).load(owned.property.id)
    )
    return sorted(found, key=lambda a: a.id)


async def buildings(context: Context, owned: OwnedProperty) -> list[Building]:
    """The buildings on the property, by building number."""
    found: list[Building] = await loaded(
        context.sources, context.loader(BuildingsByPropertyIdLoader).load(owned.property.id)
    )
    return sorted(found, key=lambda b: (b.bygningsnummer, b.id))
