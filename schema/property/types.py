"""``Property``: one of the viewer's properties (Min eiendom), a Relay node.

Matrikkel gives the property, its addresses and buildings; the fee service its fee basis, tax
basis and water meters, all three from one batched record per request. Fields fed by a system
that may be down are nullable, so a failure costs only those fields.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from resolvers.property import properties
from resolvers.property.loaders import OwnedProperty
from schema.invoice.property_fields import PropertyInvoiceFields
from schema.property.buildings import Building
from schema.property.fees import FeeBasis, PropertyTaxBasis
from schema.property.meters import WaterMeter, sorted_meters
from schema.property.places import Address, Matrikkelnummer, Municipality, PropertyMap
from schema.relay import Node, global_id


@strawberry.type(description="Eiendom: a property the viewer (co-)owns.")
class Property(PropertyInvoiceFields, Node):
    owned: strawberry.Private[OwnedProperty]
    matrikkelnummer: Matrikkelnummer
    municipality: Municipality
    ownership_share: str | None = strawberry.field(
        description='The viewer\'s registered share, e.g. "1/1" or "1/2".'
    )
    is_sectioned: bool = strawberry.field(
        description="True for an eierseksjon (a unit in a sectioned building)."
    )
    area: float | None = strawberry.field(description="Registered area in m².")

    @classmethod
    def from_owned(cls, owned: OwnedProperty) -> Property:
        prop = owned.property
        return cls(
            id=global_id("Property", str(prop.matrikkelnummer)),
            owned=owned,
            matrikkelnummer=Matrikkelnummer.from_record(prop.matrikkelnummer),
            municipality=Municipality.of(prop.matrikkelnummer.kommunenummer),
            ownership_share=owned.share,
            is_sectioned=prop.matrikkelnummer.seksjonsnummer > 0,
            area=prop.area_m2,
        )

    @strawberry.field(description="The street address (null for land without one).")
    async def address(self, info: Info[Context, None]) -> Address | None:
        found = await properties.addresses(info.context, self.owned)
        return Address.from_record(found[0]) if found else None

    @strawberry.field(description="Buildings on the property (null if the register is down).")
    async def buildings(self, info: Info[Context, None]) -> list[Building] | None:
        language = info.context.language
        found = await properties.buildings(info.context, self.owned)
        return [Building.from_record(b, language) for b in found]

    @strawberry.field(
        description="Gebyrgrunnlag. Null when the municipality's register has no fee basis for "
        "the property (e.g. it lies in another municipality) or is unavailable (with an error)."
    )
    async def fee_basis(self, info: Info[Context, None]) -> FeeBasis | None:
        record = await properties.property_record(info.context, self.owned)
        if record is None or not record.fee_basis:
            return None
        return FeeBasis.from_lines(record.fee_basis, info.context.language)

    @strawberry.field(
        description="Eiendomsskattegrunnlag. Null when the register has none for the property "
        "or is unavailable (with an error)."
    )
    async def property_tax_basis(self, info: Info[Context, None]) -> PropertyTaxBasis | None:
        record = await properties.property_record(info.context, self.owned)
        if record is None or record.tax_basis is None:
            return None
        return PropertyTaxBasis.from_record(record.tax_basis)

    @strawberry.field(
        description="Water meters, in use first. Empty when the property has none; null when "
        "the fee and meter register is unavailable (with an error)."
    )
    async def water_meters(self, info: Info[Context, None]) -> list[WaterMeter] | None:
        record = await properties.property_record(info.context, self.owned)
        if record is None:
            return []
        return [WaterMeter.from_record(m, record.meters) for m in sorted_meters(record.meters)]

    @strawberry.field(
        description="The property on a map, positioned at its address (null without one)."
    )
    async def map(self, info: Info[Context, None]) -> PropertyMap | None:
        found = await properties.addresses(info.context, self.owned)
        located = next((a for a in found if a.east is not None and a.north is not None), None)
        if located is None or located.east is None or located.north is None:
            return None
        return PropertyMap.around(
            self.owned.property.matrikkelnummer.kommunenummer,
            located.east,
            located.north,
            self.owned.property.area_m2,
        )
