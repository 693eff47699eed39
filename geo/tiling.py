"""Whether a polygon layer overlaps itself, shown cheaply for layers that tile (as grid layers should).

Orient every ring with the interior on its left. Call a segment *twinned* when exactly one other segment, of
another polygon, runs between the same two points the other way. Let m(x) count the polygons covering x:
across a twinned segment one polygon ends and the other begins, so m does not change; it changes only across
untwinned segments. Validate with GEOS (:func:`shapely.coverage_invalid_edges`) just the polygons that have
an untwinned segment, against every polygon near them. If none is invalid, each untwinned segment has one
polygon on its inner side and none on its outer side: m steps between 0 and 1 there and nowhere else, and m
is 0 far away, so m ≤ 1 everywhere — no two polygons overlap. (A stack of polygons or a second tiling on top
of the first raises m to 2, which must fall back to 0 across untwinned segments, whose polygons GEOS then
reports.) The polygons checked by GEOS see all their neighbours, so their verdict is the one a check of the
whole layer would give.

>>> from geo.edges import edges
>>> cells = np.array([shapely.box(x, y, x + 1, y + 1) for x in range(3) for y in range(3)])
>>> tiles(cells, edges(cells, (0.0, 0.0)))
True
>>> shifted = cells.copy()
>>> shifted[4] = shapely.box(1.5, 1, 2.5, 2)
>>> tiles(shifted, edges(shifted, (0.0, 0.0)))
False
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.edges import Edges

__all__ = ["tiles", "untwinned"]

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


def untwinned(e: Edges) -> NDArray[np.bool_]:
    """Per geometry: whether any of its segments lacks a twin (see the module docstring)."""
    n_geoms = e.geom_segs.size - 1
    if len(e) == 0:
        return np.zeros(n_geoms, dtype=bool)
    key = _point_hash(e.xy[:, 0], e.xy[:, 1]) + _point_hash(e.xy[:, 2], e.xy[:, 3])  # the same both ways
    order = np.argsort(key)
    k = key[order]
    eq = k[1:] == k[:-1]
    two = eq.copy()  # order[i] and order[i + 1] form a key group of exactly two
    two[1:] &= ~eq[:-1]
    two[:-1] &= ~eq[1:]
    a, b = order[:-1][two], order[1:][two]
    twin = (e.xy[a, 0] == e.xy[b, 2]) & (e.xy[a, 1] == e.xy[b, 3]) & (e.xy[a, 2] == e.xy[b, 0])
    twin &= (e.xy[a, 3] == e.xy[b, 1]) & (e.geom[a] != e.geom[b])
    ok = np.zeros(len(e), dtype=bool)
    ok[a[twin]] = ok[b[twin]] = True
    return np.bincount(e.geom[~ok], minlength=n_geoms) > 0


def _point_hash(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        hx = np.ascontiguousarray(x + 0.0).view(np.uint64) * _K1  # + 0.0: -0.0 and 0.0 hash alike
        hy = np.ascontiguousarray(y + 0.0).view(np.uint64) * _K2
        return (hx ^ (hy >> np.uint64(29))) + (hy ^ (hx >> np.uint64(31)))


def tiles(geoms: NDArray[np.object_], e: Edges) -> bool:
    """True when the polygons ``geoms`` (with :func:`~geo.edges.edges` ``e``) surely do not overlap and form
    a valid coverage; False when that is not shown (then check them the slow way)."""
    loose = np.flatnonzero(untwinned(e))
    if loose.size == 0:
        return len(geoms) == 0
    _, near = shapely.STRtree(geoms).query(geoms[loose])
    checked = np.union1d(loose, near)
    invalid = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms[checked]))
    return not bool(invalid[np.isin(checked, loose)].any())
