"""Exact area(a ∩ b) for many polygon pairs at once, from their boundaries only (no overlay geometry).

Green's theorem: area(a ∩ b) = ∮ x dy over the boundary of a ∩ b, which is the part of ∂a inside b plus the
part of ∂b inside a. Where the two boundaries meet ("contacts": crossings, shared vertices, a vertex on the
other's edge, the ends of shared stretches) the rings are cut into runs; each run lies wholly inside, outside
or along the other polygon, which a local test at its first contact decides from the orientation of three
points. A run along the other boundary counts one half: shared stretches running the same way add up to one,
opposite ones cancel, so shared edges and vertices — common in layers drawn on each other — are exact. Rings
without contacts are inside or outside as one of their vertices is.

Contacts and the local tests run compiled, per pair (:mod:`geo._pairscan`); pairs where a decision is
near-degenerate (see :data:`DELTA`, :data:`FLAT`), or where a boundary touches itself at a contact, are
*uncertain*, and :func:`intersection_areas` computes them with GEOS instead.

>>> a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2)
>>> intersection_areas(np.array([a]), np.array([b]), np.array([0]), np.array([0])).tolist()
[2.0]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from geo import _pairscan
from geo._contacts import DELTA, FLAT
from geo.edges import Edges, edges
from geo.metric import parallel

__all__ = ["intersection_areas", "engine_areas", "layer_arrays", "warm_up", "DELTA", "FLAT"]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

_WORKERS = 2


def layer_arrays(e: Edges) -> tuple[Any, ...]:
    """The arrays of ``e`` as the compiled kernels take them (with each geometry's segments in min-x order
    and its box)."""
    counts = np.bincount(e.ring, minlength=e.ring_total.size)
    xy = np.ascontiguousarray(e.xy)
    return (
        xy, e.ring, e.prev, e.prefix, e.ring_total, e.ring_first, e.ring_first + counts, e.geom_rings,
        e.geom_segs, _pairscan.xmin_order(xy, e.geom_segs), _pairscan.geom_boxes(xy, e.geom_segs),
    )  # fmt: skip


def _zorder(geoms: NDArray[np.object_]) -> Ints:
    """A Morton key of each geometry's box centre (nearby geometries get nearby keys)."""
    bounds = np.nan_to_num(shapely.bounds(geoms))  # empty geometries: NaN
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    span = max(float(np.ptp(cx)), float(np.ptp(cy)), 1e-9)
    ix = ((cx - cx.min()) / span * 1023).astype(np.int64)
    iy = ((cy - cy.min()) / span * 1023).astype(np.int64)
    key = np.zeros_like(ix)
    for bit in range(10):
        key |= ((ix >> bit) & 1) << (2 * bit) | ((iy >> bit) & 1) << (2 * bit + 1)
    return key


def engine_areas(
    a: Edges, b: Edges, ga: NDArray[np.object_], gb: NDArray[np.object_], pa: Ints, pb: Ints, chunk: int = 4000
) -> tuple[Floats, Bools]:
    """area(ga[pa[k]] ∩ gb[pb[k]]) from the boundaries ``a``/``b`` of ``ga``/``gb`` (with one origin), and the
    uncertain pairs (whose area is not to be trusted). Pairs go in spatially compact chunks of at most
    ``chunk`` pairs to two threads."""
    if a.origin != b.origin:
        raise ValueError("both layers' edges need the same origin")
    pa, pb = np.asarray(pa, dtype=np.int64), np.asarray(pb, dtype=np.int64)
    area, uncertain = np.zeros(pa.size), np.zeros(pa.size, dtype=bool)
    if pa.size == 0:
        return area, uncertain
    arr_a, arr_b = layer_arrays(a), layer_arrays(b)
    order = np.argsort(_zorder(gb)[pb] * (len(ga) + 1) + pa, kind="stable")
    parts = np.array_split(order, max(2 * _WORKERS, -(-pa.size // max(chunk, 1))))
    with ThreadPoolExecutor(_WORKERS) as pool:
        done = pool.map(lambda k: _pairscan.pair_areas(arr_a, arr_b, pa[k], pb[k]), parts)
        for k, (got, unsure) in zip(parts, done, strict=True):
            area[k], uncertain[k] = got, unsure
    return area, uncertain


def warm_up() -> None:
    """Compile (or load from the cache) the kernels on a tiny input."""
    square = np.array([shapely.box(0, 0, 1, 1)], dtype=object)
    e = edges(square, (0.0, 0.0))
    engine_areas(e, e, square, square, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))


def intersection_areas(
    ga: NDArray[np.object_],
    gb: NDArray[np.object_],
    pa: Ints,
    pb: Ints,
    a: Edges | None = None,
    b: Edges | None = None,
) -> Floats:
    """area(ga[pa[k]] ∩ gb[pb[k]]) per pair: the boundary engine, with GEOS for the uncertain pairs.
    ``a``/``b`` are the :func:`~geo.edges.edges` of ``ga``/``gb`` (computed here when not given)."""
    ga, gb = np.asarray(ga, dtype=object), np.asarray(gb, dtype=object)
    if a is None or b is None:
        bounds = shapely.total_bounds(np.concatenate([ga, gb]))
        origin = (float(bounds[0] + bounds[2]) / 2, float(bounds[1] + bounds[3]) / 2)
        a, b = edges(ga, origin) if a is None else a, edges(gb, origin) if b is None else b
    area, uncertain = engine_areas(a, b, ga, gb, pa, pb)
    redo = np.flatnonzero(uncertain)
    if redo.size:
        area[redo] = parallel(lambda x, y: shapely.area(shapely.intersection(x, y)), ga[pa[redo]], gb[pb[redo]])
    return area
