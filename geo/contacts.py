"""Where two polygon boundaries meet, and which way each boundary runs from there (for :mod:`geo.pairarea`).

For candidate segment pairs (a's p → q, b's r → s) :func:`contacts` finds every point the two segments share
— a proper crossing, a vertex on the other segment, a shared vertex, the ends of a shared stretch — once (the
point's parameters t on p → q and u on r → s both in [0, 1)). :func:`classify` then tells, for the run of each
boundary leaving a contact, whether it goes into the other polygon (1), away from it (0) or along its
boundary (½): against the other's segment when the contact is inside it, else against the other's corner.

Decisions rest on exact zeros and signs of orientations computed in floating point, each by one formula
(:func:`orient`, arguments in one order) wherever it is needed, so the same three points always give the same
answer. A point closer than :data:`DELTA` to a segment it projects onto without being on its line, or two
segments crossing at a nearly flat angle (:data:`FLAT`: the crossing point is ill-placed, and contacts could be
taken out of order), is reported as near-degenerate: the caller leaves such pairs to GEOS.

>>> import shapely
>>> from geo.edges import edges
>>> a = edges(np.array([shapely.box(0, 0, 2, 2)]), (0.0, 0.0))
>>> b = edges(np.array([shapely.box(1, 1, 3, 3)]), (0.0, 0.0))
>>> sa, sb = np.repeat(np.arange(4), 4), np.tile(np.arange(4), 4)
>>> rec, t, u, *_ = contacts(a, b, sa, sb)
>>> sorted((int(sa[r]), int(sb[r]), float(t[i]), float(u[i])) for i, r in enumerate(rec))  # two crossings
[(0, 3, 0.5, 0.5), (1, 2, 0.5, 0.5)]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from geo.edges import Edges

__all__ = ["contacts", "classify", "orient", "DELTA", "FLAT"]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

DELTA = 1e-7
"""Metres: a point nearer than this to a segment's line (projecting onto the segment), but not on it, makes a
pair uncertain."""

FLAT = 1e-8
"""Segments crossing at an angle whose sine is below this make a pair uncertain."""


def orient(ax: Floats, ay: Floats, bx: Floats, by: Floats, cx: Floats, cy: Floats) -> Floats:
    """Twice the signed area of triangle a, b, c (positive when c is left of a → b). Always this formula,
    in this order, so the same three points give the same number wherever they are tested."""
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def _tiny2(v: Floats, l2: Floats) -> Bools:
    """|v| below DELTA·length (``l2``: the length squared), but not zero: a point nearly on a segment's line."""
    return (v != 0) & (v * v < DELTA * DELTA * l2)


def _along(ax: Floats, ay: Floats, bx: Floats, by: Floats, cx: Floats, cy: Floats, l2: Floats) -> Bools:
    """Whether c projects onto segment a → b (with a hair of margin)."""
    w = ((cx - ax) * (bx - ax) + (cy - ay) * (by - ay)) / l2
    return (w > -1e-9) & (w < 1 + 1e-9)


def contacts(a: Edges, b: Edges, sa: Ints, sb: Ints) -> tuple[Ints, Floats, Floats, Floats, Floats, Ints]:
    """Contact records of candidate segment pairs (a's p → q, b's r → s): the candidate, t on p → q and u on
    r → s, each point once (t and u in [0, 1)); orient(r, s, q) and orient(p, q, s); the candidates with a
    near-degenerate orientation."""
    px, py, qx, qy = a.xy[sa].T
    rx, ry, sx, sy = b.xy[sb].T
    o1, o2 = orient(rx, ry, sx, sy, px, py), orient(rx, ry, sx, sy, qx, qy)
    lb2 = (sx - rx) ** 2 + (sy - ry) ** 2
    near = _tiny2(o1, lb2) | _tiny2(o2, lb2)
    k = np.flatnonzero(~(((o1 > 0) & (o2 > 0)) | ((o1 < 0) & (o2 < 0))))  # p → q meets the line of r → s
    px, py, qx, qy, rx, ry, sx, sy = px[k], py[k], qx[k], qy[k], rx[k], ry[k], sx[k], sy[k]
    o1, o2, lb2 = o1[k], o2[k], lb2[k]
    o3, o4 = orient(px, py, qx, qy, rx, ry), orient(px, py, qx, qy, sx, sy)
    la2 = (qx - px) ** 2 + (qy - py) ** 2
    near[k] |= _tiny2(o3, la2) | _tiny2(o4, la2)
    proper = (np.sign(o1) * np.sign(o2) < 0) & (np.sign(o3) * np.sign(o4) < 0)
    p_is_r = (px == rx) & (py == ry)
    u_p = ((px - rx) * (sx - rx) + (py - ry) * (sy - ry)) / lb2
    t_r = ((rx - px) * (qx - px) + (ry - py) * (qy - py)) / la2
    on_b = (o1 == 0) & ~((px == sx) & (py == sy)) & (p_is_r | ((u_p > 0) & (u_p < 1)))  # p on b's segment
    on_a = (o3 == 0) & ~p_is_r & ~((rx == qx) & (ry == qy)) & (t_r > 0) & (t_r < 1)  # r inside a's segment
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(proper, o1 / (o1 - o2), np.where(on_b, 0.0, t_r))
        u = np.where(proper, o3 / (o3 - o4), np.where(on_b & ~p_is_r, u_p, 0.0))
    near[k[proper & ((o1 - o2) ** 2 < FLAT * FLAT * la2 * lb2)]] = True  # sin(angle)² = (o1 - o2)² / (la2·lb2)
    first = np.flatnonzero(proper | on_b | on_a)
    second = np.flatnonzero(on_b & on_a)  # opposite collinear overlap: p inside b's segment, r inside a's
    rec = np.concatenate([first, second])
    t_all, u_all = np.concatenate([t[first], t_r[second]]), np.concatenate([u[first], np.zeros(second.size)])
    return k[rec], t_all, u_all, o2[rec], o4[rec], _really_near(a, b, sa, sb, np.flatnonzero(near))


def _really_near(a: Edges, b: Edges, sa: Ints, sb: Ints, k: Ints) -> Ints:
    """Of candidates ``k`` with a tiny orientation (or a flat crossing), those where a near point projects onto
    the other segment, or whose segments cross flat."""
    px, py, qx, qy = a.xy[sa[k]].T
    rx, ry, sx, sy = b.xy[sb[k]].T
    la2, lb2 = (qx - px) ** 2 + (qy - py) ** 2, (sx - rx) ** 2 + (sy - ry) ** 2
    o1, o2 = orient(rx, ry, sx, sy, px, py), orient(rx, ry, sx, sy, qx, qy)
    o3, o4 = orient(px, py, qx, qy, rx, ry), orient(px, py, qx, qy, sx, sy)
    hit = (_tiny2(o1, lb2) & _along(rx, ry, sx, sy, px, py, lb2)) | (
        _tiny2(o2, lb2) & _along(rx, ry, sx, sy, qx, qy, lb2)
    )
    hit |= (_tiny2(o3, la2) & _along(px, py, qx, qy, rx, ry, la2)) | (
        _tiny2(o4, la2) & _along(px, py, qx, qy, sx, sy, la2)
    )
    proper = (np.sign(o1) * np.sign(o2) < 0) & (np.sign(o3) * np.sign(o4) < 0)
    hit |= proper & ((o1 - o2) ** 2 < FLAT * FLAT * la2 * lb2)
    return k[hit]


def _side(v: Floats, l2: Floats) -> tuple[Floats, Bools]:
    """χ of a run leaving a point inside the other's segment (squared length ``l2``): 1 left of it, 0 right,
    ½ along it; and whether that was near-degenerate."""
    return np.where(v > 0, 1.0, np.where(v < 0, 0.0, 0.5)), _tiny2(v, l2)


def _sector(e: Edges, seg: Ints, qx: Floats, qy: Floats) -> tuple[Floats, Bools]:
    """χ of a run leaving the first vertex c of ``seg`` towards q, against the corner of ``e`` at c."""
    px, py = e.xy[e.prev[seg], 0], e.xy[e.prev[seg], 1]
    cx, cy, sx, sy = e.xy[seg].T
    l_out, l_in = orient(cx, cy, sx, sy, qx, qy), orient(px, py, cx, cy, qx, qy)
    turn = orient(px, py, cx, cy, sx, sy)
    along = (l_out == 0) & ((qx - cx) * (sx - cx) + (qy - cy) * (sy - cy) > 0)
    along |= (l_in == 0) & ((qx - cx) * (px - cx) + (qy - cy) * (py - cy) > 0)
    straight = (turn == 0) & ((cx - px) * (sx - cx) + (cy - py) * (sy - cy) > 0)
    inside = np.where(turn > 0, (l_out > 0) & (l_in > 0), (l_out > 0) | (l_in > 0))
    chi = np.where(along, 0.5, np.where(straight, l_out > 0, inside).astype(np.float64))
    tiny = _tiny2(l_out, (sx - cx) ** 2 + (sy - cy) ** 2) | _tiny2(l_in, (cx - px) ** 2 + (cy - py) ** 2)
    return chi, ((turn == 0) & ~straight) | (tiny & ~along)


def classify(
    a: Edges, b: Edges, sa: Ints, sb: Ints, t: Floats, u: Floats, o2: Floats, o4: Floats
) -> tuple[Floats, Floats, Bools]:
    """χ of a's run and of b's run leaving each contact, and whether a decision was near-degenerate."""
    chi_a, bad_a = _side(o2, _length2(b, sb))
    at = np.flatnonzero(u == 0)
    chi_a[at], bad_a[at] = _sector(b, sb[at], a.xy[sa[at], 2], a.xy[sa[at], 3])
    chi_b, bad_b = _side(o4, _length2(a, sa))
    at = np.flatnonzero(t == 0)
    chi_b[at], bad_b[at] = _sector(a, sa[at], b.xy[sb[at], 2], b.xy[sb[at], 3])
    return chi_a, chi_b, bad_a | bad_b


def _length2(e: Edges, seg: Ints) -> Floats:
    xy = e.xy[seg]
    return (xy[:, 2] - xy[:, 0]) ** 2 + (xy[:, 3] - xy[:, 1]) ** 2
