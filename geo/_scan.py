"""Compiled scanline kernels for :mod:`geo.coverage` (numba, no Python objects, the GIL released).

The plane is cut into rows of height ``s``; a cell is covered when its centre lies within ``r`` of a track
segment. Each segment's buffer (a capsule: two discs and the band between them) meets a row's centre line in one
interval, found in closed form; intervals are written as +1/−1 marks into a difference raster, and one pass per
row turns the marks into a running count of covered cells, so a grid's covered cells on a row are a difference of
two numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["mark_capsules", "covered_prefix", "grid_spans", "warm_up"]


@njit(cache=True, nogil=True)
def _chord(a_x, a_y, dx, dy, yc, r):
    """The x interval (relative to a_x) where the line y = yc is within r of segment a → a + (dx, dy)."""
    lo = math.inf
    hi = -math.inf
    py = yc - a_y
    q = r * r - py * py
    if q >= 0.0:
        w = math.sqrt(q)
        lo, hi = -w, w
    qy = py - dy
    q = r * r - qy * qy
    if q >= 0.0:
        w = math.sqrt(q)
        lo, hi = min(lo, dx - w), max(hi, dx + w)
    l2 = dx * dx + dy * dy
    if l2 > 0.0:
        tlo, thi = -math.inf, math.inf
        pd = py * dy  # projection onto the segment must fall within it ...
        if dx > 0.0:
            tlo, thi = -pd / dx, (l2 - pd) / dx
        elif dx < 0.0:
            tlo, thi = (l2 - pd) / dx, -pd / dx
        elif pd < 0.0 or pd > l2:
            tlo = math.inf
        rl = r * math.sqrt(l2)
        pc = dx * py  # ... and the distance across it stay within r
        if dy > 0.0:
            tlo, thi = max(tlo, (pc - rl) / dy), min(thi, (pc + rl) / dy)
        elif dy < 0.0:
            tlo, thi = max(tlo, (pc + rl) / dy), min(thi, (pc - rl) / dy)
        elif abs(pc) > rl:
            tlo = math.inf
        if tlo <= thi:
            lo, hi = min(lo, tlo), max(hi, thi)
    return lo, hi


@njit(cache=True, nogil=True)
def mark_capsules(ax, ay, bx, by, r, x0, y0, s, row0, diff):
    """Mark the capsules of segments a→b (metres) into ``diff`` (rows ``row0`` … of a band, ncols + 1 wide)."""
    nrows, width = diff.shape
    ncols = width - 1
    for i in range(ax.size):
        dx, dy = bx[i] - ax[i], by[i] - ay[i]
        first = max(int(math.ceil((min(ay[i], by[i]) - r - y0) / s - 0.5)), row0)
        last = min(int(math.floor((max(ay[i], by[i]) + r - y0) / s - 0.5)), row0 + nrows - 1)
        for row in range(first, last + 1):
            lo, hi = _chord(ax[i], ay[i], dx, dy, y0 + (row + 0.5) * s, r)
            if lo > hi:
                continue
            c0 = max(int(math.ceil((ax[i] + lo - x0) / s - 0.5)), 0)
            c1 = min(int(math.floor((ax[i] + hi - x0) / s - 0.5)), ncols - 1)
            if c0 <= c1:
                diff[row - row0, c0] += 1
                diff[row - row0, c1 + 1] -= 1


@njit(cache=True, nogil=True)
def covered_prefix(diff):
    """In place: ``diff[row, c]`` becomes the number of covered cells in columns ``[0, c)`` of the row."""
    nrows, width = diff.shape
    for row in range(nrows):
        run = 0
        count = 0
        for c in range(width):
            run += diff[row, c]
            diff[row, c] = count
            if run > 0:
                count += 1


@njit(cache=True, nogil=True)
def _crossings(x, y, first, last, x0, y0, s, rows, xs):
    """Crossings of the ring edges ``first … last`` with the row centre lines (half-open in y); returns a count."""
    n = 0
    for k in range(first, last):
        py, qy = y[k], y[k + 1]
        lo, hi = min(py, qy), max(py, qy)
        r0 = int(math.ceil((lo - y0) / s - 0.5))
        r1 = int(math.ceil((hi - y0) / s - 0.5))
        for row in range(r0, r1):
            yc = y0 + (row + 0.5) * s
            rows[n] = row
            xs[n] = x[k] + (yc - py) * (x[k + 1] - x[k]) / (qy - py)
            n += 1
    return n


@njit(cache=True, nogil=True)
def grid_spans(x, y, ring_start, ring_grid, n_grids, x0, y0, s, ncols, capacity):
    """Per grid and row, the column spans ``[c0, c1)`` of cells whose centres lie inside (even–odd rule).

    ``x``/``y`` hold every ring's closed coordinates, ring ``i`` from ``ring_start[i]`` to ``ring_start[i + 1]``,
    rings ordered by ``ring_grid``. Returns ``(grid, row, c0, c1)`` arrays.
    """
    out_g = np.empty(capacity, np.int64)
    out_r = np.empty(capacity, np.int64)
    out_a = np.empty(capacity, np.int64)
    out_b = np.empty(capacity, np.int64)
    m = 0
    ring = 0
    n_rings = ring_grid.size
    for g in range(n_grids):
        end = ring
        while end < n_rings and ring_grid[end] == g:
            end += 1
        size = 0
        for i in range(ring, end):
            for k in range(ring_start[i], ring_start[i + 1] - 1):
                size += abs(int(math.ceil((y[k + 1] - y0) / s - 0.5)) - int(math.ceil((y[k] - y0) / s - 0.5)))
        rows = np.empty(size, np.int64)
        xs = np.empty(size, np.float64)
        n = 0
        for i in range(ring, end):
            n += _crossings(x, y, ring_start[i], ring_start[i + 1] - 1, x0, y0, s, rows[n:], xs[n:])
        ring = end
        by_x = np.argsort(xs[:n], kind="mergesort")
        order = by_x[np.argsort(rows[:n][by_x], kind="mergesort")]
        for j in range(0, n - 1, 2):
            a, b = order[j], order[j + 1]
            c0 = min(max(int(math.ceil((xs[a] - x0) / s - 0.5)), 0), ncols)
            c1 = min(max(int(math.ceil((xs[b] - x0) / s - 0.5)), 0), ncols)
            out_g[m], out_r[m], out_a[m], out_b[m] = g, rows[a], c0, c1
            m += 1
    return out_g[:m], out_r[:m], out_a[:m], out_b[:m]


def warm_up() -> None:
    """Compile (or load from the cache) both kernels on tiny inputs."""
    one = np.zeros(1, dtype=np.float64)
    diff = np.zeros((1, 2), dtype=np.int32)
    mark_capsules(one, one, one, one, 1.0, 0.0, 0.0, 1.0, 0, diff)
    covered_prefix(diff)
    square = np.array([0.0, 2.0, 2.0, 0.0, 0.0])
    grid_spans(square, square[::-1].copy(), np.array([0, 5]), np.zeros(1, np.int64), 1, 0.0, 0.0, 1.0, 2, 4)
