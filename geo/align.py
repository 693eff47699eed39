"""How police districts line up with community grids (and precincts): shares, statuses, gaps and overlaps.

:func:`align` returns the alignment document of DESIGN.md; :func:`compute` returns the :class:`Alignment`
state behind it, which :func:`geo.proposal.propose`, :func:`geo.moves.move` and :func:`geo.workload.workload`
reuse. Inputs are GeoDataFrames in EPSG:4326 with a string ``code`` column (several rows may share a code:
they are dissolved); districts may carry ``precinct_code``. Metric work happens in the local UTM zone.

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

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.errors import GeoError
from geo.metric import NOISE_M2, Metric
from geo.overlaps import Pieces, gaps, holes, overlaps
from geo.shares import Layer, Pairs, load_layer, lonlat_frame, pair_areas, statuses

__all__ = ["Alignment", "align", "compute", "subset", "district_findings", "grid_gaps"]

Objs = NDArray[np.object_]
Floats = NDArray[np.float64]


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

    def document(self) -> dict[str, Any]:
        """The alignment document (see :mod:`geo.document`)."""
        from geo.document import document

        return document(self)


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
) -> Alignment:
    """Shares, statuses, gaps and overlaps; ``precinct=`` limits to that precinct's districts and the grids
    that touch them (or lie in it); ``findings=False`` skips gaps and overlaps (for workload)."""
    if not 0.0 <= tolerance < 0.5:
        raise GeoError(f"tolerance {tolerance} is out of range: use a value between 0 and 0.5, e.g. 0.01")
    grids = lonlat_frame(grids, "grids")
    bounds = grids.total_bounds if len(grids) else lonlat_frame(districts, "districts").total_bounds
    metric = Metric.for_bounds(bounds)
    g_layer = load_layer(grids, metric, what="grids")
    d_layer = load_layer(districts, metric, what="districts", parent_column="precinct_code")
    p_layer = load_layer(precincts, metric, what="precincts") if precincts is not None else None
    d_layer, d_pairs = _district_parents(d_layer, p_layer)
    shown = _shown(d_layer, p_layer, precinct)
    if precinct is not None:
        g_layer = subset(g_layer, _grids_in_scope(g_layer, d_layer, p_layer, shown, precinct))
    tree = shapely.STRtree(g_layer.geoms)
    pairs = pair_areas(g_layer, d_layer, tree=tree)
    status, owner, _ = statuses(pairs, g_layer.areas, tolerance)
    g_prec = _grid_precincts(g_layer, d_layer, p_layer, owner)
    state = Alignment(
        tolerance, sliver_area_m2, sliver_width_m, metric, g_layer, d_layer, p_layer, pairs, status, owner,
        g_prec, d_pairs, shown, precinct, Pieces("gap"), Pieces("overlap"), tree,
    )  # fmt: skip
    if not findings:
        return state
    found_gaps, found_overlaps = district_findings(state)
    g_over = overlaps(g_layer.codes, g_layer.geoms, "grids", g_prec, check_coverage=True)
    g_gaps = grid_gaps(state, np.unique(pairs.district), g_over)
    found_gaps.extend(g_gaps)
    found_overlaps.extend(g_over)
    if p_layer is not None:
        _precinct_findings(p_layer, precinct, found_gaps, found_overlaps)
    return replace(state, gaps=found_gaps, overlaps=found_overlaps)


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


def _district_parents(districts: Layer, precincts: Layer | None) -> tuple[Layer, Pairs | None]:
    """Districts × precincts shares; districts without ``precinct_code`` take the precinct owning them."""
    if precincts is None:
        return districts, None
    d_pairs = pair_areas(districts, precincts)
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
    tree = shapely.STRtree(grids.geoms)
    _, touching = tree.query(districts.geoms[shown], predicate="intersects")
    sel = [touching]
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


def district_findings(state: Alignment) -> tuple[Pieces, Pieces]:
    """District-level gaps (inside each precinct, or inside the union of grids) and overlaps."""
    d, p = state.districts, state.precincts
    found_overlaps = overlaps(d.codes, d.geoms, "districts", d.parents)
    shown_codes = set(d.codes[state.shown].tolist())
    if state.scope is not None:
        keep = [k for k, c in enumerate(found_overlaps.codes) if c and shown_codes & set(c)]
        found_overlaps = _pick(found_overlaps, keep)
    found_gaps = Pieces("gap")
    if p is None:
        parent = shapely.union_all(state.grids.geoms)
        found_gaps.extend(gaps(parent, list(d.geoms[state.shown]), "districts"))
        return found_gaps, found_overlaps
    for k, code in enumerate(p.codes):
        if state.scope is None or code == state.scope:
            found_gaps.extend(gaps(p.geoms[k], list(d.geoms[d.parents == code]), "districts", str(code)))
    return found_gaps, found_overlaps


def grid_gaps(state: Alignment, which: NDArray[np.int64], grid_overlaps: Pieces) -> Pieces:
    """Grid-level gaps: area of the districts ``which`` (in scope) covered by no grid, per precinct.

    Only districts whose grid pieces add up to less than their area, or that hold a grid overlap (which
    could hide a gap in that sum), are differenced against their grids."""
    d, pairs = state.districts, state.pairs
    covered = np.bincount(pairs.district, weights=pairs.area, minlength=len(d))
    which = np.intersect1d(which, state.shown)
    short = d.areas[which] - covered[which] > NOISE_M2
    if grid_overlaps.geoms:
        _, hit = shapely.STRtree(d.geoms[which]).query(np.asarray(grid_overlaps.geoms), predicate="intersects")
        short[hit] = True
    which = which[short]
    per_group: dict[str | None, list[shapely.Geometry]] = {}
    for k in which:
        near = state.tree.query(d.geoms[k], predicate="intersects")
        rest = shapely.difference(d.geoms[k], shapely.union_all(state.grids.geoms[near]))
        per_group.setdefault(d.parents[k], []).append(rest)
    found = Pieces("gap")
    for group, geoms in per_group.items():
        found.add("grids", group, None, shapely.union_all(np.asarray(geoms, dtype=object)))
    return found


def _precinct_findings(precincts: Layer, scope: str | None, found_gaps: Pieces, found_overlaps: Pieces) -> None:
    over = overlaps(precincts.codes, precincts.geoms, "precincts")
    between = holes(precincts.geoms, "precincts")
    if scope is not None:
        over = _pick(over, [k for k, c in enumerate(over.codes) if c and scope in c])
        mine = precincts.geoms[precincts.index()[scope]] if scope in precincts.index() else None
        hits = [] if mine is None else [k for k, g in enumerate(between.geoms) if shapely.intersects(g, mine)]
        between = _pick(between, hits)
    found_gaps.extend(between)
    found_overlaps.extend(over)


def _pick(found: Pieces, keep: list[int]) -> Pieces:
    return Pieces(
        found.kind,
        [found.level[k] for k in keep],
        [found.precinct[k] for k in keep],
        [found.codes[k] for k in keep],
        [found.geoms[k] for k in keep],
    )
