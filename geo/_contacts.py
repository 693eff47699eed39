"""Where two segments meet, and which way each boundary runs from there (compiled, for :mod:`geo._pairscan`).

For a segment pair (a's p → q, b's r → s) :func:`contact` finds every point the two share — a proper
crossing, a vertex on the other segment, a shared vertex, the ends of a shared stretch — once (the point's
parameters t on p → q and u on r → s both in [0, 1)). :func:`classify` then tells, for the run of each
boundary leaving a contact, whether it goes into the other polygon (1), away from it (0) or along its
boundary (½): against the other's segment when the contact is inside it, else against the other's corner.

Decisions rest on exact zeros and signs of orientations computed in floating point, each by one formula
(:func:`_orient`, arguments in one order) wherever it is needed, so the same three points always give the
same answer. A point closer than :data:`DELTA` to a segment it projects onto without being on its line, or two
segments crossing at a nearly flat angle (:data:`FLAT`: the crossing point is ill-placed, and contacts could be
taken out of order), is reported as near-degenerate: the caller leaves such pairs to GEOS.
"""

from __future__ import annotations

from numba import njit

__all__ = ["contact", "classify", "DELTA", "FLAT"]

DELTA = 1e-7
"""Metres: a point nearer than this to a segment's line (projecting onto the segment), but not on it, makes a
pair uncertain."""

FLAT = 1e-8
"""Segments crossing at an angle whose sine is below this make a pair uncertain."""


@njit(cache=True, nogil=True)
def _orient(ax, ay, bx, by, cx, cy):
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


@njit(cache=True, nogil=True)
def _tiny2(v, l2):
    return v != 0.0 and v * v < DELTA * DELTA * l2


@njit(cache=True, nogil=True)
def _along(ax, ay, bx, by, cx, cy, l2):
    w = ((cx - ax) * (bx - ax) + (cy - ay) * (by - ay)) / l2
    return w > -1e-9 and w < 1 + 1e-9


@njit(cache=True, nogil=True)
def _sign(v):
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


@njit(cache=True, nogil=True)
def _near(px, py, qx, qy, rx, ry, sx, sy, o1, o2, o3, o4, la2, lb2, flat):
    """A near point projecting onto the other segment, or a flat crossing: the pair is uncertain."""
    hit = (_tiny2(o1, lb2) and _along(rx, ry, sx, sy, px, py, lb2)) or (
        _tiny2(o2, lb2) and _along(rx, ry, sx, sy, qx, qy, lb2)
    )
    hit = hit or (_tiny2(o3, la2) and _along(px, py, qx, qy, rx, ry, la2))
    return hit or (_tiny2(o4, la2) and _along(px, py, qx, qy, sx, sy, la2)) or flat


@njit(cache=True, nogil=True)
def contact(px, py, qx, qy, rx, ry, sx, sy):
    """Contacts of p → q with r → s: (count 0–2, t, u, t of the second, o2, o4, near-degenerate)."""
    o1, o2 = _orient(rx, ry, sx, sy, px, py), _orient(rx, ry, sx, sy, qx, qy)
    lb2 = (sx - rx) * (sx - rx) + (sy - ry) * (sy - ry)
    apart = (o1 > 0 and o2 > 0) or (o1 < 0 and o2 < 0)
    flagged = _tiny2(o1, lb2) or _tiny2(o2, lb2)
    if apart and not flagged:
        return 0, 0.0, 0.0, 0.0, o2, 0.0, False
    o3, o4 = _orient(px, py, qx, qy, rx, ry), _orient(px, py, qx, qy, sx, sy)
    la2 = (qx - px) * (qx - px) + (qy - py) * (qy - py)
    proper = _sign(o1) * _sign(o2) < 0 and _sign(o3) * _sign(o4) < 0
    flat = proper and (o1 - o2) * (o1 - o2) < FLAT * FLAT * la2 * lb2
    if not apart:
        flagged = flagged or _tiny2(o3, la2) or _tiny2(o4, la2) or flat
    near = flagged and _near(px, py, qx, qy, rx, ry, sx, sy, o1, o2, o3, o4, la2, lb2, flat)
    if apart:
        return 0, 0.0, 0.0, 0.0, o2, o4, near
    p_is_r = px == rx and py == ry
    u_p = ((px - rx) * (sx - rx) + (py - ry) * (sy - ry)) / lb2
    t_r = ((rx - px) * (qx - px) + (ry - py) * (qy - py)) / la2
    on_b = o1 == 0 and not (px == sx and py == sy) and (p_is_r or (u_p > 0 and u_p < 1))
    on_a = o3 == 0 and not p_is_r and not (rx == qx and ry == qy) and t_r > 0 and t_r < 1
    if proper:
        t, u = o1 / (o1 - o2), o3 / (o3 - o4)
    else:
        t = 0.0 if on_b else t_r
        u = u_p if (on_b and not p_is_r) else 0.0
    count = 2 if (on_b and on_a) else (1 if (proper or on_b or on_a) else 0)
    return count, t, u, t_r, o2, o4, near


@njit(cache=True, nogil=True)
def _sector(xy, prev, seg, qx, qy):
    """χ of a run leaving the first vertex c of ``seg`` towards q, against the corner at c; near-degenerate."""
    px, py = xy[prev[seg], 0], xy[prev[seg], 1]
    cx, cy, sx, sy = xy[seg, 0], xy[seg, 1], xy[seg, 2], xy[seg, 3]
    l_out, l_in = _orient(cx, cy, sx, sy, qx, qy), _orient(px, py, cx, cy, qx, qy)
    turn = _orient(px, py, cx, cy, sx, sy)
    along = l_out == 0 and (qx - cx) * (sx - cx) + (qy - cy) * (sy - cy) > 0
    along = along or (l_in == 0 and (qx - cx) * (px - cx) + (qy - cy) * (py - cy) > 0)
    straight = turn == 0 and (cx - px) * (sx - cx) + (cy - py) * (sy - cy) > 0
    inside = (l_out > 0 and l_in > 0) if turn > 0 else (l_out > 0 or l_in > 0)
    chi = 0.5 if along else ((1.0 if l_out > 0 else 0.0) if straight else (1.0 if inside else 0.0))
    tiny = _tiny2(l_out, (sx - cx) * (sx - cx) + (sy - cy) * (sy - cy))
    tiny = tiny or _tiny2(l_in, (cx - px) * (cx - px) + (cy - py) * (cy - py))
    return chi, (turn == 0 and not straight) or (tiny and not along)


@njit(cache=True, nogil=True)
def _side(v, l2):
    return (1.0 if v > 0 else (0.0 if v < 0 else 0.5)), _tiny2(v, l2)


@njit(cache=True, nogil=True)
def _length2(xy, s):
    return (xy[s, 2] - xy[s, 0]) * (xy[s, 2] - xy[s, 0]) + (xy[s, 3] - xy[s, 1]) * (xy[s, 3] - xy[s, 1])


@njit(cache=True, nogil=True)
def classify(axy, bxy, aprev, bprev, rec, n):
    """χ of a's and of b's run leaving each contact row (columns: sa, t, χa, sb, u, χb, o2, o4), filled in;
    returns whether a decision was near-degenerate."""
    bad = False
    for k in range(n):
        sa, t, sb, u = int(rec[k, 0]), rec[k, 1], int(rec[k, 3]), rec[k, 4]
        chi_a, bad_a = _side(rec[k, 6], _length2(bxy, sb))
        if u == 0:
            chi_a, bad_a = _sector(bxy, bprev, sb, axy[sa, 2], axy[sa, 3])
        chi_b, bad_b = _side(rec[k, 7], _length2(axy, sa))
        if t == 0:
            chi_b, bad_b = _sector(axy, aprev, sa, bxy[sb, 2], bxy[sb, 3])
        rec[k, 2], rec[k, 5] = chi_a, chi_b
        bad = bad or bad_a or bad_b
    return bad
