"""GCJ-02 / BD-09 conversions against published coordinate pairs (wandergis/coordtransform's own test)."""

import numpy as np
import pytest
import shapely

from geo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometries_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (function, input lon/lat, published output); the published inverses are one-step approximations,
# so they are compared within a metre, the forward formulas to 1e-9 degrees.
PUBLISHED = [
    (wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-9),
    (gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021), 1e-9),
    (gcj02_to_wgs84, (116.404, 39.915), (116.39775550083061, 39.91359571849836), 1e-5),
    (bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631), 1e-5),
]


@pytest.mark.parametrize(("func", "given", "expected", "tol"), PUBLISHED)
def test_published_pairs(func, given, expected, tol):
    lon, lat = func(*given)
    assert abs(float(lon) - expected[0]) < tol
    assert abs(float(lat) - expected[1]) < tol


def _metres(lon_a, lat_a, lon_b, lat_b):
    k = 111_320.0
    return np.hypot((lon_a - lon_b) * k * np.cos(np.radians(lat_a)), (lat_a - lat_b) * k)


def test_round_trips_close_below_a_millimetre():
    rng = np.random.default_rng(7)
    lon = rng.uniform(75, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *back).max() < 1e-3
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, *back).max() < 1e-3


def test_offset_is_hundreds_of_metres_in_china_and_none_outside():
    lon, lat = wgs84_to_gcj02(114.8, 37.7)  # Zhao County
    assert 100 < _metres(114.8, 37.7, lon, lat) < 1000
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris: unchanged


def test_geometries_and_names():
    square = shapely.box(114.8, 37.7, 114.81, 37.71)
    (moved,) = geometries_to_wgs84([square], "gcj02")
    assert moved.is_valid and moved.area == pytest.approx(square.area, rel=1e-2)
    assert moved.centroid.distance(square.centroid) > 0.001
    assert to_wgs84(1.0, 2.0, "wgs84") == (1.0, 2.0)
    with pytest.raises(ValueError, match="gcj02"):
        to_wgs84(1.0, 2.0, "mars")
