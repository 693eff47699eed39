"""Polygon boundaries as oriented segment arrays (for :mod:`geo.pairarea` and :mod:`geo.tiling`).

Every ring is oriented with the polygon's interior on its left (shells counter-clockwise, holes clockwise) and
cut into segments ``(x0, y0) → (x1, y1)``, in coordinates relative to a common ``origin`` (small numbers, so
areas from Green's theorem keep their precision). Per segment the running integral ∮x dy from the start of its
ring is kept, so the integral along any stretch of a ring is a difference of two numbers.

>>> sq = shapely.box(0, 0, 2, 2)
>>> e = edges(np.array([sq]), (1.0, 1.0))
>>> len(e), float(e.ring_total[0]), e.xy[0].tolist()
(4, 4.0, [1.0, -1.0, 1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["Edges", "edges"]

Ints = NDArray[np.int64]
Small = NDArray[np.int32]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Edges:
    """The ring segments of a geometry array (see the module docstring); ``n`` segments, ``r`` rings."""

    xy: Floats  # (n, 4): x0, y0, x1, y1 relative to origin
    ring: Small  # (n,) ring of each segment
    prev: Small  # (n,) previous segment of the same ring
    geom: Small  # (n,) geometry of each segment
    prefix: Floats  # (n,) ∮x dy from the ring's first vertex to the segment's first vertex
    ring_total: Floats  # (r,) signed area of each ring (positive for shells)
    ring_first: Ints  # (r,) first segment of each ring
    geom_rings: Ints  # (g + 1,) rings of geometry k are geom_rings[k] : geom_rings[k + 1]
    geom_segs: Ints  # (g + 1,) segments of geometry k are geom_segs[k] : geom_segs[k + 1]
    origin: tuple[float, float]

    def __len__(self) -> int:
        return int(self.ring.size)


def edges(geoms: NDArray[np.object_], origin: tuple[float, float]) -> Edges:
    """The oriented ring segments of polygonal ``geoms`` (other geometry types contribute nothing)."""
    from geo._pairscan import ring_segments  # compiled: loaded on first use

    arr = np.asarray(geoms, dtype=object)
    polygons = arr.copy()
    polygons[~np.isin(shapely.get_type_id(arr), (3, 6))] = None
    xy, ring_coords, ring_geom, shell = _rings(polygons)
    xy -= origin
    seg, ring, prev, prefix, ring_total, ring_first = ring_segments(xy, ring_coords, shell)
    seg_geom = ring_geom[ring]
    every = np.arange(arr.size + 1)
    return Edges(
        seg, ring, prev, seg_geom.astype(np.int32), prefix, ring_total, ring_first,
        np.searchsorted(ring_geom, every).astype(np.int64), np.searchsorted(seg_geom, every).astype(np.int64),
        (float(origin[0]), float(origin[1])),
    )  # fmt: skip


def _rings(geoms: NDArray[np.object_]) -> tuple[Floats, Ints, Ints, NDArray[np.bool_]]:
    """All ring coordinates (closed), each ring's coordinate offsets (r + 1), geometry and whether it is a
    shell — from one ragged array, without building ring geometries."""
    if not np.any(geoms != None):  # noqa: E711 (element-wise)
        return np.empty((0, 2)), np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    kind, xy, offsets = shapely.to_ragged_array(geoms)
    ring_coords, part_rings = offsets[0].astype(np.int64), offsets[1].astype(np.int64)
    geom_parts = offsets[2].astype(np.int64) if len(offsets) > 2 else np.arange(geoms.size + 1)
    ring_part = np.repeat(np.arange(part_rings.size - 1), np.diff(part_rings))
    part_geom = np.repeat(np.arange(geom_parts.size - 1), np.diff(geom_parts))
    shell = np.zeros(ring_part.size, dtype=bool)
    shell[part_rings[:-1][np.diff(part_rings) > 0]] = True
    return np.array(xy, dtype=np.float64), ring_coords, part_geom[ring_part], shell
