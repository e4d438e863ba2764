"""node(id:) for ``Property`` and ``WaterMeter``: only the viewer's own, else null."""

from __future__ import annotations

from strawberry.types import Info

from resolvers.context import Context
from resolvers.property import properties
from schema.errors import require_viewer
from schema.node import register_node
from schema.property.meters import WaterMeter
from schema.property.types import Property


@register_node("Property")
async def property_node(info: Info[Context, None], key: str) -> Property | None:
    """The viewer's property with matrikkelnummer text `key`, or None."""
    owned = await properties.own_property(info.context, require_viewer(info), key)
    return None if owned is None else Property.from_owned(owned)


@register_node("WaterMeter")
async def water_meter_node(info: Info[Context, None], key: str) -> WaterMeter | None:
    """The meter `key` if it is on one of the viewer's properties, or None."""
    found = await properties.own_meter(info.context, require_viewer(info), key)
    return None if found is None else WaterMeter.from_record(found.meter, found.siblings)
