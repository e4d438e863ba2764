"""EUREF89 UTM zone 33 (EPSG:25833) to WGS84 latitude/longitude, and approximate parcel outlines.

Matrikkel answers positions in UTM 33 (the client asks for it in its MatrikkelContext); maps on
the web want WGS84. The inverse transverse Mercator here is Krüger's series in the third flattening
``n`` (Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 2011, eqs.
11-15 truncated after n³; the same series Kartverket's own tools use), on the GRS80 ellipsoid of
EUREF89. Truncated after n³ it is accurate to well under a millimetre within a few degrees of the
zone's central meridian (15° E), which covers all of Norway south of Finnmark. EUREF89 and WGS84
differ by less than a metre, far below what a map of a property shows, so no datum shift is made.

No dependency (pyproj/PROJ) is needed for this one fixed projection.
"""

from __future__ import annotations

import math
from typing import Any

_A = 6_378_137.0  # GRS80 semi-major axis (m)
_F = 1 / 298.257222101  # GRS80 flattening
_K0 = 0.9996  # UTM scale on the central meridian
_FALSE_EASTING = 500_000.0
_ZONE33_MERIDIAN = math.radians(15.0)

_N = _F / (2 - _F)  # third flattening
_A_HAT = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)  # rectifying radius
# β: from the Mercator plane back to the conformal sphere.
_BETA = (
    _N / 2 - 2 * _N**2 / 3 + 37 * _N**3 / 96,
    _N**2 / 48 + _N**3 / 15,
    17 * _N**3 / 480,
)
# δ: conformal latitude χ to geodetic latitude φ.
_DELTA = (
    2 * _N - 2 * _N**2 / 3 - 2 * _N**3,
    7 * _N**2 / 3 - 8 * _N**3 / 5,
    56 * _N**3 / 15,
)


def utm33_to_wgs84(east: float, north: float) -> tuple[float, float]:
    """(latitude, longitude) in degrees for an EUREF89 UTM zone 33 position in metres."""
    xi = north / (_K0 * _A_HAT)
    eta = (east - _FALSE_EASTING) / (_K0 * _A_HAT)
    xi_p = xi - sum(
        b * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, b in enumerate(_BETA, 1)
    )
    eta_p = eta - sum(
        b * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, b in enumerate(_BETA, 1)
    )
    chi = math.asin(math.sin(xi_p) / math.cosh(eta_p))
    phi = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(_DELTA, 1))
    lam = _ZONE33_MERIDIAN + math.atan2(math.sinh(eta_p), math.cos(xi_p))
    return math.degrees(phi), math.degrees(lam)


def square_around(east: float, north: float, area_m2: float | None) -> list[tuple[float, float]]:
    """A closed ring (UTM 33, counter-clockwise) of a square of `area_m2` centred on the point.

    Used when the register gives no outline: it shows where and roughly how big the property is,
    not its true boundary. Without an area a 40 m square stands in for a house plot.
    """
    half = math.sqrt(area_m2) / 2 if area_m2 and area_m2 > 0 else 20.0
    return [
        (east - half, north - half),
        (east + half, north - half),
        (east + half, north + half),
        (east - half, north + half),
        (east - half, north - half),
    ]


def geojson_polygon(ring_utm33: list[tuple[float, float]]) -> dict[str, Any]:
    """A GeoJSON Polygon (RFC 7946: WGS84, [longitude, latitude]) of a UTM 33 ring."""
    coordinates = []
    for east, north in ring_utm33:
        lat, lon = utm33_to_wgs84(east, north)
        coordinates.append([round(lon, 7), round(lat, 7)])
    return {"type": "Polygon", "coordinates": [coordinates]}
