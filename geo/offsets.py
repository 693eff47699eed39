"""Spot a layer drawn on a Chinese basemap (GCJ-02 / BD-09) by comparing it with layers already stored.

Boundaries of related layers share edges (districts follow grids, grids follow precincts). When a new layer's
vertices sit a consistent few hundred metres off the stored edges, and undoing the GCJ-02 or BD-09 offset brings
them onto those edges, the file was very likely digitised on Amap/Tencent or Baidu.

>>> import shapely
>>> from geo.crs import wgs84_to_gcj02
>>> truth = shapely.box(114.80, 37.70, 114.82, 37.72)
>>> shifted = shapely.transform(truth, lambda xy: __import__("numpy").column_stack(wgs84_to_gcj02(*xy.T)))
>>> suggest_coords([shifted], [truth]).coords
'gcj02'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike

from geo.crs import to_wgs84

__all__ = ["OffsetHint", "suggest_coords"]

_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class OffsetHint:
    coords: str  # "gcj02" or "bd09": what the file most likely is
    median_m: float  # median distance of the file's vertices to the stored edges, as given
    corrected_m: float  # the same after converting from ``coords`` to WGS-84

    def message(self, file_name: str) -> str:
        return (
            f"{file_name}: its edges sit a median {self.median_m:.0f} m off the layers already stored, and "
            f"{self.corrected_m:.1f} m once read as {self.coords.upper()}: it was probably drawn on a "
            f"{'Amap/Tencent' if self.coords == 'gcj02' else 'Baidu'} basemap — import with --coords {self.coords}"
        )


def _sample_vertices(geoms: ArrayLike, sample: int, seed: int = 0) -> np.ndarray:
    boundaries = shapely.boundary(np.asarray(geoms, dtype=object))
    xy = shapely.get_coordinates(boundaries)
    if len(xy) > sample:
        xy = xy[np.random.default_rng(seed).choice(len(xy), sample, replace=False)]
    return xy


def _median_distance_m(xy: np.ndarray, edges: shapely.Geometry) -> float:
    points = shapely.points(xy)
    degrees = shapely.distance(points, edges)
    # Degrees to metres at the sample's latitude; a rough figure is all the comparison needs.
    k = _M_PER_DEG * np.sqrt((np.cos(np.radians(xy[:, 1])) ** 2 + 1) / 2)
    return float(np.median(degrees * k))


def suggest_coords(
    new_geoms: ArrayLike, reference_geoms: ArrayLike, sample: int = 400, min_offset_m: float = 50.0
) -> OffsetHint | None:
    """An :class:`OffsetHint` when ``new_geoms`` (lon/lat as read) look GCJ-02 or BD-09 shifted against
    ``reference_geoms`` (WGS-84), else None."""
    reference = np.asarray(reference_geoms, dtype=object)
    if len(reference) == 0 or len(np.asarray(new_geoms, dtype=object)) == 0:
        return None
    edges = shapely.union_all(shapely.boundary(reference))
    shapely.prepare(edges)
    xy = _sample_vertices(new_geoms, sample)
    as_given = _median_distance_m(xy, edges)
    if as_given < min_offset_m:
        return None
    best: OffsetHint | None = None
    for coords in ("gcj02", "bd09"):
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], coords)
        corrected = _median_distance_m(np.column_stack([lon, lat]), edges)
        if corrected < as_given / 5 and (best is None or corrected < best.corrected_m):
            best = OffsetHint(coords, as_given, corrected)
    return best
