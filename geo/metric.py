"""Metric helpers for the alignment engine: the local UTM zone, projection both ways, GeoJSON output, widths.

All areas and lengths in :mod:`geo.align` are computed in the UTM zone of the data's centre (which agrees with
areas on the ellipsoid to well within 0.1 % inside a zone). Projection runs once, vectorised, through
:func:`shapely.transform` with a pyproj transformer, split over threads (GEOS and PROJ release the GIL).

>>> metric = Metric.around(114.8, 37.7)
>>> metric.crs.to_epsg()
32650
>>> square = shapely.box(114.8, 37.7, 114.801, 37.701)
>>> round(float(shapely.area(metric.to_metric([square])[0])))
9789
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Metric",
    "utm_epsg",
    "parallel",
    "geojson",
    "geojson_many",
    "width",
    "polygonal",
    "pieces",
    "pieces_of",
    "NOISE_M2",
    "PRECISION_M",
]

Geoms = NDArray[np.object_]

NOISE_M2 = 0.01
"""Gap, overlap and intersection pieces smaller than this (m²) are floating-point noise, not findings."""

PRECISION_M = 0.001
"""Gap and overlap pieces are snapped to this grid (metres), which removes the zero-width spikes and
collapsed slivers that floating-point noise leaves along shared edges."""

_WORKERS = max(1, min(4, os.cpu_count() or 1))
_CHUNK = 2048
_MIN_CHUNK = 32


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone holding ``(lon, lat)``.

    >>> utm_epsg(114.8, 37.7), utm_epsg(-87.7, 41.8)
    (32650, 32616)
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def parallel(func: Callable[..., Any], *arrays: ArrayLike, min_chunk: int = _MIN_CHUNK) -> NDArray[Any]:
    """Apply a vectorised shapely function chunk-wise on a few threads; results in input order. Chunks hold
    at most :data:`_CHUNK` items and at least ``min_chunk`` (1 for heavy items such as large geometries)."""
    arrs = [np.asarray(a) for a in arrays]
    n = arrs[0].shape[0] if arrs else 0
    size = min(_CHUNK, max(min_chunk, -(-n // (4 * _WORKERS))))
    if n <= size or _WORKERS == 1:
        return np.asarray(func(*arrs))
    bounds = list(range(0, n, size))
    with ThreadPoolExecutor(_WORKERS) as pool:
        parts = list(pool.map(lambda i: func(*(a[i : i + size] for a in arrs)), bounds))
    return np.concatenate(parts)


class Metric:
    """Projection between EPSG:4326 and one UTM zone, for whole geometry arrays at once."""

    def __init__(self, epsg: int) -> None:
        self.crs = pyproj.CRS.from_epsg(epsg)
        self._fwd = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
        self._inv = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)

    @classmethod
    def around(cls, lon: float, lat: float) -> Metric:
        return cls(utm_epsg(lon, lat))

    @classmethod
    def for_bounds(cls, bounds: Sequence[float]) -> Metric:
        """The UTM zone of the centre of lon/lat ``bounds`` (minx, miny, maxx, maxy)."""
        minx, miny, maxx, maxy = bounds
        return cls.around((minx + maxx) / 2.0, (miny + maxy) / 2.0)

    def to_metric(self, geoms: ArrayLike) -> Geoms:
        return self._apply(self._fwd, geoms)

    def to_lonlat(self, geoms: ArrayLike) -> Geoms:
        return self._apply(self._inv, geoms)

    @staticmethod
    def _apply(tr: pyproj.Transformer, geoms: ArrayLike) -> Geoms:
        def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        arr = np.asarray(geoms, dtype=object)
        return parallel(lambda chunk: shapely.transform(chunk, project), arr).astype(object)


def geojson(geom: shapely.Geometry, digits: int = 6) -> dict[str, Any]:
    """A GeoJSON geometry dict with coordinates rounded to ``digits`` decimals (lists, not tuples)."""
    rounded = shapely.transform(geom, lambda xy: np.round(xy, digits))
    result: dict[str, Any] = json.loads(shapely.to_geojson(rounded))
    return result


def geojson_many(geoms: ArrayLike, digits: int = 6) -> list[dict[str, Any]]:
    """:func:`geojson` of each geometry; Polygons are written straight from their coordinates (fast)."""
    arr = np.asarray(geoms, dtype=object)
    polygon = shapely.get_type_id(arr) == 3
    out: list[dict[str, Any]] = [{"type": "Polygon", "coordinates": []} if p else {} for p in polygon.tolist()]
    rings, owner = shapely.get_rings(arr[polygon], return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(xy, digits).tolist()
    ends = np.cumsum(np.bincount(ring, minlength=rings.size)).tolist()
    where = np.flatnonzero(polygon)[owner].tolist()
    for k, (start, end) in enumerate(zip([0, *ends[:-1]], ends, strict=True)):
        out[where[k]]["coordinates"].append(coords[start:end])
    for k in np.flatnonzero(~polygon).tolist():
        out[k] = geojson(arr[k], digits)
    return out


def width(geoms: ArrayLike) -> NDArray[np.float64]:
    """Mean width estimate 2·area/perimeter (exact for long thin strips; half the side for a square)."""
    arr = np.asarray(geoms, dtype=object)
    perimeter = shapely.length(arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perimeter > 0, 2.0 * shapely.area(arr) / perimeter, 0.0)


def polygonal(geom: shapely.Geometry | None) -> shapely.Geometry:
    """The polygonal part of ``geom`` (a Polygon or MultiPolygon; empty MultiPolygon when there is none)."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def pieces(geom: shapely.Geometry | None, min_area: float = NOISE_M2) -> Geoms:
    """The polygon parts of ``geom`` with at least ``min_area`` (metric units), snapped to
    :data:`PRECISION_M`, as an array."""
    parts, _ = pieces_of(np.array([geom], dtype=object), min_area)
    return parts


def pieces_of(geoms: ArrayLike, min_area: float = NOISE_M2) -> tuple[Geoms, NDArray[np.int64]]:
    """:func:`pieces` of every geometry at once (snapped on a few threads), with the index of each
    piece's geometry."""
    arr = _polygonal_all(np.asarray(geoms, dtype=object))
    snapped = parallel(lambda chunk: shapely.set_precision(chunk, PRECISION_M), arr, min_chunk=1)
    snapped = _polygonal_all(snapped.astype(object))
    parts, owner = shapely.get_parts(snapped, return_index=True)
    if parts.size == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    keep = shapely.area(parts) >= min_area
    return np.asarray(parts[keep], dtype=object), owner[keep].astype(np.int64)


def _polygonal_all(geoms: Geoms) -> Geoms:
    """:func:`polygonal` of each geometry; Polygons and MultiPolygons pass as they are, points and lines
    become an empty MultiPolygon."""
    out = geoms.copy()
    kind = shapely.get_type_id(out)
    out[np.isin(kind, (0, 1, 2, 4, 5))] = shapely.MultiPolygon()
    for k in np.flatnonzero(~np.isin(kind, (0, 1, 2, 3, 4, 5, 6))):
        out[k] = polygonal(out[k])
    return out
