"""Compiled kernels of :mod:`geo.pairarea` (numba, no Python objects, the GIL released).

Per polygon pair: the segments of each boundary whose boxes meet the other polygon's box, a sweep over both
(sorted by min x) for segment pairs whose boxes meet, the contacts of each such pair, the side each boundary
takes from every contact, and the runs between consecutive contacts along each ring (Green's theorem). Rings
without contacts count when one of their vertices lies inside the other polygon (even–odd crossings).

A layer goes in as the tuple of :func:`geo.pairarea.layer_arrays`; the contacts themselves are in
:mod:`geo._contacts`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from geo._contacts import classify, contact

__all__ = ["PAD", "pair_areas", "xmin_order", "geom_boxes", "ring_segments"]

PAD = 1e-6
"""Segment boxes closer than twice this (metres) are tested, so that touching segments always meet."""

# layer tuple: xy, ring, prev, prefix, ring_total, ring_first, ring_end, geom_rings, geom_segs, order, boxes
_XY, _RING, _PREV, _PREFIX, _TOTAL, _FIRST, _END, _GRINGS, _GSEGS, _ORDER, _BOX = range(11)


@njit(cache=True, nogil=True)
def _meet(xy, s, box):
    """Whether segment ``s`` and ``box`` (min x, min y, max x, max y) are within 2·PAD of each other."""
    x0, x1 = min(xy[s, 0], xy[s, 2]), max(xy[s, 0], xy[s, 2])
    y0, y1 = min(xy[s, 1], xy[s, 3]), max(xy[s, 1], xy[s, 3])
    return x0 <= box[2] + 2 * PAD and box[0] <= x1 + 2 * PAD and y0 <= box[3] + 2 * PAD and box[1] <= y1 + 2 * PAD


@njit(cache=True, nogil=True)
def _select(xy, order, lo, hi, box, out):
    """The segments ``order[lo:hi]`` (min-x sorted) meeting ``box``, into ``out``; returns their count."""
    n = 0
    for k in range(lo, hi):
        s = order[k]
        if _meet(xy, s, box):
            out[n] = s
            n += 1
    return n


@njit(cache=True, nogil=True)
def _xmin(xy, s):
    return min(xy[s, 0], xy[s, 2])


@njit(cache=True, nogil=True)
def _meets(xy, o, x0, y0, y1):
    """Whether segment ``o``, whose min x is at most a box's max x, meets the box from x0, y0 to y1 (padded)."""
    return (
        x0 <= max(xy[o, 0], xy[o, 2]) + 2 * PAD
        and min(xy[o, 1], xy[o, 3]) <= y1
        and y0 <= max(xy[o, 1], xy[o, 3]) + 2 * PAD
    )


@njit(cache=True, nogil=True)
def _sweep(axy, bxy, la, na, lb, nb, rec):
    """Contacts of every segment pair (one from ``la``, one from ``lb``, both min-x sorted) whose boxes meet,
    each pair once (when the one with the smaller min x is reached); returns (rows, uncertain), rows -1 when
    ``rec`` is too small."""
    n, unsure, i, j, full = 0, False, 0, 0, rec.shape[0] - 2
    while i < na and j < nb:
        a_first = _xmin(axy, la[i]) <= _xmin(bxy, lb[j])
        xy, s = (axy, la[i]) if a_first else (bxy, lb[j])
        x0, y0 = min(xy[s, 0], xy[s, 2]), min(xy[s, 1], xy[s, 3])
        x1, y1 = max(xy[s, 0], xy[s, 2]) + 2 * PAD, max(xy[s, 1], xy[s, 3]) + 2 * PAD
        oxy, lst, k, m = (bxy, lb, j, nb) if a_first else (axy, la, i, na)
        while k < m and _xmin(oxy, lst[k]) <= x1:
            o = lst[k]
            if _meets(oxy, o, x0, y0, y1):
                if n > full:
                    return -1, unsure
                sa, sb = (s, o) if a_first else (o, s)
                p0, p1, p2, p3 = axy[sa, 0], axy[sa, 1], axy[sa, 2], axy[sa, 3]
                got = contact(p0, p1, p2, p3, bxy[sb, 0], bxy[sb, 1], bxy[sb, 2], bxy[sb, 3])
                unsure = unsure or got[6]
                for c in range(got[0]):  # the second contact: t of the second, u = 0
                    t, u = (got[1], got[2]) if c == 0 else (got[3], 0.0)
                    rec[n, 0], rec[n, 1], rec[n, 3], rec[n, 4], rec[n, 6], rec[n, 7] = sa, t, sb, u, got[4], got[5]
                    n += 1
            k += 1
        if a_first:
            i += 1
        else:
            j += 1
    return n, unsure


@njit(cache=True, nogil=True)
def _sorted(rec, n, col, order):
    """Rows ``0:n`` of ``rec`` by (column col, column col + 1), stable, into ``order``."""
    if n > 48:
        first = np.argsort(rec[:n, col + 1], kind="mergesort")
        order[:n] = first[np.argsort(rec[first, col], kind="mergesort")]
        return
    for k in range(n):  # insertion sort: a pair has a few contacts
        j = k
        while j > 0 and (
            rec[order[j - 1], col] > rec[k, col]
            or (rec[order[j - 1], col] == rec[k, col] and rec[order[j - 1], col + 1] > rec[k, col + 1])
        ):
            order[j] = order[j - 1]
            j -= 1
        order[j] = k


@njit(cache=True, nogil=True)
def _runs(xy, ring, prefix, ring_total, base, rec, n, col, touched, order, f):
    """Σ χ·∫x dy over the runs between consecutive contacts (``rec`` columns col: seg, t, χ) on the rings
    from ``base``; marks the rings touched; returns (sum, two contacts at one point). ``order`` and ``f`` are
    work space."""
    _sorted(rec, n, col, order)
    for k in range(n):
        s, t = int(rec[order[k], col]), rec[order[k], col + 1]
        f[k] = prefix[s] + (xy[s, 3] - xy[s, 1]) * t * (xy[s, 0] + 0.5 * (xy[s, 2] - xy[s, 0]) * t)
    total, dup, start = 0.0, False, 0
    for k in range(n):
        s = int(rec[order[k], col])
        r = ring[s]
        if k > 0 and ring[int(rec[order[k - 1], col])] != r:
            start = k
        last = k == n - 1 or ring[int(rec[order[k + 1], col])] != r
        run = (f[start] - f[k] + ring_total[r]) if last else (f[k + 1] - f[k])
        total += rec[order[k], col + 2] * run
        touched[r - base] = True
        if k > start and s == int(rec[order[k - 1], col]):
            dup = dup or rec[order[k], col + 1] == rec[order[k - 1], col + 1]
    return total, dup


@njit(cache=True, nogil=True)
def _inside(xy, lo, hi, box, x, y):
    """Whether (x, y) lies inside the polygon of segments ``lo:hi`` with ``box`` (even–odd; off its
    boundary)."""
    if x < box[0] or x > box[2] or y < box[1] or y > box[3]:
        return False
    inside = False
    for s in range(lo, hi):
        y0, y1 = xy[s, 1], xy[s, 3]
        if (y0 > y) != (y1 > y) and x < xy[s, 0] + (y - y0) * (xy[s, 2] - xy[s, 0]) / (y1 - y0):
            inside = not inside
    return inside


@njit(cache=True, nogil=True)
def _lonely(e, g, other, og, touched):
    """Signed area of the rings of ``g`` without contacts that lie in geometry ``og`` of ``other``."""
    xy, first, end, total_of = e[_XY], e[_FIRST], e[_END], e[_TOTAL]
    oxy, lo, hi, box = other[_XY], other[_GSEGS][og], other[_GSEGS][og + 1], other[_BOX][og]
    total, base = 0.0, e[_GRINGS][g]
    for r in range(base, e[_GRINGS][g + 1]):
        s = first[r]
        if not touched[r - base] and end[r] > s and _inside(oxy, lo, hi, box, xy[s, 0], xy[s, 1]):
            total += total_of[r]
    return total


@njit(cache=True, nogil=True)
def _widest(e, which):
    """The most segments and the most rings of any geometry in ``which``."""
    segs, rings = 1, 1
    for g in which:
        segs = max(segs, e[_GSEGS][g + 1] - e[_GSEGS][g])
        rings = max(rings, e[_GRINGS][g + 1] - e[_GRINGS][g])
    return segs, rings


@njit(cache=True, nogil=True)
def _contacts_of(a, b, ga, gb, la, lb, rec):
    """The contact rows of pair (ga, gb), growing ``rec`` as needed: (rec, rows, uncertain)."""
    axy, bxy, aseg, bseg = a[_XY], b[_XY], a[_GSEGS], b[_GSEGS]
    na = _select(axy, a[_ORDER], aseg[ga], aseg[ga + 1], b[_BOX][gb], la)
    nb = _select(bxy, b[_ORDER], bseg[gb], bseg[gb + 1], a[_BOX][ga], lb)
    n, unsure = _sweep(axy, bxy, la, na, lb, nb, rec)
    while n < 0:
        rec = np.empty((2 * rec.shape[0], 8))
        n, unsure = _sweep(axy, bxy, la, na, lb, nb, rec)
    return rec, n, classify(axy, bxy, a[_PREV], b[_PREV], rec, n) or unsure


@njit(cache=True, nogil=True)
def pair_areas(a, b, pa, pb):
    """area(a[pa[k]] ∩ b[pb[k]]) per pair, and whether a decision on the way was near-degenerate."""
    area, unsure = np.zeros(pa.size), np.zeros(pa.size, dtype=np.bool_)
    seg_a, ring_a = _widest(a, pa)
    seg_b, ring_b = _widest(b, pb)
    la, lb = np.empty(seg_a, np.int64), np.empty(seg_b, np.int64)
    touched_a, touched_b = np.empty(ring_a, np.bool_), np.empty(ring_b, np.bool_)
    rec = np.empty((1024, 8))
    order, f = np.empty(1024, np.int64), np.empty(1024)
    for k in range(pa.size):
        ga, gb = pa[k], pb[k]
        rec, n, bad = _contacts_of(a, b, ga, gb, la, lb, rec)
        if order.size < rec.shape[0]:
            order, f = np.empty(rec.shape[0], np.int64), np.empty(rec.shape[0])
        touched_a[:], touched_b[:] = False, False
        sum_a, dup_a = _runs(a[_XY], a[_RING], a[_PREFIX], a[_TOTAL], a[_GRINGS][ga], rec, n, 0, touched_a, order, f)
        sum_b, dup_b = _runs(b[_XY], b[_RING], b[_PREFIX], b[_TOTAL], b[_GRINGS][gb], rec, n, 3, touched_b, order, f)
        area[k] = sum_a + sum_b + _lonely(a, ga, b, gb, touched_a) + _lonely(b, gb, a, ga, touched_b)
        unsure[k] = bad or dup_a or dup_b
    return area, unsure


@njit(cache=True, nogil=True)
def xmin_order(xy, geom_segs):
    """Per geometry, its segment indices sorted by min x (geometries stay in their ranges)."""
    order = np.empty(xy.shape[0], np.int64)
    for g in range(geom_segs.size - 1):
        lo, hi = geom_segs[g], geom_segs[g + 1]
        xmin = np.minimum(xy[lo:hi, 0], xy[lo:hi, 2])
        order[lo:hi] = lo + np.argsort(xmin, kind="mergesort")
    return order


@njit(cache=True, nogil=True)
def geom_boxes(xy, geom_segs):
    """Per geometry, the box of its segments (an inverted box when it has none)."""
    box = np.empty((geom_segs.size - 1, 4))
    for g in range(geom_segs.size - 1):
        box[g, 0], box[g, 1], box[g, 2], box[g, 3] = np.inf, np.inf, -np.inf, -np.inf
        for s in range(geom_segs[g], geom_segs[g + 1]):
            box[g, 0] = min(box[g, 0], xy[s, 0], xy[s, 2])
            box[g, 1] = min(box[g, 1], xy[s, 1], xy[s, 3])
            box[g, 2] = max(box[g, 2], xy[s, 0], xy[s, 2])
            box[g, 3] = max(box[g, 3], xy[s, 1], xy[s, 3])
    return box


@njit(cache=True, nogil=True)
def _ring_area(xy, lo, hi):
    area = 0.0
    for k in range(lo, hi - 1):
        area += 0.5 * (xy[k, 0] + xy[k + 1, 0]) * (xy[k + 1, 1] - xy[k, 1])
    return area


@njit(cache=True, nogil=True)
def ring_segments(xy, ring_coords, shell):
    """The segments of closed rings (coordinates ``ring_coords[r]:ring_coords[r + 1]`` of ``xy``), shells
    turned counter-clockwise and holes clockwise, repeated points dropped: (segments (n, 4), ring of each,
    previous segment of its ring, ∮x dy from the ring's start to each, each ring's signed area, each ring's
    first segment)."""
    n_rings = shell.size
    seg, ring, prev = np.empty((xy.shape[0], 4)), np.empty(xy.shape[0], np.int32), np.empty(xy.shape[0], np.int32)
    prefix, total, first = np.empty(xy.shape[0]), np.zeros(n_rings), np.empty(n_rings, np.int64)
    n = 0
    for r in range(n_rings):
        lo, hi = ring_coords[r], ring_coords[r + 1]
        area = _ring_area(xy, lo, hi)
        flip = (shell[r] and area < 0) or (not shell[r] and area > 0)
        first[r] = n
        for k in range(hi - lo - 1):
            i, j = (hi - 1 - k, hi - 2 - k) if flip else (lo + k, lo + k + 1)
            if xy[i, 0] == xy[j, 0] and xy[i, 1] == xy[j, 1]:
                continue
            seg[n, 0], seg[n, 1], seg[n, 2], seg[n, 3] = xy[i, 0], xy[i, 1], xy[j, 0], xy[j, 1]
            ring[n], prev[n], prefix[n] = r, n - 1, total[r]
            total[r] += 0.5 * (xy[i, 0] + xy[j, 0]) * (xy[j, 1] - xy[i, 1])
            n += 1
        if n > first[r]:
            prev[first[r]] = n - 1
    return seg[:n].copy(), ring[:n].copy(), prev[:n].copy(), prefix[:n].copy(), total, first
