"""Coordinates: WGS84 (lat/lon) to EUREF89 UTM zone 33 (EPSG:25833), and parcel outlines.

EUREF89 and WGS84 differ by well under a metre, so the same ellipsoid (GRS80) is used; the
projection is the Krüger series of the transverse Mercator (accurate to millimetres in zone 33's
neighbourhood, which covers all of southern Norway as Kartverket uses it).
"""

from __future__ import annotations

import math
import random

_A = 6_378_137.0
_F = 1 / 298.257222101  # GRS80
_K0 = 0.9996
_FALSE_EASTING = 500_000.0
_ZONE33_MERIDIAN = math.radians(15.0)

_N = _F / (2 - _F)
_A_HAT = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)
_ALPHA = (
    _N / 2 - 2 * _N**2 / 3 + 5 * _N**3 / 16,
    13 * _N**2 / 48 - 3 * _N**3 / 5,
    61 * _N**3 / 240,
)
_E = math.sqrt(_F * (2 - _F))


def wgs84_to_utm33(lat: float, lon: float) -> tuple[float, float]:
    """(east, north) in metres, EUREF89 UTM zone 33, for a WGS84 latitude/longitude."""
    phi = math.radians(lat)
    dlam = math.radians(lon) - _ZONE33_MERIDIAN
    t = math.sinh(math.atanh(math.sin(phi)) - _E * math.atanh(_E * math.sin(phi)))
    xi_p = math.atan2(t, math.cos(dlam))
    eta_p = math.atanh(math.sin(dlam) / math.sqrt(1 + t * t))
    xi = xi_p + sum(
        a * math.sin(2 * j * xi_p) * math.cosh(2 * j * eta_p) for j, a in enumerate(_ALPHA, start=1)
    )
    eta = eta_p + sum(
        a * math.cos(2 * j * xi_p) * math.sinh(2 * j * eta_p) for j, a in enumerate(_ALPHA, start=1)
    )
    return _FALSE_EASTING + _K0 * _A_HAT * eta, _K0 * _A_HAT * xi


_METRES_PER_DEGREE_LAT = 111_320.0


def parcel_outline(
    rng: random.Random, lat: float, lon: float, area_m2: float
) -> tuple[tuple[float, float], ...]:
    """A closed, slightly irregular, rotated quadrilateral of about `area_m2` around a point,
    as (lat, lon) pairs; the first point is repeated at the end (a closed ring)."""
    side = math.sqrt(area_m2)
    aspect = rng.uniform(0.7, 1.4)
    half_w, half_h = side * aspect / 2, side / aspect / 2
    angle = rng.uniform(0, math.pi / 2)
    corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
    metres_per_degree_lon = _METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))
    ring: list[tuple[float, float]] = []
    for x, y in corners:
        # A little jitter per corner so parcels do not all look like perfect rectangles.
        x += rng.uniform(-0.08, 0.08) * side
        y += rng.uniform(-0.08, 0.08) * side
        dx = x * math.cos(angle) - y * math.sin(angle)
        dy = x * math.sin(angle) + y * math.cos(angle)
        point_lat = round(lat + dy / _METRES_PER_DEGREE_LAT, 7)
        ring.append((point_lat, round(lon + dx / metres_per_degree_lon, 7)))
    ring.append(ring[0])
    return tuple(ring)


def ring_to_utm33(ring: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """The same ring projected to UTM33 (east, north), rounded to centimetres."""
    points = (wgs84_to_utm33(lat, lon) for lat, lon in ring)
    return tuple((round(east, 2), round(north, 2)) for east, north in points)
