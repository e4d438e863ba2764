"""Generation of one property with everything attached to it: buildings, addresses, map
outline, fee basis, property-tax basis and water meters with their reading history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from simulators.population import documented, ids
from simulators.population.geo import parcel_outline, ring_to_utm33, wgs84_to_utm33
from simulators.population.models import (
    Address,
    Building,
    FeeKind,
    FeeLine,
    Meter,
    Property,
    Reading,
    ReadingSource,
    TaxBasis,
)
from simulators.population.profiles import rng_for

HOME_KOMMUNE = "3030"
HOME_KOMMUNE_NAME = "Min kommune"
OTHER_KOMMUNE = "3301"
OTHER_KOMMUNE_NAME = "Drammen"

# (postnummer, poststed, centre lat, centre lon) of the synthetic municipality's postal areas.
_HOME_POST_AREAS = (
    ("2000", "Lillestrøm", 59.956, 11.050),
    ("2007", "Kjeller", 59.971, 11.038),
    ("2010", "Strømmen", 59.947, 11.006),
    ("2013", "Skjetten", 59.971, 10.997),
    ("2020", "Skedsmokorset", 60.003, 11.033),
    ("2016", "Frogner", 60.020, 11.095),
)
_OTHER_POST_AREAS = (
    ("3015", "Drammen", 59.744, 10.204),
    ("3036", "Drammen", 59.730, 10.240),
)
_STREETS = (
    "Storgata",
    "Kirkegata",
    "Skolevegen",
    "Bjørkevegen",
    "Granlia",
    "Furuvegen",
    "Solbakken",
    "Eikelundvegen",
    "Sagvegen",
    "Kjerkevegen",
    "Nordbyvegen",
    "Fjellvegen",
    "Tunvegen",
    "Åsvegen",
    "Rådhusgata",
    "Jernbanegata",
    "Lindevegen",
    "Løkkevegen",
    "Myrvegen",
    "Vestvegen",
    "Hyttevegen",
    "Gamle Trondheimsveg",
    "Bekkevegen",
    "Stasjonsvegen",
)

# Land use of a property decides its buildings, fees, tax and meters.
BOLIG, SEKSJON, FRITID, LANDBRUK, UBEBYGD = "Bolig", "Seksjon", "Fritid", "Landbruk", "Ubebygd"

# Tariffs (NOK, ex. VAT as municipal fees are): water/wastewater fixed and per m³, waste, sweep.
_WATER_FIXED = Decimal("2150.00")
_WATER_PER_M3 = Decimal("21.40")
_WATER_PER_M2 = Decimal("14.20")  # sectioned units without their own meter pay by area
_SEWAGE_FIXED = Decimal("2890.00")
_SEWAGE_PER_M3 = Decimal("28.10")
_SEWAGE_PER_M2 = Decimal("18.60")
_WASTE_STANDARD = Decimal("3920.00")
_WASTE_CABIN = Decimal("1480.00")
_SWEEPING = Decimal("620.00")
_TAX_RATE = Decimal("2.4")
_BASIC_DEDUCTION = Decimal("200000")
_STATUTORY_REDUCTION = Decimal("0.30")  # eigedomsskattelova § 8 A-4 for dwellings
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PropertyBundle:
    """A generated property and everything that hangs off it."""

    property: Property
    buildings: tuple[Building, ...]
    addresses: tuple[Address, ...]
    fees: tuple[FeeLine, ...]
    tax: TaxBasis | None
    meters: tuple[Meter, ...]


def _land_use(rng: random.Random, index: int, slot: int) -> tuple[str, bool]:
    """(land use, in the other kommune) of slot `slot` of person `index`."""
    if index == documented.LANDOWNER:
        if slot == 0:
            return BOLIG, False
        if slot in (1, 2):
            return FRITID, False
        if slot == 23:
            return FRITID, True
        return (LANDBRUK if slot % 5 < 3 else UBEBYGD), False
    if index == documented.APARTMENT:
        return (SEKSJON, False) if slot == 0 else (FRITID, True)
    if index in documented.BY_INDEX:
        return BOLIG, False
    if slot == 0:
        return rng.choices((BOLIG, SEKSJON, LANDBRUK), weights=(75, 20, 5))[0], False
    use = rng.choices((FRITID, BOLIG, UBEBYGD, LANDBRUK), weights=(45, 20, 20, 15))[0]
    return use, use == FRITID and rng.random() < 0.4


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def generate_property(seed: int, anchor: date, index: int, slot: int) -> PropertyBundle:
    """Property `slot` of person `index` with buildings, addresses, fees, tax and meters."""
    rng = rng_for(seed, "property", index, slot)
    use, elsewhere = _land_use(rng, index, slot)
    kommune, kommune_name = (
        (OTHER_KOMMUNE, OTHER_KOMMUNE_NAME) if elsewhere else (HOME_KOMMUNE, HOME_KOMMUNE_NAME)
    )
    matrikkelenhet_id = ids.property_id(index, slot)
    gnr, bnr = ids.gnr_bnr(index, slot)
    snr = rng.randint(1, 24) if use == SEKSJON else 0
    area = {
        BOLIG: (450, 1400),
        SEKSJON: (1500, 6000),
        FRITID: (600, 2500),
        LANDBRUK: (20_000, 300_000),
        UBEBYGD: (800, 40_000),
    }[use]
    area_m2 = Decimal(rng.randint(*area))
    postnummer, poststed, lat0, lon0 = rng.choice(
        _OTHER_POST_AREAS if elsewhere else _HOME_POST_AREAS
    )
    lat = round(lat0 + rng.uniform(-0.012, 0.012), 6)
    lon = round(lon0 + rng.uniform(-0.022, 0.022), 6)
    ring = parcel_outline(rng, lat, lon, float(area_m2))
    prop = Property(
        matrikkelenhet_id=matrikkelenhet_id,
        kommunenummer=kommune,
        kommunenavn=kommune_name,
        gnr=gnr,
        bnr=bnr,
        fnr=0,
        snr=snr,
        kind="Seksjon" if snr else "Grunneiendom",
        land_use=use,
        area_m2=area_m2,
        boundary_wgs84=ring,
        boundary_utm33=ring_to_utm33(ring),
    )
    buildings = _buildings(rng, prop, anchor)
    addresses = _addresses(rng, prop, postnummer, poststed, lat, lon)
    if elsewhere:
        # Another municipality's register: Min kommune has no fees, tax or meters for it.
        return PropertyBundle(prop, buildings, addresses, (), None, ())
    meters = _meters(rng, prop, anchor, index, slot)
    fees = _fees(rng, prop, buildings, meters)
    tax = _tax(rng, prop, anchor)
    return PropertyBundle(prop, buildings, addresses, fees, tax, meters)


_BUILDING_TYPES = {
    BOLIG: (
        ("111", "Enebolig"),
        ("112", "Enebolig med hybelleilighet"),
        ("121", "Tomannsbolig, vertikaldelt"),
        ("131", "Rekkehus"),
    ),
    SEKSJON: (
        ("142", "Store frittliggende boligbygg på 3 og 4 etasjer"),
        ("143", "Store frittliggende boligbygg på 5 etasjer eller over"),
    ),
    FRITID: (("161", "Fritidsbygning (hytter, sommerhus o.l.)"),),
    LANDBRUK: (("113", "Våningshus"), ("241", "Hus for dyr, fôrlager, strølager")),
}


def _buildings(rng: random.Random, prop: Property, anchor: date) -> tuple[Building, ...]:
    types = _BUILDING_TYPES.get(prop.land_use, ())
    if not types:
        return ()
    chosen = [rng.choice(types)] if prop.land_use != LANDBRUK else list(types)
    if prop.land_use == BOLIG and rng.random() < 0.45:
        chosen.append(("181", "Garasje, uthus, anneks knyttet til bolig"))
    result = []
    for position, (code, name) in enumerate(chosen):
        big = code.startswith("14") or code == "241"
        result.append(
            Building(
                bygg_id=ids.sub_id(prop.matrikkelenhet_id, position),
                matrikkelenhet_id=prop.matrikkelenhet_id,
                bygningsnummer=100_000_000 + ids.sub_id(prop.matrikkelenhet_id, position) % 10**9,
                type_code=code,
                type_name=name,
                built_year=rng.randint(
                    1890 if prop.land_use == LANDBRUK else 1950, anchor.year - 1
                ),
                area_m2=Decimal(rng.randint(400, 3000) if big else rng.randint(25, 260)),
                floors=rng.randint(3, 6) if code.startswith("14") else rng.randint(1, 2),
            )
        )
    return tuple(result)


def _addresses(
    rng: random.Random, prop: Property, postnummer: str, poststed: str, lat: float, lon: float
) -> tuple[Address, ...]:
    if prop.land_use == UBEBYGD:
        return ()
    east, north = wgs84_to_utm33(lat, lon)
    letter = rng.choice(("", "", "", "A", "B", "C")) if prop.land_use != SEKSJON else ""
    return (
        Address(
            adresse_id=ids.sub_id(prop.matrikkelenhet_id, 0),
            matrikkelenhet_id=prop.matrikkelenhet_id,
            kommunenummer=prop.kommunenummer,
            street=rng.choice(_STREETS),
            number=rng.randint(1, 140),
            letter=letter,
            postnummer=postnummer,
            poststed=poststed,
            lat=lat,
            lon=lon,
            east=round(east, 2),
            north=round(north, 2),
        ),
    )


def _meters(
    rng: random.Random, prop: Property, anchor: date, index: int, slot: int
) -> tuple[Meter, ...]:
    """None for sections, cabins half the time and bare land; a replaced meter for some."""
    if prop.land_use in (SEKSJON, UBEBYGD) or (prop.land_use == FRITID and rng.random() < 0.5):
        return ()
    yearly = rng.uniform(60, 240) if prop.land_use != FRITID else rng.uniform(10, 40)
    first_year = anchor.year - 5
    installed = date(rng.randint(2008, first_year - 1), rng.randint(1, 12), rng.randint(1, 28))
    if index == documented.HOMEOWNER:
        replaced = None
    elif index == documented.CO_OWNER_A or (
        index not in documented.BY_INDEX and rng.random() < 0.25
    ):
        replaced = date(anchor.year - rng.randint(1, 3), rng.randint(3, 10), rng.randint(1, 28))
    else:
        replaced = None
    number = ids.meter_number(prop.matrikkelenhet_id, 0)
    # The counter at the first listed reading reflects the years since installation.
    counter = yearly * (first_year - installed.year) * rng.uniform(0.9, 1.1)
    old: list[Reading] = []
    new: list[Reading] = []
    new_counter = 0.0
    for year in range(first_year, anchor.year):
        read_on = date(year, 12, rng.randint(15, 31))
        if read_on >= anchor:
            break
        usage = yearly * rng.uniform(0.85, 1.15)
        if replaced is not None and read_on > replaced:
            if not new:
                new.append(Reading(replaced, Decimal("0.000"), ReadingSource.TECHNICIAN))
                share = (read_on - replaced).days / 365
                new_counter = usage * min(share, 1.0)
            else:
                new_counter += usage
            new.append(Reading(read_on, _m3(new_counter), _source(rng)))
            continue
        counter += usage
        old.append(Reading(read_on, _m3(counter), _source(rng)))
    if replaced is None:
        return (Meter(number, prop.matrikkelnummer, installed, None, tuple(old)),)
    share = (replaced - date(replaced.year - 1, 12, 31)).days / 365
    old.append(Reading(replaced, _m3(counter + yearly * share), ReadingSource.TECHNICIAN))
    if not new:
        new.append(Reading(replaced, Decimal("0.000"), ReadingSource.TECHNICIAN))
    second = ids.meter_number(prop.matrikkelenhet_id, 1)
    return (
        Meter(number, prop.matrikkelnummer, installed, replaced, tuple(old)),
        Meter(second, prop.matrikkelnummer, replaced, None, tuple(new)),
    )


def _m3(value: float) -> Decimal:
    return Decimal(f"{value:.3f}")


def _source(rng: random.Random) -> ReadingSource:
    return rng.choices(
        (ReadingSource.CITIZEN, ReadingSource.TECHNICIAN, ReadingSource.ESTIMATED),
        weights=(70, 15, 15),
    )[0]


def _yearly_consumption(meters: tuple[Meter, ...]) -> Decimal:
    """Average yearly m³ from the meter history (what the register bills water by)."""
    readings = [r for meter in meters for r in meter.readings]
    used = Decimal(0)
    for meter in meters:
        values = [r.value_m3 for r in meter.readings]
        if len(values) >= 2:
            used += values[-1] - values[0]
    if not readings:
        return Decimal(0)
    days = (max(r.read_on for r in readings) - min(r.read_on for r in readings)).days
    if days < 180:
        return Decimal(150)
    return (used * 365 / days).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _line(
    kind: FeeKind, code: str, text: str, unit: str, quantity: Decimal, price: Decimal
) -> FeeLine:
    return FeeLine(kind, code, text, unit, quantity, price, _money(quantity * price))


def _fees(
    rng: random.Random, prop: Property, buildings: tuple[Building, ...], meters: tuple[Meter, ...]
) -> tuple[FeeLine, ...]:
    if prop.land_use == UBEBYGD:
        return ()
    one = Decimal(1)
    lines = [
        _line(FeeKind.WATER, "VANN-FAST", "Vann, fastledd", "count", one, _WATER_FIXED),
    ]
    if meters:
        used = _yearly_consumption(meters)
        lines.append(
            _line(FeeKind.WATER, "VANN-M3", "Vann, forbruk etter måler", "m3", used, _WATER_PER_M3)
        )
    else:
        # No meter: billed by the dwelling's floor area (bruksareal) as the register does.
        flat_area = (
            Decimal(rng.randint(45, 130))
            if prop.is_sectioned
            else (sum((b.area_m2 for b in buildings), Decimal(0)) or Decimal(60))
        )
        lines.append(
            _line(
                FeeKind.WATER,
                "VANN-M2",
                "Vann, stipulert etter areal",
                "m2",
                flat_area,
                _WATER_PER_M2,
            )
        )
    lines.append(
        _line(FeeKind.WASTEWATER, "AVLOP-FAST", "Avløp, fastledd", "count", one, _SEWAGE_FIXED)
    )
    if meters:
        lines.append(
            _line(
                FeeKind.WASTEWATER,
                "AVLOP-M3",
                "Avløp, forbruk etter måler",
                "m3",
                lines[1].quantity,
                _SEWAGE_PER_M3,
            )
        )
    else:
        lines.append(
            _line(
                FeeKind.WASTEWATER,
                "AVLOP-M2",
                "Avløp, stipulert etter areal",
                "m2",
                lines[1].quantity,
                _SEWAGE_PER_M2,
            )
        )
    if prop.land_use == FRITID:
        lines.append(
            _line(
                FeeKind.WASTE, "REN-HYTTE", "Renovasjon, fritidsbolig", "count", one, _WASTE_CABIN
            )
        )
    else:
        bins = Decimal(rng.choice((1, 1, 1, 2)))
        lines.append(
            _line(
                FeeKind.WASTE,
                "REN-STD",
                "Renovasjon, standard abonnement",
                "count",
                bins,
                _WASTE_STANDARD,
            )
        )
    chimneys = 0 if prop.is_sectioned else rng.choice((0, 1, 1, 1, 2))
    if chimneys:
        lines.append(
            _line(
                FeeKind.CHIMNEY_SWEEPING,
                "FEIING",
                "Feiing og tilsyn",
                "count",
                Decimal(chimneys),
                _SWEEPING,
            )
        )
    return tuple(lines)


_EXEMPTIONS = (
    "§ 7 b) Bygning med historisk verdi",
    "§ 7 c) Nytt bygg med boliger (fritak i inntil 20 år)",
    "§ 7 a) Eigedom åtte av stiftelse eller institusjon",
)


def _tax(rng: random.Random, prop: Property, anchor: date) -> TaxBasis:
    low, high = {
        BOLIG: (2_400_000, 7_500_000),
        SEKSJON: (1_800_000, 4_800_000),
        FRITID: (700_000, 2_600_000),
        LANDBRUK: (900_000, 3_200_000),
        UBEBYGD: (250_000, 1_200_000),
    }[prop.land_use]
    assessed = Decimal(rng.randint(low // 1000, high // 1000) * 1000)
    dwelling = prop.land_use in (BOLIG, SEKSJON, FRITID, LANDBRUK)
    reduction = _money(assessed * _STATUTORY_REDUCTION) if dwelling else Decimal("0.00")
    deduction = _BASIC_DEDUCTION if prop.land_use in (BOLIG, SEKSJON) else Decimal(0)
    base = max(assessed - reduction - deduction, Decimal(0))
    exemption = rng.choice(_EXEMPTIONS) if rng.random() < 0.05 else None
    annual = Decimal("0.00") if exemption else _money(base * _TAX_RATE / 1000)
    return TaxBasis(
        matrikkelnummer=prop.matrikkelnummer,
        year=anchor.year,
        assessed_value=assessed,
        statutory_reduction=reduction,
        basic_deduction=deduction,
        tax_base=base,
        rate_per_mille=_TAX_RATE,
        annual_tax=annual,
        exemption=exemption,
    )
