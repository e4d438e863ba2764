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
    loader = context.loader(OwnedPropertiesByPidLoader)
    return await loader.value(viewer.pid)


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
