"""Gaps and overlaps at every level of an :class:`~geo.align.Alignment` (DESIGN.md: gap, overlap, sliver).

- districts: overlaps between districts; gaps inside each precinct (or inside the union of grids when there
  are no precincts);
- grids: overlaps between grids; gaps where a district is covered by no grid;
- precincts: overlaps between precincts; holes between them.

A grid layer shown to tile (:func:`geo.tiling.tiles`) has no overlaps and unites as a coverage, so it needs no
pairwise work; the GEOS work (unions, differences, intersections, snapping) runs on two threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.edges import Edges
from geo.metric import NOISE_M2
from geo.overlaps import Pieces, holes, overlaps
from geo.shares import Layer
from geo.tiling import tiles

if TYPE_CHECKING:
    from geo.align import Alignment

__all__ = ["findings", "share_free", "district_findings", "grid_gaps", "precinct_findings", "pick", "Early"]

Ints = NDArray[np.int64]
_WORKERS = 2


Early = tuple[Pieces, Pieces, tuple[Pieces, Pieces] | None]
"""District gaps, district overlaps, and precinct (overlaps, holes) when there are precincts."""


def share_free(
    districts: Layer,
    precincts: Layer | None,
    grid_geoms: NDArray[np.object_],
    shown: Ints,
    scope: str | None,
    edges: tuple[Edges, Edges | None] | None = None,
) -> Early:
    """The findings that need no shares (so they can run beside them): district gaps and overlaps, and the
    precincts' overlaps and holes (on a side thread). ``edges``: of the districts and precincts, when known."""
    d_edges, p_edges = edges if edges is not None else (None, None)
    with ThreadPoolExecutor(1) as side:
        precinct_soon = side.submit(_precinct_pieces, precincts, p_edges) if precincts is not None else None
        found_gaps, found_overlaps = _district_pieces(districts, precincts, grid_geoms, shown, scope, d_edges)
        return found_gaps, found_overlaps, precinct_soon.result() if precinct_soon is not None else None


def findings(
    state: Alignment,
    g_edges: Edges,
    early: Early | Future[Early] | None = None,
    tiled: bool | Future[bool] | None = None,
) -> tuple[Pieces, Pieces]:
    """(gaps, overlaps) of every level, in the order districts, grids, precincts; ``early`` is
    :func:`share_free` and ``tiled`` :func:`~geo.tiling.tiles` of the grids, when already there (or
    coming)."""
    g, p = state.grids, state.precincts
    tiled = tiled.result() if isinstance(tiled, Future) else tiled
    if tiled is None:
        tiled = tiles(g.geoms, g_edges)
    g_over = Pieces("overlap")
    if not tiled:
        g_over = overlaps(g.codes, g.geoms, "grids", state.grid_precinct, check_coverage=True, edges=g_edges)
    g_gaps = grid_gaps(state, np.unique(state.pairs.district), g_over, tiled=tiled)  # while ``early`` finishes
    early = early.result() if isinstance(early, Future) else early
    if early is None:
        early = share_free(state.districts, p, g.geoms, state.shown, state.scope)
    found_gaps, found_overlaps, precinct_found = early
    found_gaps.extend(g_gaps)
    found_overlaps.extend(g_over)
    if p is not None:
        precinct_findings(p, state.scope, found_gaps, found_overlaps, precinct_found)
    return found_gaps, found_overlaps


def _precinct_pieces(precincts: Layer, p_edges: Edges | None = None) -> tuple[Pieces, Pieces]:
    """Overlaps between precincts and the holes between them."""
    over = overlaps(precincts.codes, precincts.geoms, "precincts", edges=p_edges)
    return over, holes(precincts.geoms, "precincts")


def _threaded(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Results of independent GEOS tasks, run on a few threads."""
    if len(tasks) < 2:
        return [task() for task in tasks]
    with ThreadPoolExecutor(_WORKERS) as pool:
        return list(pool.map(lambda task: task(), tasks))


def _minus_union(parent: shapely.Geometry, children: NDArray[np.object_], coverage: bool = False) -> Any:
    """``parent`` minus the union of ``children`` (a coverage union when they are known to tile)."""
    if children.size == 0:
        return shapely.difference(parent, shapely.Polygon())
    union = shapely.coverage_union_all(children) if coverage else shapely.union_all(children)
    return shapely.difference(parent, union)


def district_findings(state: Alignment) -> tuple[Pieces, Pieces]:
    """District-level gaps (inside each precinct, or inside the union of grids) and overlaps."""
    return _district_pieces(state.districts, state.precincts, state.grids.geoms, state.shown, state.scope)


def _district_pieces(
    d: Layer,
    p: Layer | None,
    grid_geoms: NDArray[np.object_],
    shown: Ints,
    scope: str | None,
    d_edges: Edges | None = None,
) -> tuple[Pieces, Pieces]:
    """:func:`district_findings`; the gaps of the precincts are cut on two threads while the overlaps are
    found."""
    found_gaps = Pieces("gap")
    with ThreadPoolExecutor(_WORKERS) as pool:
        if p is None:
            codes: list[str | None] = [None]
            soon = [pool.submit(_minus_union, shapely.union_all(grid_geoms), d.geoms[shown])]
        else:
            mine = [str(c) for c in p.codes if scope is None or c == scope]
            row = p.index()
            soon = [pool.submit(_minus_union, p.geoms[row[c]], d.geoms[d.parents == c]) for c in mine]
            codes = list(mine)
        found_overlaps = overlaps(d.codes, d.geoms, "districts", d.parents, check_coverage=True, edges=d_edges)
        rests = [f.result() for f in soon]
    found_gaps.add_many("districts", codes, [None] * len(codes), rests)
    if scope is not None:
        shown_codes = set(d.codes[shown].tolist())
        keep = [k for k, c in enumerate(found_overlaps.codes) if c and shown_codes & set(c)]
        found_overlaps = pick(found_overlaps, keep)
    return found_gaps, found_overlaps


def grid_gaps(state: Alignment, which: Ints, grid_overlaps: Pieces, *, tiled: bool = False) -> Pieces:
    """Grid-level gaps: area of the districts ``which`` (in scope) covered by no grid, per precinct.

    Only districts whose grid pieces add up to less than their area, or that hold a grid overlap (which
    could hide a gap in that sum), are differenced against their grids (united as a coverage when the grid
    layer ``tiled``)."""
    d, pairs = state.districts, state.pairs
    covered = np.bincount(pairs.district, weights=pairs.area, minlength=len(d))
    which = np.intersect1d(which, state.shown)
    short = d.areas[which] - covered[which] > NOISE_M2
    if grid_overlaps.geoms:
        _, hit = shapely.STRtree(d.geoms[which]).query(np.asarray(grid_overlaps.geoms), predicate="intersects")
        short[hit] = True
    which = which[short]
    found = Pieces("gap")
    if which.size == 0:
        return found
    at, near = state.tree.query(d.geoms[which], predicate="intersects")
    split = np.searchsorted(at, np.arange(1, which.size))
    grids = np.split(near, split)
    tasks = [partial(_minus_union, d.geoms[k], state.grids.geoms[g], tiled) for k, g in zip(which, grids, strict=True)]
    rests = _threaded(tasks)
    per_group: dict[str | None, list[shapely.Geometry]] = {}
    for k, rest in zip(which, rests, strict=True):
        per_group.setdefault(d.parents[k], []).append(rest)
    united = [shapely.union_all(np.asarray(geoms, dtype=object)) for geoms in per_group.values()]
    found.add_many("grids", list(per_group), [None] * len(per_group), united)
    return found


def precinct_findings(
    precincts: Layer,
    scope: str | None,
    found_gaps: Pieces,
    found_overlaps: Pieces,
    found: tuple[Pieces, Pieces] | None = None,
) -> None:
    """Precinct overlaps and the holes between precincts (``found``: both, when already there), added to
    ``found_*`` (limited to ``scope``)."""
    over, between = _precinct_pieces(precincts) if found is None else found
    if scope is not None:
        over = pick(over, [k for k, c in enumerate(over.codes) if c and scope in c])
        mine = precincts.geoms[precincts.index()[scope]] if scope in precincts.index() else None
        hits = [] if mine is None else [k for k, g in enumerate(between.geoms) if shapely.intersects(g, mine)]
        between = pick(between, hits)
    found_gaps.extend(between)
    found_overlaps.extend(over)


def pick(found: Pieces, keep: list[int]) -> Pieces:
    """The pieces ``keep`` of ``found``."""
    return Pieces(
        found.kind,
        [found.level[k] for k in keep],
        [found.precinct[k] for k in keep],
        [found.codes[k] for k in keep],
        [found.geoms[k] for k in keep],
    )
