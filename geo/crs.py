"""Chinese coordinate systems that are not EPSG codes: GCJ-02 (Amap, Tencent) and BD-09 (Baidu).

GCJ-02 is WGS-84 plus a published, deterministic offset of a few hundred metres inside China; BD-09 adds a
second offset on top of GCJ-02. Forward formulas are the public ones; the inverse is solved by fixed-point
iteration, which converges to well below a millimetre in a few steps.

>>> lon, lat = wgs84_to_gcj02(116.397, 39.909)
>>> back = gcj02_to_wgs84(lon, lat)
>>> bool(abs(back[0] - 116.397) < 1e-8 and abs(back[1] - 39.909) < 1e-8)
True
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "wgs84_to_bd09",
    "to_wgs84",
    "geometries_to_wgs84",
    "COORD_SYSTEMS",
]

COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

Array = NDArray[np.float64]


def _in_china(lon: Array, lat: Array) -> NDArray[np.bool_]:
    # The offset is applied only inside China's rough bounding box, as the published formula does.
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _delta(lon: Array, lat: Array) -> tuple[Array, Array]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → GCJ-02 (the published forward formula)."""
    x, y = _arrays(lon, lat)
    dlon, dlat = _delta(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS-84, by iterating the forward formula until the round trip closes."""
    gx, gy = _arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(30):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = fx - gx, fy - gy
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0) < 1e-10:
            break
    return x, y


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (Baidu's published offset)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02, solved by iteration like :func:`gcj02_to_wgs84`."""
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    for _ in range(30):
        fx, fy = gcj02_to_bd09(x, y)
        ex, ey = fx - bx, fy - by
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0) < 1e-10:
            break
    return x, y


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, coords: str) -> tuple[Array, Array]:
    """Convert from the named system (``wgs84``, ``gcj02`` or ``bd09``) to WGS-84."""
    if coords == "wgs84":
        return _arrays(lon, lat)
    if coords == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coords == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {coords!r}: use one of {', '.join(COORD_SYSTEMS)}")


def geometries_to_wgs84(geoms: ArrayLike, coords: str) -> NDArray[np.object_]:
    """Convert shapely geometries (an array or list) whose lon/lat are in ``coords`` to WGS-84."""

    def _convert(xy: Array) -> Array:
        x, y = to_wgs84(xy[:, 0], xy[:, 1], coords)
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), _convert), dtype=object)
