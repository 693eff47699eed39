"""Polygon boundaries as oriented segment arrays, and a spatial join of segments (for :mod:`geo.pairarea`).

Every ring is oriented with the polygon's interior on its left (shells counter-clockwise, holes clockwise) and
cut into segments ``(x0, y0) → (x1, y1)``, in coordinates relative to a common ``origin`` (small numbers, so
areas from Green's theorem keep their precision). Per segment the running integral ∮x dy from the start of its
ring is kept, so the integral along any stretch of a ring is a difference of two numbers.

>>> sq = shapely.box(0, 0, 2, 2)
>>> e = edges(np.array([sq]), (1.0, 1.0))
>>> len(e), float(e.ring_total[0])
(4, 4.0)
>>> ia, ib, _ = segment_pairs(e, np.arange(4), e, np.arange(4), 1.0, lambda ga, gb: np.zeros_like(ga))
>>> int(ia.size)  # each side meets itself and its two neighbours
12
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["Edges", "edges", "segment_pairs", "segments_of", "cell_size"]

Ints = NDArray[np.int64]
Small = NDArray[np.int32]
Floats = NDArray[np.float64]

PAD = 1e-6
"""Segment boxes are grown by this (metres) in the join, so that touching segments always meet."""

BATCH = 1 << 18
"""Candidate segment pairs expanded at once by :func:`segment_pairs`."""


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
    arr = np.asarray(geoms, dtype=object)
    polygons = arr.copy()
    polygons[~np.isin(shapely.get_type_id(arr), (3, 6))] = None
    xy, ring_coords, ring_geom, shell = _rings(polygons)
    xy -= origin
    xy = _oriented(xy, ring_coords, shell)
    ring = np.repeat(np.arange(ring_geom.size, dtype=np.int64), np.diff(ring_coords))
    start = np.flatnonzero(ring[1:] == ring[:-1])
    seg = np.empty((start.size, 4))
    seg[:, :2], seg[:, 2:] = xy[start], xy[start + 1]
    ring = ring[start]
    moved = (seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])
    if not moved.all():
        seg, ring = seg[moved], ring[moved]
    counts = np.bincount(ring, minlength=ring_geom.size)
    ring_first = np.cumsum(counts) - counts
    prev = np.arange(ring.size, dtype=np.int64) - 1
    prev[ring_first[counts > 0]] = (ring_first + counts - 1)[counts > 0]
    step = 0.5 * (seg[:, 0] + seg[:, 2]) * (seg[:, 3] - seg[:, 1])
    running = np.cumsum(step) - step
    prefix = running - running[ring_first[ring]] if ring.size else running
    seg_geom = ring_geom[ring]
    every = np.arange(arr.size + 1)
    return Edges(
        seg, ring.astype(np.int32), prev.astype(np.int32), seg_geom.astype(np.int32), prefix,
        np.bincount(ring, weights=step, minlength=ring_geom.size).astype(np.float64), ring_first.astype(np.int64),
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


def _oriented(xy: Floats, ring_coords: Ints, shell: NDArray[np.bool_]) -> Floats:
    """``xy`` with shells turned counter-clockwise and holes clockwise (interior on the left)."""
    x, y = xy[:, 0], xy[:, 1]
    step = 0.5 * (x[:-1] + x[1:]) * (y[1:] - y[:-1]) if x.size else np.empty(0)
    ring = np.repeat(np.arange(shell.size), np.diff(ring_coords))
    inside = np.ones(step.size, dtype=bool)  # steps within one ring
    inside[ring_coords[1:-1][ring_coords[1:-1] <= step.size] - 1] = False
    area = np.bincount(ring[:-1][inside], weights=step[inside], minlength=shell.size)
    flip = np.flatnonzero((shell & (area < 0)) | (~shell & (area > 0)))
    if flip.size == 0:
        return xy
    k = np.arange(x.size)
    turned = np.repeat(np.isin(np.arange(shell.size), flip), np.diff(ring_coords))
    first, last = ring_coords[ring], ring_coords[ring + 1] - 1
    return xy[np.where(turned, first + last - k, k)]


def segments_of(e: Edges, which: Ints) -> Ints:
    """Indices of the segments of the geometries ``which`` (unique, sorted)."""
    which = np.unique(which)
    lo, hi = e.geom_segs[which], e.geom_segs[which + 1]
    return _ranges(lo, hi - lo)


def _ranges(lo: Ints, counts: Ints) -> Ints:
    """Concatenated ``arange(lo[k], lo[k] + counts[k])``."""
    ends = np.cumsum(counts)
    return np.arange(int(ends[-1]) if ends.size else 0, dtype=np.int64) + np.repeat(lo - (ends - counts), counts)


def cell_size(a: Edges, sa: Ints, b: Edges, sb: Ints) -> float:
    """A join cell size: twice the median extent of the segments ``sa`` and ``sb`` (at least a millimetre)."""
    if sa.size == 0 or sb.size == 0:
        return 1.0
    return max(2.0 * max(_median_extent(a, sa), _median_extent(b, sb)), 1e-3)


def _median_extent(e: Edges, segs: Ints) -> float:
    b = _boxes(e, segs[:: max(1, segs.size // 4096)])
    return float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))


def _boxes(e: Edges, segs: Ints) -> Floats:
    """Bounding boxes (min x, min y, max x, max y) of the segments ``segs``."""
    xy = e.xy[segs]
    box = np.empty_like(xy)
    np.minimum(xy[:, :2], xy[:, 2:], out=box[:, :2])
    np.maximum(xy[:, :2], xy[:, 2:], out=box[:, 2:])
    return box


def _pieces(e: Edges, segs: Ints, h: float) -> tuple[Ints, Floats]:
    """Boxes for the join: one per segment, or one per stretch of length ``h`` for longer segments (the
    pieces of a segment are adjacent)."""
    box = _boxes(e, segs)
    k = np.ceil(np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) / h).astype(np.int64)
    long = np.flatnonzero(k > 1)
    if long.size == 0:
        return segs, box
    k = k[long]
    seg = np.repeat(segs[long], k)
    j = (np.arange(seg.size) - np.repeat(np.cumsum(k) - k, k)).astype(np.float64)
    kk = np.repeat(k, k).astype(np.float64)
    xy = e.xy[seg]
    dx, dy = xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1]
    xa, xb = xy[:, 0] + dx * (j / kk), xy[:, 0] + dx * ((j + 1) / kk)
    ya, yb = xy[:, 1] + dy * (j / kk), xy[:, 1] + dy * ((j + 1) / kk)
    cut = np.column_stack([np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb)])
    short = np.ones(segs.size, dtype=bool)
    short[long] = False
    return np.concatenate([segs[short], seg]), np.concatenate([box[short], cut])


@dataclass(frozen=True)
class _Grid:
    """Join cells: size ``h`` from the corner ``lo``, ``shape`` columns × rows (dense ids column * rows + row)."""

    lo: Floats
    h: float
    shape: tuple[int, int]


def _span(box: Floats, grid: _Grid) -> Ints:
    """Per piece, the first and last cell column and row its padded box covers (clipped to the grid)."""
    lo, (nx, ny) = grid.lo, grid.shape
    c = np.floor((box + [-PAD, -PAD, PAD, PAD] - [lo[0], lo[1], lo[0], lo[1]]) / grid.h).astype(np.int64)
    return np.clip(c, [0, 0, -1, -1], [nx, ny, nx - 1, ny - 1], out=c)


def _cells(c: Ints, shape: tuple[int, int], which: Ints | None = None) -> tuple[Ints, Ints]:
    """(entry → piece, dense cell id) for every cell of the spans ``c`` (of the pieces ``which``)."""
    which = np.arange(c.shape[0], dtype=np.int64) if which is None else which
    c = c[which]
    w, hgt = c[:, 2] - c[:, 0] + 1, c[:, 3] - c[:, 1] + 1
    n = np.maximum(w, 0) * np.maximum(hgt, 0)
    entry = np.repeat(np.arange(which.size, dtype=np.int64), n)
    k = np.arange(entry.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    wp = w[entry]
    return which[entry], (c[entry, 0] + k % wp) * shape[1] + c[entry, 1] + k // wp


def _occupied(c: Ints, counts: Ints, shape: tuple[int, int]) -> Ints:
    """The pieces (spans ``c``) that may share a cell with an entry (``counts`` per dense cell): pieces
    spanning at most 2 × 2 cells are looked up at their corners, wider ones are kept."""
    x0, y0 = np.minimum(c[:, 0], shape[0] - 1), np.minimum(c[:, 1], shape[1] - 1)
    x1, y1 = np.maximum(c[:, 2], 0), np.maximum(c[:, 3], 0)
    hit = (counts[x0 * shape[1] + y0] + counts[x1 * shape[1] + y1] + counts[x0 * shape[1] + y1]) > 0
    hit |= counts[x1 * shape[1] + y0] > 0
    hit |= (c[:, 2] - c[:, 0] > 1) | (c[:, 3] - c[:, 1] > 1)
    return np.flatnonzero(hit & (c[:, 2] >= c[:, 0]) & (c[:, 3] >= c[:, 1]))


def segment_pairs(
    a: Edges, sa: Ints, b: Edges, sb: Ints, h: float, pair_of: Callable[[Ints, Ints], Ints]
) -> tuple[Ints, Ints, Ints]:
    """(segment of ``a`` in ``sa``, segment of ``b`` in ``sb``, pair) for segments whose boxes, grown by PAD,
    meet and whose geometries form a pair: ``pair_of(geometries_a, geometries_b)`` gives its number, or -1.

    A uniform grid of cells of size ``h`` holds the pieces of ``b``; each pair is reported once, in the cell of
    the lower-left corner of the overlap of its two boxes. Candidates are expanded in batches of at most
    :data:`BATCH` (bounded memory)."""
    seg_a, box_a = _pieces(a, sa, h)
    seg_b, box_b = _pieces(b, sb, h)
    none = np.empty(0, dtype=np.int64)
    if seg_a.size == 0 or seg_b.size == 0:
        return none, none, none
    lo = box_b[:, :2].min(axis=0) - 4 * PAD
    span = box_b[:, 2:].max(axis=0) + 4 * PAD - lo
    grid = _Grid(lo, h, (int(span[0] // h) + 2, int(span[1] // h) + 2))
    piece_b, cell_b = _cells(_span(box_b, grid), grid.shape)
    piece_b = piece_b[np.argsort(cell_b, kind="stable")]
    counts = np.bincount(cell_b, minlength=grid.shape[0] * grid.shape[1])
    start = np.concatenate([[0], np.cumsum(counts)])
    span_a = _span(box_a, grid)
    piece_a, cell_a = _cells(span_a, grid.shape, _occupied(span_a, counts, grid.shape))
    first, count = start[cell_a], start[cell_a + 1] - start[cell_a]
    geom_a, geom_b = a.geom[seg_a].astype(np.int64), b.geom[seg_b].astype(np.int64)
    found = []
    bounds = np.searchsorted(np.cumsum(count), np.arange(BATCH, int(count.sum()) + BATCH, BATCH), "right")
    for lo_k, hi_k in zip([0, *bounds.tolist()], bounds.tolist(), strict=False):
        k = slice(lo_k, hi_k)
        ia, ib, cell = (
            np.repeat(piece_a[k], count[k]),
            piece_b[_ranges(first[k], count[k])],
            np.repeat(cell_a[k], count[k]),
        )
        pair = pair_of(geom_a[ia], geom_b[ib])
        mine = np.flatnonzero(pair >= 0)
        ia, ib, cell, pair = ia[mine], ib[mine], cell[mine], pair[mine]
        ok = np.flatnonzero(_meet(box_a[ia], box_b[ib], grid, cell))
        found.append((ia[ok], ib[ok], pair[ok]))
    if not found:
        return none, none, none
    ia, ib, pair = (np.concatenate([f[k] for f in found]) for k in range(3))
    return _unique_segments(seg_a, seg_b, ia, ib, pair, len(b))


def _unique_segments(seg_a: Ints, seg_b: Ints, ia: Ints, ib: Ints, pair: Ints, n_b: int) -> tuple[Ints, Ints, Ints]:
    """Pieces → segments; pieces of a long segment may meet the same segment twice: keep one."""
    cut = _cut(seg_a)[ia] | _cut(seg_b)[ib]
    ia, ib = seg_a[ia], seg_b[ib]
    if cut.any():
        key, first_seen = np.unique(ia[cut] * n_b + ib[cut], return_index=True)
        ia, ib = np.concatenate([ia[~cut], key // n_b]), np.concatenate([ib[~cut], key % n_b])
        pair = np.concatenate([pair[~cut], pair[cut][first_seen]])
    return ia, ib, pair


def _cut(seg: Ints) -> NDArray[np.bool_]:
    """Which pieces belong to a segment cut into several (pieces of one segment are adjacent)."""
    same = seg[1:] == seg[:-1]
    out = np.zeros(seg.size, dtype=bool)
    out[1:] |= same
    out[:-1] |= same
    return out


def _meet(box_a: Floats, box_b: Floats, grid: _Grid, cell: Ints) -> NDArray[np.bool_]:
    """Which candidates (rows of boxes) meet, counted in the cell ``cell`` only."""
    ok = (box_a[:, 0] <= box_b[:, 2] + 2 * PAD) & (box_b[:, 0] <= box_a[:, 2] + 2 * PAD)
    ok &= (box_a[:, 1] <= box_b[:, 3] + 2 * PAD) & (box_b[:, 1] <= box_a[:, 3] + 2 * PAD)
    corner = np.maximum(box_a[:, :2], box_b[:, :2])
    cx = np.floor((corner[:, 0] + -PAD - grid.lo[0]) / grid.h).astype(np.int64)
    cy = np.floor((corner[:, 1] + -PAD - grid.lo[1]) / grid.h).astype(np.int64)
    return ok & (cx * grid.shape[1] + cy == cell)
