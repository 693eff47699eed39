"""How police districts line up with community grids (and precincts): shares, statuses, gaps and overlaps.

:func:`align` returns the alignment document of DESIGN.md; :func:`compute` returns the :class:`Alignment`
state behind it, which :func:`geo.proposal.propose`, :func:`geo.moves.move` and :func:`geo.workload.workload`
reuse. Inputs are GeoDataFrames in EPSG:4326 with a string ``code`` column (several rows may share a code:
they are dissolved); districts may carry ``precinct_code``. Metric work happens in the local UTM zone.
Intersection areas (grid × district, district × precinct) come from the exact boundary engine of
:mod:`geo.pairarea`; gaps and overlaps from :mod:`geo.findings`.

>>> import geopandas as gpd
>>> box = shapely.box
>>> grids = gpd.GeoDataFrame({"code": ["g1"]}, geometry=[box(114.80, 37.70, 114.81, 37.71)], crs=4326)
>>> districts = gpd.GeoDataFrame(
...     {"code": ["d1", "d2"]},
...     geometry=[box(114.80, 37.70, 114.805, 37.71), box(114.805, 37.70, 114.81, 37.71)],
...     crs=4326,
... )
>>> doc = align(grids, districts)
>>> doc["summary"]["split"], [s["share"] for s in doc["grids"][0]["shares"]]
(1, [0.5, 0.5])
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.document import district_entries, document, grid_entries
from geo.edges import Edges, edges
from geo.errors import GeoError
from geo.findings import district_findings, grid_gaps, share_free
from geo.findings import findings as all_findings
from geo.metric import NOISE_M2, Metric
from geo.overlaps import Pieces
from geo.shares import Layer, Pairs, layer_areas, layer_origin, load_layer, lonlat_frame, pair_areas, statuses
from geo.tiling import tiles

__all__ = ["Alignment", "align", "compute", "subset", "district_findings", "grid_gaps"]

Objs = NDArray[np.object_]
Floats = NDArray[np.float64]
T = TypeVar("T")
Entries = tuple[list[dict[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class Alignment:
    """Everything :func:`align` computed, kept for proposals, moves and workload (geometries in metres)."""

    tolerance: float
    sliver_area_m2: float
    sliver_width_m: float
    metric: Metric
    grids: Layer
    districts: Layer
    precincts: Layer | None
    pairs: Pairs  # grid × district intersections with positive area
    status: Objs  # per grid: whole / split / orphan
    owner: NDArray[np.int64]  # per grid: district index, -1 for none
    grid_precinct: Objs  # per grid: precinct code (of the owner, else of the precinct holding it)
    district_pairs: Pairs | None  # district × precinct intersections
    shown: NDArray[np.int64]  # district indices in the document (all, or one precinct's)
    scope: str | None
    gaps: Pieces
    overlaps: Pieces
    tree: shapely.STRtree  # on grids.geoms
    changed_grids: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    changed_districts: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    entries: Entries | None = None  # the document's grid and district entries, built beside the findings

    def document(self) -> dict[str, Any]:
        """The alignment document (see :mod:`geo.document`): built once per state, a new outer dict per call
        (its lists are shared: do not change them)."""
        return dict(self._document)

    @cached_property
    def _document(self) -> dict[str, Any]:
        return document(self, self.entries)


def align(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    precincts: gpd.GeoDataFrame | None = None,
    *,
    tolerance: float = 0.01,
    sliver_area_m2: float = 100.0,
    sliver_width_m: float = 2.0,
    precinct: str | None = None,
) -> dict[str, Any]:
    """The alignment document of DESIGN.md, plus a ``precincts`` list; see :func:`compute`."""
    state = compute(
        grids,
        districts,
        precincts,
        tolerance=tolerance,
        sliver_area_m2=sliver_area_m2,
        sliver_width_m=sliver_width_m,
        precinct=precinct,
    )
    return state.document()


def compute(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    precincts: gpd.GeoDataFrame | None = None,
    *,
    tolerance: float = 0.01,
    sliver_area_m2: float = 100.0,
    sliver_width_m: float = 2.0,
    precinct: str | None = None,
    findings: bool = True,
    valid: bool = False,
) -> Alignment:
    """Shares, statuses, gaps and overlaps; ``precinct=`` limits to that precinct's districts and the grids
    that share area with them (or lie in it); ``findings=False`` skips gaps and overlaps (for workload);
    ``valid``: every geometry is known to be valid (read from the store), so none is checked again.

    With findings, the document's grid and district entries (which need none) are built while the gaps and
    overlaps are finished on a side thread."""
    if not 0.0 <= tolerance < 0.5:
        raise GeoError(f"tolerance {tolerance} is out of range: use a value between 0 and 0.5, e.g. 0.01")
    g_layer, d_layer, p_layer, metric = _layers(grids, districts, precincts, valid)
    origin = layer_origin(g_layer, d_layer)
    with ThreadPoolExecutor(2) as side:  # the grids' edges are cut while the districts are placed
        g_soon = side.submit(edges, g_layer.geoms, origin) if precinct is None else None
        d_edges = edges(d_layer.geoms, origin)
        p_edges = edges(p_layer.geoms, origin) if p_layer is not None else None
        d_layer, d_pairs = _district_parents(d_layer, p_layer, d_edges, p_edges)
        shown = _shown(d_layer, p_layer, precinct)
        if precinct is not None:
            g_layer = subset(g_layer, _grids_in_scope(g_layer, d_layer, p_layer, shown, precinct))
        # the findings that need no shares run beside them (GEOS and the area engine release the GIL)
        found_early = partial(share_free, d_layer, p_layer, g_layer.geoms, shown, precinct, (d_edges, p_edges))
        early = side.submit(found_early) if findings else None
        tree = shapely.STRtree(g_layer.geoms)
        g_edges = edges(g_layer.geoms, origin) if g_soon is None else g_soon.result()
        tiled = side.submit(tiles, g_layer.geoms, g_edges) if findings else None
        pairs = pair_areas(g_layer, d_layer, tree=tree, edges=(g_edges, d_edges))
        status, owner, _ = statuses(pairs, g_layer.areas, tolerance)
        g_prec = _grid_precincts(g_layer, d_layer, p_layer, owner)
        state = Alignment(
            tolerance, sliver_area_m2, sliver_width_m, metric, g_layer, d_layer, p_layer, pairs, status, owner,
            g_prec, d_pairs, shown, precinct, Pieces("gap"), Pieces("overlap"), tree,
        )  # fmt: skip
        if early is None or tiled is None:
            return state
        found = side.submit(all_findings, state, g_edges, early, tiled)
        entries = grid_entries(state), district_entries(state)
        found_gaps, found_overlaps = found.result()
    return replace(state, gaps=found_gaps, overlaps=found_overlaps, entries=entries)


def _layers(
    grids: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame | None, valid: bool = False
) -> tuple[Layer, Layer, Layer | None, Metric]:
    """The three layers dissolved and projected into the UTM zone of the grids (or districts)."""
    grids = lonlat_frame(grids, "grids")
    bounds = grids.total_bounds if len(grids) else lonlat_frame(districts, "districts").total_bounds
    metric = Metric.for_bounds(bounds)
    g_layer = load_layer(grids, metric, what="grids", valid=valid)
    d_layer = load_layer(districts, metric, what="districts", parent_column="precinct_code", valid=valid)
    p_layer = load_layer(precincts, metric, what="precincts", valid=valid) if precincts is not None else None
    return g_layer, d_layer, p_layer, metric


def subset(layer: Layer, which: NDArray[np.int64]) -> Layer:
    """The rows ``which`` of ``layer`` (kept in code order)."""
    which = np.sort(np.asarray(which, dtype=np.int64))
    attrs = {k: v[which] for k, v in layer.attrs.items()}
    return Layer(
        layer.codes[which],
        layer.names[which],
        layer.geoms[which],
        layer.areas[which],
        layer.parents[which],
        attrs,
    )


def _district_parents(
    districts: Layer, precincts: Layer | None, d_edges: Edges, p_edges: Edges | None
) -> tuple[Layer, Pairs | None]:
    """Districts × precincts shares; districts without ``precinct_code`` take the precinct owning them."""
    if precincts is None or p_edges is None:
        return districts, None
    d_pairs = pair_areas(districts, precincts, edges=(d_edges, p_edges))
    _, owner, _ = statuses(d_pairs, districts.areas, 0.0)
    parents = districts.parents.copy()
    missing = np.array([p is None for p in parents], dtype=bool) & (owner >= 0)
    parents[missing] = precincts.codes[owner[missing]]
    return replace(districts, parents=parents), d_pairs


def _shown(districts: Layer, precincts: Layer | None, precinct: str | None) -> NDArray[np.int64]:
    if precinct is None:
        return np.arange(len(districts), dtype=np.int64)
    shown = np.flatnonzero(districts.parents == precinct).astype(np.int64)
    known = precincts is not None and precinct in precincts.index()
    if shown.size == 0 and not known:
        raise GeoError(f"precinct {precinct!r} is unknown: no district has it as precinct_code")
    return shown


def _grids_in_scope(
    grids: Layer, districts: Layer, precincts: Layer | None, shown: NDArray[np.int64], precinct: str
) -> NDArray[np.int64]:
    """The grids that share area with the precinct's districts (not those merely touching them along a border),
    and those lying in the precinct."""
    tree = shapely.STRtree(grids.geoms)
    at, near = tree.query(districts.geoms[shown], predicate="intersects")
    near = near.astype(np.int64)
    area = layer_areas(grids, districts, near, shown[at])
    sel = [near[area > NOISE_M2]]
    if precincts is not None and precinct in precincts.index():
        p_geom = precincts.geoms[precincts.index()[precinct]]
        inside = shapely.contains(p_geom, shapely.point_on_surface(grids.geoms))
        sel.append(np.flatnonzero(inside))
    return np.unique(np.concatenate(sel)).astype(np.int64)


def _grid_precincts(grids: Layer, districts: Layer, precincts: Layer | None, owner: NDArray[np.int64]) -> Objs:
    result = np.full(owner.size, None, dtype=object)
    result[owner >= 0] = districts.parents[owner[owner >= 0]]
    lost = np.flatnonzero(np.array([r is None for r in result], dtype=bool))
    if precincts is not None and lost.size:
        points = shapely.point_on_surface(grids.geoms[lost])
        i, p = shapely.STRtree(precincts.geoms).query(points, predicate="within")
        result[lost[i]] = precincts.codes[p]
    return result
