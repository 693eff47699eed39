"""The grid side of :mod:`geo.coverage`: the grids in metres on the scanline raster (no fixes needed)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from geo.metric import utm_epsg

__all__ = ["Frame", "Raster", "cell_size", "grid_raster"]

_MAX_CELLS = 2_000_000_000
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_GRID_CHUNK = 5_000  # grids per scanline pass

Ints = NDArray[np.int64]


def cell_size(radius: float, extent: tuple[float, float, float, float]) -> float:
    """Raster cell in metres: a twentieth of the radius, 2–5 m, coarser only for very large extents."""
    cell = min(max(radius / 20.0, 2.0), 5.0)
    width, height = extent[2] - extent[0], extent[3] - extent[1]
    while (width / cell) * (height / cell) > _MAX_CELLS:
        cell *= 2.0
    return cell


@dataclass
class Frame:
    x0: float
    y0: float
    s: float
    nrows: int
    ncols: int


@dataclass
class Raster:
    """Grids (in order) projected to the UTM zone ``epsg``, the raster ``frame`` and each grid's cell spans."""

    epsg: int
    geoms: NDArray[np.object_]
    frame: Frame
    spans: tuple[Ints, Ints, Ints, Ints]


def grid_raster(grids: NDArray[np.object_], radius: float, cell: float | None = None) -> Raster:
    """The :class:`Raster` of lon/lat ``grids`` for ``radius`` (and ``cell``, as given to the coverage)."""
    grids = np.asarray(grids, dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(grids)
    epsg = utm_epsg((x0 + x1) / 2, (y0 + y1) / 2)
    geoms = _metres(grids, epsg)
    f = _frame(geoms, radius, cell) if grids.size else Frame(0.0, 0.0, 1.0, 1, 1)
    return Raster(epsg, geoms, f, _intervals(geoms, f))


def _metres(grids: NDArray[np.object_], epsg: int) -> NDArray[np.object_]:
    """The grids projected in two halves side by side (PROJ releases the GIL): a third of the time."""

    def half(part: NDArray[np.object_]) -> NDArray[np.object_]:
        fwd = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)  # one per thread
        return shapely.transform(part, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))

    with ThreadPoolExecutor(2) as pool:
        return np.concatenate(list(pool.map(half, np.array_split(grids, 2))))


def _frame(geoms: NDArray[np.object_], radius: float, cell: float | None) -> Frame:
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
    s = cell or cell_size(radius, (x0, y0, x1, y1))
    return Frame(x0, y0, s, int(np.ceil((y1 - y0) / s)) + 1, int(np.ceil((x1 - x0) / s)) + 1)


def _intervals(geoms: NDArray[np.object_], f: Frame) -> tuple[Ints, Ints, Ints, Ints]:
    """Per grid and row, the column spans ``[c0, c1)`` of cells whose centres lie inside (even–odd rule), sorted
    by row and first column."""
    from geo import _scan

    _scan.warm_up()  # compile or load once, before the threads (the kernel releases the GIL)
    with ThreadPoolExecutor(_WORKERS) as pool:
        found = list(pool.map(lambda k: _interval_chunk(geoms[k : k + _GRID_CHUNK], k, f),
                              range(0, geoms.size, _GRID_CHUNK)))  # fmt: skip
    if not found:
        return tuple(np.zeros(0, dtype=np.int32) for _ in range(4))  # type: ignore[return-value]
    grid, row, c0, c1 = (np.concatenate([part[i] for part in found]) for i in range(4))
    # Sorted by row, then first column, as the coverage's passes take them (the sorts there find them in order:
    # 0.1 s less once the fixes are known); equal keys keep the grids' order.
    order = np.argsort(row.astype(np.int64) * (f.ncols + 1) + c0, kind="stable")
    return grid[order], row[order], c0[order], c1[order]


def _interval_chunk(geoms: NDArray[np.object_], offset: int, f: Frame) -> tuple[Ints, ...]:
    from geo import _scan  # numba compiles (or loads) the kernels on first use only

    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    start = np.searchsorted(ring, np.arange(rings.size + 1))
    rows = np.ceil((coords[:, 1] - f.y0) / f.s - 0.5).astype(np.int64)
    capacity = int(np.abs(np.diff(rows))[ring[1:] == ring[:-1]].sum()) // 2 + 1
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    owner = part_owner[ring_part].astype(np.int64)
    spans = _scan.grid_spans(x, y, start, owner, geoms.size, f.x0, f.y0, f.s, f.ncols, capacity)
    return (
        (spans[0] + offset).astype(np.int32),
        spans[1].astype(np.int32),
        spans[2].astype(np.int32),
        spans[3].astype(np.int32),
    )
