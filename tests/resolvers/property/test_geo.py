"""UTM zone 33 → WGS84: a known point, round trips and the approximate outline."""

from __future__ import annotations

import math

from resolvers.property.geo import geojson_polygon, square_around, utm33_to_wgs84
from simulators.population.geo import wgs84_to_utm33


def test_the_central_meridian_at_60_degrees():
    # On the central meridian the northing is k0 × the GRS80 meridian arc (6 654 072.819 m).
    lat, lon = utm33_to_wgs84(500_000.0, 0.9996 * 6_654_072.819)
    assert abs(lat - 60.0) < 1e-7
    assert abs(lon - 15.0) < 1e-12


def test_the_equator_and_false_easting():
    lat, lon = utm33_to_wgs84(500_000.0, 0.0)
    assert abs(lat) < 1e-12 and abs(lon - 15.0) < 1e-12


def test_round_trips_across_norway_within_a_millimetre():
    for lat, lon in (
        (59.956, 11.05),
        (59.74, 10.2),
        (58.15, 7.99),
        (63.43, 10.39),
        (69.65, 18.96),
        (60.39, 5.32),
    ):
        east, north = wgs84_to_utm33(lat, lon)
        back_lat, back_lon = utm33_to_wgs84(east, north)
        # 1e-8 degrees is about a millimetre.
        assert abs(back_lat - lat) < 1e-8, (lat, lon)
        assert abs(back_lon - lon) < 1e-8, (lat, lon)


def test_square_outline_has_the_area_and_is_closed():
    ring = square_around(300_000.0, 6_650_000.0, 900.0)
    assert ring[0] == ring[-1] and len(ring) == 5
    width = ring[1][0] - ring[0][0]
    height = ring[2][1] - ring[1][1]
    assert math.isclose(width * height, 900.0)
    polygon = geojson_polygon(ring)
    assert polygon["type"] == "Polygon"
    (coordinates,) = polygon["coordinates"]
    assert coordinates[0] == coordinates[-1]
    lon, lat = coordinates[0]  # GeoJSON order: longitude first
    assert 59 < lat < 61 and 10 < lon < 12


def test_square_without_an_area_is_a_small_plot():
    ring = square_around(0.0, 0.0, None)
    assert ring[1][0] - ring[0][0] == 40.0
