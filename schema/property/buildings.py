"""Buildings (bygninger) on a property, with the national building-type labels."""

from __future__ import annotations

import strawberry

from connectors.matrikkel import models as matrikkel
from kernel.i18n import Language
from schema.labels import Label

# Bygningstype codes (NS 3457-3, as used by the Matrikkel) that homes, cabins and farms have;
# other codes answer a null label rather than a guess.
BUILDING_TYPE_LABELS: dict[str, Label] = {
    "111": Label("Enebolig", "Einebustad", "Detached house"),
    "112": Label(
        "Enebolig med hybelleilighet, sokkelleilighet o.l.",
        "Einebustad med hybelhusvære, sokkelhusvære o.l.",
        "Detached house with a bedsit or basement flat",
    ),
    "113": Label("Våningshus", "Våningshus", "Farmhouse"),
    "121": Label(
        "Tomannsbolig, vertikaldelt", "Tomannsbustad, vertikaldelt", "Semi-detached house"
    ),
    "122": Label(
        "Tomannsbolig, horisontaldelt", "Tomannsbustad, horisontaldelt", "Two-family house"
    ),
    "131": Label("Rekkehus", "Rekkjehus", "Terraced house"),
    "141": Label(
        "Store frittliggende boligbygg på 2 etasjer",
        "Store frittliggjande bustadbygg på 2 etasjar",
        "Block of flats, 2 storeys",
    ),
    "142": Label(
        "Store frittliggende boligbygg på 3 og 4 etasjer",
        "Store frittliggjande bustadbygg på 3 og 4 etasjar",
        "Block of flats, 3–4 storeys",
    ),
    "143": Label(
        "Store frittliggende boligbygg på 5 etasjer eller over",
        "Store frittliggjande bustadbygg på 5 etasjar eller meir",
        "Block of flats, 5 storeys or more",
    ),
    "161": Label(
        "Fritidsbygning (hytter, sommerhus o.l.)",
        "Fritidsbygning (hytter, sommarhus o.l.)",
        "Holiday home (cabin, summer house)",
    ),
    "181": Label(
        "Garasje, uthus, anneks knyttet til bolig",
        "Garasje, uthus, anneks knytt til bustad",
        "Garage, outbuilding or annex of a dwelling",
    ),
    "241": Label(
        "Hus for dyr, fôrlager, strølager",
        "Hus for dyr, fôrlager, strølager",
        "Animal house, fodder or litter store",
    ),
}


@strawberry.type(description="A building on the property, as registered in the Matrikkel.")
class Building:
    building_number: int = strawberry.field(description="Bygningsnummer.")
    type_code: str | None = strawberry.field(description='Bygningstype code, e.g. "111".')
    type_label: str | None = strawberry.field(
        description="The building type in the request's language (null for an unlisted code)."
    )
    built_year: int | None = strawberry.field(description="The year it was taken into use.")
    floors: int = strawberry.field(description="Registered floors (etasjer).")
    footprint_area: float | None = strawberry.field(description="Bebygd areal in m².")

    @classmethod
    def from_record(cls, building: matrikkel.Building, language: Language) -> Building:
        labels = BUILDING_TYPE_LABELS.get(building.type_code or "")
        return cls(
            building_number=building.bygningsnummer,
            type_code=building.type_code,
            type_label=None if labels is None else labels.in_language(language),
            built_year=building.built_year,
            floors=building.floors,
            footprint_area=building.footprint_m2,
        )
