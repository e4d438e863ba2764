"""Where a property is: its matrikkelnummer, municipality, address and map."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from connectors.matrikkel import models as matrikkel
from resolvers.property.geo import geojson_polygon, square_around, utm33_to_wgs84

# Names of the municipalities Min side's citizens typically own property in. The Matrikkel
# answers kommune numbers only; a number not listed here answers a null name.
MUNICIPALITY_NAMES: dict[str, str] = {
    "0301": "Oslo",
    "3030": "Lillestrøm",
    "3205": "Lillestrøm",
    "3005": "Drammen",
    "3301": "Drammen",
    "3024": "Bærum",
    "3201": "Bærum",
    "3025": "Asker",
    "3203": "Asker",
    "3029": "Lørenskog",
    "3222": "Lørenskog",
    "3031": "Nittedal",
    "3232": "Nittedal",
    "3033": "Ullensaker",
    "3209": "Ullensaker",
}

# The municipality's map client, centred on the property (UTM 33 metres, like the register).
MAP_URL_TEMPLATE = (
    "https://kart.kommune.no/?kommune={kommunenummer}&srs=EPSG:25833"
    "&x={east:.0f}&y={north:.0f}&zoom={zoom}"
)
MAP_ZOOM = 17


@strawberry.type(description="Matrikkelnummer: kommunenummer-gnr/bnr/fnr/snr.")
class Matrikkelnummer:
    kommunenummer: str
    gardsnummer: int = strawberry.field(description="Gårdsnummer (gnr).")
    bruksnummer: int = strawberry.field(description="Bruksnummer (bnr).")
    festenummer: int = strawberry.field(description="Festenummer (fnr); 0 when none.")
    seksjonsnummer: int = strawberry.field(description="Seksjonsnummer (snr); 0 when none.")
    text: str = strawberry.field(description='Written out, e.g. "3030-12/45/0/0".')

    @classmethod
    def from_record(cls, number: matrikkel.Matrikkelnummer) -> Matrikkelnummer:
        return cls(
            kommunenummer=number.kommunenummer,
            gardsnummer=number.gardsnummer,
            bruksnummer=number.bruksnummer,
            festenummer=number.festenummer,
            seksjonsnummer=number.seksjonsnummer,
            text=str(number),
        )


@strawberry.type(description="A municipality (kommune).")
class Municipality:
    number: str = strawberry.field(description='Kommunenummer, e.g. "3030".')
    name: str | None = strawberry.field(description="The name, when known.")

    @classmethod
    def of(cls, kommunenummer: str) -> Municipality:
        return cls(number=kommunenummer, name=MUNICIPALITY_NAMES.get(kommunenummer))


@strawberry.type(description="A street address (vegadresse).")
class Address:
    street: str
    number: int | None
    letter: str | None
    postnummer: str | None
    poststed: str | None
    text: str = strawberry.field(description='One line, e.g. "Storgata 12B, 2000 Lillestrøm".')

    @classmethod
    def from_record(cls, address: matrikkel.Address) -> Address:
        return cls(
            street=address.street,
            number=address.number,
            letter=address.letter,
            postnummer=address.postnummer,
            poststed=address.poststed,
            text=str(address),
        )


@strawberry.type(description="A position in WGS84 degrees.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.type(description="Where the property is on a map.")
class PropertyMap:
    centroid: GeoPoint = strawberry.field(
        description="The property's position (its address point), WGS84."
    )
    east: float = strawberry.field(description="The same position, EUREF89 UTM 33 east (m).")
    north: float = strawberry.field(description="The same position, EUREF89 UTM 33 north (m).")
    boundary: JSON = strawberry.field(
        description="The outline as a GeoJSON Polygon (WGS84, [lon, lat]). See "
        "boundaryIsApproximate."
    )
    boundary_is_approximate: bool = strawberry.field(
        description="True when the register gave no outline and the boundary is a square of "
        "the property's registered area around its position."
    )
    map_url: str = strawberry.field(description="The municipality's map client at the property.")

    @classmethod
    def around(
        cls, kommunenummer: str, east: float, north: float, area_m2: float | None
    ) -> PropertyMap:
        """The map of a property the register positions at (east, north) without an outline."""
        lat, lon = utm33_to_wgs84(east, north)
        boundary: dict[str, Any] = geojson_polygon(square_around(east, north, area_m2))
        return cls(
            centroid=GeoPoint(latitude=round(lat, 7), longitude=round(lon, 7)),
            east=east,
            north=north,
            boundary=cast(JSON, boundary),
            boundary_is_approximate=True,
            map_url=MAP_URL_TEMPLATE.format(
                kommunenummer=kommunenummer, east=east, north=north, zoom=MAP_ZOOM
            ),
        )
