"""Re-evaluate an alignment after one manual move: a grid goes wholly into a district.

The moved-to district becomes ``D ∪ G``, every other district that met the grid becomes ``e − G``. Only the
grids meeting ``G`` and those districts are recomputed; gap and overlap pieces change only inside ``G``
(after the move only ``D`` covers it), so they are cut by ``G`` and, in a precinct other than ``D``'s, the
part of ``G`` inside that precinct becomes a gap. Statuses are then re-derived from the pair table.

>>> import geopandas as gpd
>>> from geo.align import compute
>>> box = shapely.box
>>> grids = gpd.GeoDataFrame({"code": ["g1"]}, geometry=[box(114.80, 37.70, 114.81, 37.71)], crs=4326)
>>> districts = gpd.GeoDataFrame(
...     {"code": ["d1", "d2"]},
...     geometry=[box(114.80, 37.70, 114.805, 37.71), box(114.805, 37.70, 114.81, 37.71)],
...     crs=4326,
... )
>>> after = move(compute(grids, districts), "g1", "d2")
>>> delta(after)["grids"][0]["status"], delta(after)["grids"][0]["owner"]
('whole', 'd2')
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.align import Alignment, _grid_precincts
from geo.document import district_entries, grid_entries, precinct_entries, summary
from geo.metric import NOISE_M2, polygonal
from geo.overlaps import Pieces
from geo.shares import Layer, Pairs, intersection_areas, statuses

__all__ = ["move", "delta"]

Ints = NDArray[np.int64]


def move(state: Alignment, grid: str, district: str) -> Alignment:
    """A new :class:`Alignment` with grid ``grid`` moved wholly into district ``district``.

    ``changed_grids`` / ``changed_districts`` of the result name what was recomputed (see :func:`delta`).
    """
    gi = state.grids.find(grid, "grid")
    di = state.districts.find(district, "district")
    g_geom = state.grids.geoms[gi]
    shapely.prepare(g_geom)
    met = state.pairs.district[(state.pairs.grid == gi)]
    changed = np.union1d(met, [di]).astype(np.int64)
    districts = _reshaped(state.districts, changed, di, g_geom)
    near = np.asarray(state.tree.query(g_geom, predicate="intersects"), dtype=np.int64)
    pairs = _repaired(state.pairs, state.grids, districts, near, changed)
    status, owner, g_prec = _restatused(state, pairs, districts, near)
    d_pairs = _precinct_pairs(state, districts, changed)
    found_gaps = _cut(state.gaps, g_geom, ("districts", "grids"))
    found_gaps = _new_gaps(found_gaps, state, g_geom, districts.parents[di])
    return replace(
        state,
        districts=districts,
        pairs=pairs,
        status=status,
        owner=owner,
        grid_precinct=g_prec,
        district_pairs=d_pairs,
        gaps=found_gaps,
        overlaps=_cut(state.overlaps, g_geom, ("districts",)),
        changed_grids=near,
        changed_districts=changed,
        entries=None,
    )


def delta(state: Alignment) -> dict[str, Any]:
    """What the last :func:`move` changed: summary, and the entries of the grids, districts and precincts
    it touched (the full document is ``state.document()``)."""
    shown = np.intersect1d(state.changed_districts, state.shown)
    precincts = {p for p in state.districts.parents[state.changed_districts] if p is not None}
    precincts |= {p for p in state.grid_precinct[state.changed_grids] if p is not None}
    return {
        "summary": summary(state),
        "grids": grid_entries(state, state.changed_grids),
        "districts": district_entries(state, shown),
        "precincts": precinct_entries(state, precincts),
    }


def _restatused(state: Alignment, pairs: Pairs, districts: Layer, near: Ints) -> tuple[Any, Ints, Any]:
    """Status, owner and precinct per grid, re-derived for the ``near`` grids only."""
    mine = np.isin(pairs.grid, near)
    local = Pairs(pairs.grid[mine], pairs.district[mine], pairs.area[mine])
    new_status, new_owner, _ = statuses(local, state.grids.areas, state.tolerance)
    status, owner, g_prec = state.status.copy(), state.owner.copy(), state.grid_precinct.copy()
    status[near], owner[near] = new_status[near], new_owner[near]
    grids = replace(state.grids, geoms=state.grids.geoms[near], codes=state.grids.codes[near])
    g_prec[near] = _grid_precincts(grids, districts, state.precincts, owner[near])
    return status, owner, g_prec


def _reshaped(districts: Layer, changed: Ints, di: int, g_geom: shapely.Geometry) -> Layer:
    geoms, areas = districts.geoms.copy(), districts.areas.copy()
    for k in changed:
        op = shapely.union if k == di else shapely.difference
        geoms[k] = polygonal(op(geoms[k], g_geom))
        areas[k] = shapely.area(geoms[k])
    return replace(districts, geoms=geoms, areas=areas)


def _repaired(pairs: Pairs, grids: Layer, districts: Layer, near: Ints, changed: Ints) -> Pairs:
    """The pair table with the (near grid × changed district) rows recomputed."""
    stale = np.isin(pairs.grid, near) & np.isin(pairs.district, changed)
    g, d = np.repeat(near, changed.size), np.tile(changed, near.size)
    meet = shapely.intersects(districts.geoms[d], grids.geoms[g])
    g, d = g[meet], d[meet]
    area = intersection_areas(districts.geoms[d], grids.geoms[g], grids.areas[g])
    keep = area > NOISE_M2
    grid = np.concatenate([pairs.grid[~stale], g[keep]])
    district = np.concatenate([pairs.district[~stale], d[keep]])
    areas = np.concatenate([pairs.area[~stale], area[keep]])
    order = np.lexsort((district, grid))
    return Pairs(grid[order], district[order], areas[order])


def _precinct_pairs(state: Alignment, districts: Layer, changed: Ints) -> Pairs | None:
    old, precincts = state.district_pairs, state.precincts
    if old is None or precincts is None:
        return old
    stale = np.isin(old.grid, changed)
    i, p = shapely.STRtree(precincts.geoms).query(districts.geoms[changed], predicate="intersects")
    d = changed[i]
    area = intersection_areas(precincts.geoms[p], districts.geoms[d], districts.areas[d])
    keep = area > NOISE_M2
    grid = np.concatenate([old.grid[~stale], d[keep]])
    district = np.concatenate([old.district[~stale], p[keep]])
    areas = np.concatenate([old.area[~stale], area[keep]])
    order = np.lexsort((district, grid))
    return Pairs(grid[order], district[order].astype(np.int64), areas[order])


def _cut(found: Pieces, g_geom: shapely.Geometry, levels: tuple[str, ...]) -> Pieces:
    """``found`` with the pieces of ``levels`` minus the moved grid (untouched pieces are shared)."""
    geoms = np.asarray(found.geoms, dtype=object)
    near = np.flatnonzero(shapely.intersects(g_geom, geoms)) if geoms.size else np.empty(0, dtype=np.int64)
    hit = [int(k) for k in near if found.level[k] in levels]
    return _rebuilt(found, hit, [(k, shapely.difference(geoms[k], g_geom)) for k in hit])


def _rebuilt(found: Pieces, drop: list[int], add: list[tuple[int, shapely.Geometry]]) -> Pieces:
    """``found`` without the pieces ``drop``, plus new pieces carrying the attributes of piece k."""
    gone = set(drop)
    keep = [k for k in range(len(found.geoms)) if k not in gone]
    out = Pieces(
        found.kind,
        [found.level[k] for k in keep],
        [found.precinct[k] for k in keep],
        [found.codes[k] for k in keep],
        [found.geoms[k] for k in keep],
    )
    for k, geom in add:
        out.add(found.level[k], found.precinct[k], found.codes[k], geom)
    return out


def _new_gaps(found: Pieces, state: Alignment, g_geom: shapely.Geometry, parent: str | None) -> Pieces:
    """In precincts other than the receiving district's, the moved grid's part is now a gap."""
    p = state.precincts
    if p is None:
        return found
    for q in np.asarray(shapely.STRtree(p.geoms).query(g_geom, predicate="intersects")):
        code = str(p.codes[q])
        if code == parent or (state.scope is not None and code != state.scope):
            continue
        part = polygonal(shapely.intersection(p.geoms[q], g_geom))
        if part.is_empty:
            continue
        geoms = np.asarray(found.geoms, dtype=object)
        near = np.flatnonzero(shapely.intersects(part, geoms)) if geoms.size else np.empty(0, dtype=np.int64)
        mine = [int(k) for k in near if found.level[k] == "districts" and found.precinct[k] == code]
        merged = shapely.union_all([part, *[found.geoms[k] for k in mine]])
        found = _rebuilt(found, mine, [])
        found.add("districts", code, None, merged)
    return found
