"""Overlap pairs chosen by the boundary engine's exact common areas give the same pieces as the GEOS route
(coverage validator, then every intersecting pair), on hand-built cases and on a small synthetic city."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from bench.city import make_city
from geo.align import _layers, align, compute
from geo.edges import edges
from geo.findings import share_free
from geo.overlaps import Pieces, overlaps
from geo.shares import Layer, layer_origin
from tests.geo.shapes import X0, Y0, box


def _rows(found: Pieces) -> list[tuple[object, ...]]:
    rows = zip(found.level, found.precinct, found.codes, shapely.to_wkb(np.array(found.geoms)), strict=True)
    return sorted(rows, key=repr)


def _same(a: Pieces, b: Pieces) -> None:
    """The same pieces (exactly the same geometries), in any order."""
    assert a.kind == b.kind and _rows(a) == _rows(b)


def _both_routes(geoms: list[shapely.Geometry], groups: list[str] | None = None, coverage: bool = True) -> None:
    arr = np.array(geoms, dtype=object)
    codes = np.array([f"c{k}" for k in range(arr.size)], dtype=object)
    e = edges(arr, (round(X0), round(Y0)))
    fast = overlaps(codes, arr, "districts", groups, edges=e)
    _same(fast, overlaps(codes, arr, "districts", groups))
    if coverage:
        _same(fast, overlaps(codes, arr, "districts", groups, check_coverage=True))


@pytest.mark.parametrize(
    "geoms",
    [
        [box(0, 0, 100, 100), box(90, 0, 190, 100)],  # a 10 m strip
        [box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 100, 200)],  # touching only
        [box(0, 0, 100, 100), box(50, 0, 150, 100), box(25, 50, 125, 150)],  # three deep
        [box(0, 0, 100, 100), box(99.9995, 0, 200, 100)],  # 0.05 m²: noise, no piece
        [box(0, 0, 100, 100), box(99.99, 0, 200, 100)],  # 1 m²
        [shapely.MultiPolygon([box(0, 0, 10, 10), box(50, 0, 60, 10)]), box(5, 0, 55, 10)],
        [shapely.difference(box(0, 0, 300, 300), box(100, 100, 200, 200)), box(150, 150, 250, 400)],
    ],
)
def test_hand_built_overlaps_match(geoms):
    _both_routes(geoms)
    _both_routes(geoms, ["P"] * len(geoms))


def test_a_polygon_inside_another_is_an_overlap():
    # the coverage validator sees no interacting edges here, so that route misses this overlap
    _both_routes([box(0, 0, 100, 100), box(20, 20, 40, 40)], coverage=False)
    arr = np.array([box(0, 0, 100, 100), box(20, 20, 40, 40)], dtype=object)
    found = overlaps(np.array(["a", "b"], dtype=object), arr, "districts", edges=edges(arr, (round(X0), round(Y0))))
    assert found.codes == [("a", "b")] and found.area() == pytest.approx(400.0)


def _metric_city() -> tuple[Layer, Layer, Layer]:
    precincts, districts, grids = make_city(seed=1, precincts=3, districts=30, grids=600, cache=False)
    g, d, p, _ = _layers(grids, districts, precincts)
    assert p is not None
    return g, d, p


def test_synthetic_city_findings_match():
    g, d, p = _metric_city()
    origin = layer_origin(g, d)
    d_edges, p_edges = edges(d.geoms, origin), edges(p.geoms, origin)
    shown = np.arange(len(d), dtype=np.int64)
    fast = share_free(d, p, g.geoms, shown, None, (d_edges, p_edges))
    slow = share_free(d, p, g.geoms, shown, None)
    assert len(fast[1].geoms) > 0 and fast[2] is not None and slow[2] is not None
    _same(fast[0], slow[0])
    _same(fast[1], slow[1])
    _same(fast[2][0], slow[2][0])
    _same(fast[2][1], slow[2][1])
    # a grid layer that does not tile: every grid shifted by 0.3 m overlaps its own original
    shifted = shapely.affinity.translate(shapely.union_all(g.geoms[:40]), 0.3, 0.2)
    geoms = np.concatenate([g.geoms[:40], [shifted]])
    codes = np.array([f"g{k:03d}" for k in range(geoms.size)], dtype=object)
    e = edges(geoms, origin)
    _same(overlaps(codes, geoms, "grids", edges=e), overlaps(codes, geoms, "grids", check_coverage=True))


def test_document_of_the_synthetic_city_is_unchanged_by_the_route():
    precincts, districts, grids = make_city(seed=1, precincts=3, districts=30, grids=600, cache=False)
    doc = align(grids, districts, precincts)
    state = compute(grids, districts, precincts)
    assert doc == state.document()
    g, d, p = state.grids, state.districts, state.precincts
    assert p is not None
    slow = share_free(d, p, g.geoms, state.shown, None)
    districts_only = [k for k, lvl in enumerate(state.gaps.level) if lvl == "districts"]
    assert len(districts_only) == len(slow[0].geoms)
    assert sum(e["area_m2"] for e in doc["gaps"] if e["level"] == "districts") == pytest.approx(
        slow[0].area(), rel=1e-6, abs=0.05
    )
