"""Exact area(a ∩ b) for many polygon pairs at once, from their boundaries only (no overlay geometry).

Green's theorem: area(a ∩ b) = ∮ x dy over the boundary of a ∩ b, which is the part of ∂a inside b plus the
part of ∂b inside a. Where the two boundaries meet ("contacts": crossings, shared vertices, a vertex on the
other's edge, the ends of shared stretches) the rings are cut into runs; each run lies wholly inside, outside
or along the other polygon, which a local test at its first contact decides from the orientation of three
points. A run along the other boundary counts one half: shared stretches running the same way add up to one,
opposite ones cancel, so shared edges and vertices — common in layers drawn on each other — are exact. Rings
without contacts are inside or outside as one of their vertices is.

Contacts and the local tests are in :mod:`geo.contacts`; pairs where a decision there is near-degenerate (see
:data:`~geo.contacts.DELTA`, :data:`~geo.contacts.FLAT`), or where a boundary touches itself at a contact, are
*uncertain*, and :func:`intersection_areas` computes them with GEOS instead.

>>> a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2)
>>> intersection_areas(np.array([a]), np.array([b]), np.array([0]), np.array([0])).tolist()
[2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.contacts import DELTA, FLAT, classify, contacts
from geo.edges import Edges, cell_size, edges, segment_pairs, segments_of
from geo.metric import parallel

__all__ = ["intersection_areas", "engine_areas", "DELTA", "FLAT"]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

_WORKERS = 2
CHUNK_SEGMENTS = 400_000
"""About this many segments (both sides, counted per pair) go into one chunk of :func:`engine_areas`."""


def _runs(e: Edges, pair: Ints, seg: Ints, t: Floats, chi: Floats, n: int) -> tuple[Floats, Bools, Ints]:
    """Per pair Σ χ·∫x dy over the runs between consecutive contacts on its rings of ``e``; a flag for pairs
    with two contacts at one point (a boundary touching itself there); and the (pair, ring) rows touched."""
    if pair.size == 0:
        return np.zeros(n), np.zeros(n, dtype=bool), np.zeros((2, 0), dtype=np.int64)
    order = np.lexsort((t, seg, pair))
    pair, seg, t, chi = pair[order], seg[order], t[order], chi[order]
    ring = e.ring[seg]
    xy = e.xy[seg]
    f = e.prefix[seg] + (xy[:, 3] - xy[:, 1]) * t * (xy[:, 0] + 0.5 * (xy[:, 2] - xy[:, 0]) * t)
    new = np.ones(pair.size, dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (ring[1:] != ring[:-1])
    last = np.append(new[1:], True)
    nxt = np.arange(1, pair.size + 1)
    nxt[last] = np.flatnonzero(new)
    run = f[nxt] - f
    run[last] += e.ring_total[ring[last]]
    dup = np.zeros(pair.size, dtype=bool)
    dup[1:] = ~new[1:] & (seg[1:] == seg[:-1]) & (t[1:] == t[:-1])
    touched = np.stack([pair[new], ring[new]])
    total = np.bincount(pair, chi * run, n).astype(np.float64)
    return total, np.bincount(pair[dup], minlength=n) > 0, touched


def _lonely(e: Edges, own: Ints, geoms: NDArray[np.object_], other: Ints, touched: Ints) -> Floats:
    """Per pair k, the signed area of the rings of geometry ``own[k]`` that meet no contact (``touched``:
    (pair, ring) rows) and lie in ``geoms[other[k]]`` (tested at their first vertex; GEOS prepares the
    geometries, which must not happen on two threads at once: call this on one)."""
    lo, hi = e.geom_rings[own], e.geom_rings[own + 1]
    count = hi - lo
    pair = np.repeat(np.arange(own.size), count)
    ring = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(pair.size)
    width = e.ring_total.size + 1
    free = ~np.isin(pair * width + ring, touched[0] * width + touched[1])
    pair, ring = pair[free], ring[free]
    x, y = e.xy[e.ring_first[ring], 0] + e.origin[0], e.xy[e.ring_first[ring], 1] + e.origin[1]
    other_geoms = geoms[other[pair]]
    bounds = shapely.bounds(other_geoms)
    near = (x >= bounds[:, 0]) & (x <= bounds[:, 2]) & (y >= bounds[:, 1]) & (y <= bounds[:, 3])
    inside = np.zeros(pair.size, dtype=bool)
    inside[near] = shapely.contains_xy(other_geoms[near], x[near], y[near])
    return np.bincount(pair, inside * e.ring_total[ring], own.size).astype(np.float64)


def _chunk_runs(a: Edges, b: Edges, pa: Ints, pb: Ints) -> tuple[Floats, Bools, Ints, Ints]:
    """For one chunk of pairs: the run sums of both rings, the uncertain pairs, and the (pair, ring) rows of
    ``a`` and of ``b`` that have contacts. Pure numpy (safe on any thread)."""
    n = pa.size
    sa_all, sb_all = segments_of(a, pa), segments_of(b, pb)
    h = cell_size(a, sa_all, b, sb_all)
    sa, sb, cand_pair = segment_pairs(a, sa_all, b, sb_all, h, _pair_lookup(pa, pb))
    rec, t, u, o2, o4, near = contacts(a, b, sa, sb)
    uncertain = np.bincount(cand_pair[near], minlength=n) > 0
    sa, sb, pair = sa[rec], sb[rec], cand_pair[rec]
    chi_a, chi_b, bad = classify(a, b, sa, sb, t, u, o2, o4)
    uncertain |= np.bincount(pair[bad], minlength=n) > 0
    run_a, dup_a, touched_a = _runs(a, pair, sa, t, chi_a, n)
    run_b, dup_b, touched_b = _runs(b, pair, sb, u, chi_b, n)
    return run_a + run_b, uncertain | dup_a | dup_b, touched_a, touched_b


def _pair_lookup(pa: Ints, pb: Ints) -> Callable[[Ints, Ints], Ints]:
    """A function: (geometries of a, geometries of b) → the number k of the pair (pa[k], pb[k]), or -1."""
    ua, la = np.unique(pa, return_inverse=True)
    ub, lb = np.unique(pb, return_inverse=True)
    local_a = np.full(int(ua[-1]) + 2, -1, dtype=np.int64)
    local_b = np.full(int(ub[-1]) + 2, -1, dtype=np.int64)
    local_a[ua], local_b[ub] = np.arange(ua.size), np.arange(ub.size)
    if ua.size * ub.size <= 1 << 22:
        table = np.full((ua.size + 1, ub.size + 1), -1, dtype=np.int64)  # row/column -1: not in the chunk
        table[la, lb] = np.arange(pa.size)
        return lambda ga, gb: table[local_a[np.minimum(ga, ua[-1] + 1)], local_b[np.minimum(gb, ub[-1] + 1)]]
    keys = la * ub.size + lb
    order = np.argsort(keys)
    sorted_keys = keys[order]

    def lookup(ga: Ints, gb: Ints) -> Ints:
        ka, kb = local_a[np.minimum(ga, ua[-1] + 1)], local_b[np.minimum(gb, ub[-1] + 1)]
        key = ka * ub.size + kb
        at = np.minimum(np.searchsorted(sorted_keys, key), keys.size - 1)
        return np.where((ka >= 0) & (kb >= 0) & (sorted_keys[at] == key), order[at], -1)

    return lookup


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
    a: Edges, b: Edges, ga: NDArray[np.object_], gb: NDArray[np.object_], pa: Ints, pb: Ints, chunk: int = 1000
) -> tuple[Floats, Bools]:
    """area(ga[pa[k]] ∩ gb[pb[k]]) from the boundaries ``a``/``b`` of ``ga``/``gb``, and the uncertain pairs
    (whose area is not to be trusted). Pairs are cut into spatially compact chunks of at most ``chunk`` pairs
    (fewer for big polygons: about :data:`CHUNK_SEGMENTS` segments), run on two threads."""
    pa, pb = np.asarray(pa, dtype=np.int64), np.asarray(pb, dtype=np.int64)
    area, uncertain = np.zeros(pa.size), np.zeros(pa.size, dtype=bool)
    if pa.size == 0:
        return area, uncertain
    per_pair = np.mean(np.diff(a.geom_segs)[pa] + np.diff(b.geom_segs)[pb])
    chunk = max(16, min(chunk, int(CHUNK_SEGMENTS // max(per_pair, 1.0))))
    order = np.argsort(_zorder(gb)[pb], kind="stable")
    parts = np.array_split(order, max(1, pa.size // chunk))
    touched: list[list[Ints]] = [[], []]
    with ThreadPoolExecutor(_WORKERS) as pool:
        done = pool.map(lambda k: _chunk_runs(a, b, pa[k], pb[k]), parts)
        for k, (got, unsure, touched_a, touched_b) in zip(parts, done, strict=True):
            area[k], uncertain[k] = got, unsure
            for side, rows in enumerate((touched_a, touched_b)):
                touched[side].append(np.stack([k[rows[0]], rows[1]]))
    area += _lonely(a, pa, gb, pb, np.concatenate(touched[0], axis=1))
    area += _lonely(b, pb, ga, pa, np.concatenate(touched[1], axis=1))
    return area, uncertain


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
