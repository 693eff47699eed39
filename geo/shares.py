"""Layers dissolved by code and the share of each grid in each district (the core of :mod:`geo.align`).

``share(g, d) = area(g ∩ d) / area(g)``, ``d`` the union of all rows with code ``d``. Candidate pairs come
from an STRtree; their areas come from the boundary engine of :mod:`geo.pairarea` (exact, from the two rings
alone, no overlay; GEOS for the few pairs it is unsure of), or for a handful of pairs from GEOS directly (a
prepared ``contains_properly`` settles grids inside a district, the others are intersected).

>>> import geopandas as gpd
>>> from geo.metric import Metric
>>> box = shapely.box
>>> grids = gpd.GeoDataFrame({"code": ["a"]}, geometry=[box(114.8, 37.7, 114.81, 37.71)], crs=4326)
>>> districts = gpd.GeoDataFrame({"code": ["x"]}, geometry=[box(114.8, 37.7, 114.805, 37.71)], crs=4326)
>>> metric = Metric.around(114.8, 37.7)
>>> p = pair_areas(load_layer(grids, metric), load_layer(districts, metric))
>>> round(float(p.area[0] / load_layer(grids, metric).areas[0]), 3)
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.edges import Edges
from geo.edges import edges as make_edges
from geo.errors import GeoError
from geo.metric import NOISE_M2, Metric, parallel, polygonal
from geo.pairarea import intersection_areas as pair_intersection_areas

__all__ = [
    "Layer",
    "Pairs",
    "load_layer",
    "lonlat_frame",
    "candidates",
    "intersection_areas",
    "layer_areas",
    "layer_origin",
    "pair_areas",
    "statuses",
]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

_ENGINE_PAIRS = 256
"""From this many candidate pairs on, areas come from the boundary engine rather than one GEOS overlay each."""


@dataclass(frozen=True)
class Layer:
    """One boundary layer, one row per code (sorted), geometries in metres."""

    codes: NDArray[np.object_]
    names: NDArray[np.object_]
    geoms: NDArray[np.object_]
    areas: Floats
    parents: NDArray[np.object_]  # precinct code per row (districts), None where unknown
    attrs: dict[str, NDArray[np.object_]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.codes.size)

    def index(self) -> dict[str, int]:
        return {str(c): i for i, c in enumerate(self.codes)}

    def find(self, code: str, what: str = "code") -> int:
        """Row of ``code`` (codes are sorted); :class:`GeoError` when it is not there."""
        k = int(np.searchsorted(self.codes, code))
        if k >= self.codes.size or self.codes[k] != code:
            raise GeoError(f"{what} {code!r} is not in the layer")
        return k


@dataclass(frozen=True)
class Pairs:
    """Intersections of more than NOISE_M2: ``grid[k]`` meets ``district[k]`` in ``area[k]`` m²."""

    grid: Ints
    district: Ints
    area: Floats


def lonlat_frame(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 with a string ``code`` column and no empty rows; :class:`GeoError` otherwise."""
    if "code" not in gdf.columns:
        raise GeoError(f"{what} have no 'code' column: rename the code field to 'code'")
    if gdf["code"].isna().any():
        raise GeoError(f"{what}: {int(gdf['code'].isna().sum())} rows have no code")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    elif gdf.crs is None and len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GeoError(f"{what} have no CRS and are not lon/lat: give them a CRS first")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf["code"] = gdf["code"].astype(str)
    return gdf


def _dissolve(
    gdf: gpd.GeoDataFrame, valid: bool = False
) -> tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.int64]]:
    """Geometries united per code (sorted), plus the first row index of every code; invalid ones are repaired
    first unless known ``valid``."""
    codes = gdf["code"].to_numpy(dtype=object)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad = np.zeros(geoms.size, dtype=bool) if valid else ~parallel(shapely.is_valid, geoms).astype(bool)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = [polygonal(g) for g in shapely.make_valid(geoms[bad])]
    order = np.argsort(codes, kind="stable")
    uniq, first, counts = np.unique(codes[order], return_index=True, return_counts=True)
    out = geoms[order][first].copy()
    for k in np.flatnonzero(counts > 1):
        out[k] = polygonal(shapely.union_all(geoms[order][first[k] : first[k] + counts[k]]))
    return uniq.astype(object), out, order[first]


def load_layer(
    gdf: gpd.GeoDataFrame,
    metric: Metric,
    *,
    what: str = "layer",
    parent_column: str | None = None,
    valid: bool = False,
) -> Layer:
    """Dissolve ``gdf`` by ``code`` and project it; names, ``parent_column`` and attributes come from the
    first row of each code. ``valid``: the geometries are known to be valid (as the store's are, repaired on
    import), so they are not checked again."""
    gdf = lonlat_frame(gdf, what)
    codes, geoms, first = _dissolve(gdf, valid)
    rows = gdf.iloc[first]
    names = _optional(rows, "name", str_values=False)
    parents = _optional(rows, parent_column, str_values=True)
    metric_geoms = metric.to_metric(geoms)
    attrs = {c: rows[c].to_numpy() for c in gdf.columns if c not in ("geometry", "code")}
    return Layer(codes, names, metric_geoms, shapely.area(metric_geoms), parents, attrs)


def _optional(rows: pd.DataFrame, column: str | None, str_values: bool) -> NDArray[np.object_]:
    """A column as an object array with None for missing values (all None when there is no column)."""
    out = np.full(len(rows), None, dtype=object)
    if column and column in rows.columns:
        values = rows[column]
        present = ~values.isna().to_numpy()
        out[present] = (values.astype(str) if str_values else values).to_numpy()[present]
    return out


def candidates(
    grids: Layer, districts: Layer, which: Ints | None = None, tree: shapely.STRtree | None = None
) -> tuple[Ints, Ints]:
    """(grid, district) index pairs whose geometries intersect; ``which`` limits the grids."""
    if which is None:
        d, g = (tree or shapely.STRtree(grids.geoms)).query(districts.geoms, predicate="intersects")
        return g.astype(np.int64), d.astype(np.int64)
    which = np.asarray(which, dtype=np.int64)
    i, d = shapely.STRtree(districts.geoms).query(grids.geoms[which], predicate="intersects")
    return which[i], d.astype(np.int64)


def intersection_areas(dgeoms: NDArray[np.object_], ggeoms: NDArray[np.object_], gareas: Floats) -> Floats:
    """area(g ∩ d) per pair with GEOS (for a few pairs): the grid's area where a prepared district holds it,
    else an intersection."""
    shapely.prepare(dgeoms)
    inside = shapely.contains_properly(dgeoms, ggeoms).astype(bool)
    area = np.asarray(gareas, dtype=np.float64).copy()
    edge = np.flatnonzero(~inside)
    area[edge] = parallel(lambda a, b: shapely.area(shapely.intersection(a, b)), dgeoms[edge], ggeoms[edge])
    return area


def layer_areas(grids: Layer, districts: Layer, g: Ints, d: Ints, edges: tuple[Edges, Edges] | None = None) -> Floats:
    """area(grids[g[k]] ∩ districts[d[k]]) per pair: GEOS for a few pairs, else the boundary engine of
    :mod:`geo.pairarea` (exact; GEOS where it is unsure). ``edges`` are the :func:`~geo.edges.edges` of both
    layers (computed here when not given)."""
    if g.size < _ENGINE_PAIRS:
        return intersection_areas(districts.geoms[d], grids.geoms[g], grids.areas[g])
    if edges is None:
        origin = layer_origin(grids, districts)
        edges = (make_edges(grids.geoms, origin), make_edges(districts.geoms, origin))
    return pair_intersection_areas(grids.geoms, districts.geoms, g, d, *edges)


def layer_origin(*layers: Layer) -> tuple[float, float]:
    """A common origin for :func:`~geo.edges.edges` of these layers: the centre of their bounds (rounded)."""
    bounds = [shapely.total_bounds(layer.geoms) for layer in layers if len(layer)]
    finite = np.array([b for b in bounds if np.isfinite(b).all()] or [[0.0] * 4])
    return float(np.round(finite[:, [0, 2]].mean())), float(np.round(finite[:, [1, 3]].mean()))


def pair_areas(
    grids: Layer,
    districts: Layer,
    which: Ints | None = None,
    tree: shapely.STRtree | None = None,
    edges: tuple[Edges, Edges] | None = None,
) -> Pairs:
    """Intersection areas of grids (all, or the indices ``which``) with every district they meet.

    Given the layers' ``edges``, every pair whose boxes meet goes to the boundary engine, which settles
    grids inside a district, or apart from it, as cheaply as a predicate would."""
    if which is None and edges is not None:
        d, g = (tree or shapely.STRtree(grids.geoms)).query(districts.geoms)
        g, d = g.astype(np.int64), d.astype(np.int64)
    else:
        g, d = candidates(grids, districts, which, tree)
    area = layer_areas(grids, districts, g, d, edges)
    keep = area > NOISE_M2
    order = np.lexsort((d[keep], g[keep]))
    return Pairs(g[keep][order], d[keep][order], area[keep][order])


def statuses(pairs: Pairs, grid_areas: Floats, tolerance: float) -> tuple[NDArray[np.object_], Ints, Floats]:
    """Per grid: status (whole/split/orphan), owner district index (-1 for none) and max share.

    Ties (shares equal to 1e-9) go to the district listed first (codes are sorted): results are
    deterministic.
    """
    n = grid_areas.size
    share = pairs.area / grid_areas[pairs.grid]
    total = np.bincount(pairs.grid, weights=share, minlength=n)
    order = np.lexsort((pairs.district, -np.round(share, 9), pairs.grid))  # equal to 1e-9: a tie
    first = order[np.r_[True, pairs.grid[order][1:] != pairs.grid[order][:-1]]] if order.size else order
    owner = np.full(n, -1, dtype=np.int64)
    best = np.zeros(n)
    owner[pairs.grid[first]] = pairs.district[first]
    best[pairs.grid[first]] = share[first]
    status = np.where(best >= 1.0 - tolerance, "whole", np.where(total < tolerance, "orphan", "split"))
    return status.astype(object), owner, best
