"""geo.pairarea (exact intersection areas from boundaries) and geo.tiling against GEOS on awkward layers:
shared edges and vertices, collinear overlaps, holes, multipolygons, rings touching, long edges."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity

from geo.edges import edges
from geo.pairarea import engine_areas, intersection_areas
from geo.tiling import tiles


def _check(a: list[shapely.Geometry], b: list[shapely.Geometry], max_uncertain: float = 0.0) -> None:
    ga, gb = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    ib, ia = shapely.STRtree(ga).query(gb)  # boxes meet: includes disjoint and nested pairs
    expected = shapely.area(shapely.intersection(ga[ia], gb[ib]))
    bounds = shapely.total_bounds(np.concatenate([ga, gb]))
    origin = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    ea, eb = edges(ga, origin), edges(gb, origin)
    got, unsure = engine_areas(ea, eb, ga, gb, ia, ib, chunk=97)
    assert unsure.mean() <= max_uncertain
    assert got[~unsure] == pytest.approx(expected[~unsure], rel=1e-9, abs=1e-6)
    assert intersection_areas(ga, gb, ia, ib, ea, eb) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def _cells(n: int, size: float) -> list[shapely.Geometry]:
    return [shapely.box(x * size, y * size, (x + 1) * size, (y + 1) * size) for x in range(n) for y in range(n)]


def test_boxes_with_shared_and_collinear_edges():
    grids = _cells(10, 10.0)
    districts = [
        shapely.box(0, 0, 50, 100),
        shapely.box(50, 0, 100, 100),
        shapely.box(5, 5, 25, 25),
        shapely.box(0, 0, 100, 30),
        shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)]),
        shapely.box(0, 0, 100, 100).difference(shapely.box(10, 10, 20, 20)),  # a hole that is a grid
        shapely.box(33, 33, 37, 37),  # inside one grid, touching nothing
    ]
    _check(grids, districts)
    _check(districts, districts)


def test_voronoi_cells_against_unions_of_cells_and_their_simplifications():
    rng = np.random.default_rng(7)
    extent = shapely.box(0, 0, 1000, 1000)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 1000, (300, 2)))))
    cells = shapely.intersection(cells, extent)
    label = rng.integers(0, 12, cells.size)
    unions = np.array([shapely.union_all(cells[label == k]) for k in range(12)])
    _check(list(cells), list(unions))
    _check(list(cells), list(shapely.simplify(unions, 30.0)))
    _check(list(unions), list(unions))


def test_random_blobs_with_holes_and_rotated_squares():
    rng = np.random.default_rng(3)

    def blob(cx: float, cy: float, r: float, n: int) -> shapely.Polygon:
        angle = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = r * rng.uniform(0.5, 1.0, n)
        return shapely.Polygon(np.c_[cx + radius * np.cos(angle), cy + radius * np.sin(angle)])

    blobs = [blob(*rng.uniform(0, 100, 2), rng.uniform(5, 30), int(rng.integers(5, 60))) for _ in range(120)]
    blobs = [p.difference(blob(p.centroid.x, p.centroid.y, 2, 8)) if k % 3 == 0 else p for k, p in enumerate(blobs)]
    blobs = [g for g in blobs if g.is_valid and not g.is_empty]
    _check(blobs, blobs, max_uncertain=0.01)
    square = shapely.affinity.rotate(shapely.box(0, 0, 10, 10), 30, origin=(0, 0))
    squares = [shapely.affinity.translate(square, i * 7.3, j * 5.1) for i in range(8) for j in range(8)]
    _check(squares, squares)


def test_a_multipolygon_whose_parts_touch_is_left_to_geos():
    touching = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(10, 10, 20, 20)])
    crossing = shapely.Polygon([(5, 15), (15, 5), (16, 6), (6, 16)])
    _check([touching], [crossing], max_uncertain=1.0)


def test_tiles_tells_a_clean_tiling_from_overlaps():
    cells = np.asarray(_cells(4, 1.0), dtype=object)
    assert tiles(cells, edges(cells, (2.0, 2.0)))
    stacked = np.concatenate([cells, [shapely.box(0, 0, 1.5, 4), shapely.box(1.5, 0, 4, 4)]])
    assert not tiles(stacked, edges(stacked, (2.0, 2.0)))
    nested = np.concatenate([cells, [shapely.box(1.2, 1.2, 1.4, 1.4)]])
    assert not tiles(nested, edges(nested, (2.0, 2.0)))
    shifted = cells.copy()
    shifted[5] = shapely.box(1.1, 1, 2.1, 2)
    assert not tiles(shifted, edges(shifted, (2.0, 2.0)))


def test_densified_straight_edges_against_simplified_unions():
    # Straight grid edges carry extra vertices a hair (~1e-9 m) off the line; a simplified district edge
    # skips them: nearly flat crossings, which must be left to GEOS rather than decided from rounded signs.
    cells = [shapely.affinity.rotate(g, 17, origin=(0, 0)) for g in _cells(6, 100.0)]
    cells = [shapely.affinity.translate(g, 500_000.0, 4_200_000.0) for g in cells]
    cells = list(shapely.segmentize(np.asarray(cells, dtype=object), 7.0))
    unions = [shapely.union_all(cells[k : k + 12]) for k in range(0, 36, 12)]
    _check(cells, list(shapely.simplify(np.asarray(unions, dtype=object), 0.5)), max_uncertain=1.0)


_GRID = shapely.box(500_000, 4_200_000, 500_100, 4_200_100)


def _at(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(500_000 + x0, 4_200_000 + y0, 500_000 + x1, 4_200_000 + y1)


@pytest.mark.parametrize(
    ("districts", "expected"),
    [
        ([_at(0, 0, 50, 100), _at(50, 0, 100, 100)], [5000.0, 5000.0]),  # half in each of two
        ([_at(0, 0, 99.5, 100), _at(99.5, 0, 200, 100)], [9950.0, 50.0]),  # a 0.5 % sliver
        ([_at(1000, 1000, 1100, 1100), _at(100, 0, 200, 100)], [0.0, 0.0]),  # outside everything, touching
        ([shapely.MultiPolygon([_at(-10, -10, 30, 110), _at(60, -10, 110, 110)])], [7000.0]),  # multipolygon
        ([_at(0, 0, 60, 100), _at(40, 0, 100, 100), _at(-5, -5, 105, 105)], [6000.0, 6000.0, 10000.0]),  # overlaps
        ([_at(20, 20, 40, 40), _at(-5, -5, 105, 105).difference(_at(10, 10, 90, 90))], [400.0, 3600.0]),  # nested
    ],
)
def test_hand_built_pairs_are_exact(districts: list[shapely.Geometry], expected: list[float]) -> None:
    ga, gb = np.array([_GRID], dtype=object), np.asarray(districts, dtype=object)
    origin = (500_050.0, 4_200_050.0)
    pb = np.arange(gb.size)
    got, unsure = engine_areas(edges(ga, origin), edges(gb, origin), ga, gb, np.zeros_like(pb), pb)
    assert not unsure.any()
    assert got.tolist() == pytest.approx(expected, abs=1e-6)
    assert got == pytest.approx(shapely.area(shapely.intersection(_GRID, gb)), abs=1e-6)


def test_rings_are_oriented_and_repeated_points_dropped() -> None:
    shell = [(0, 0), (0, 10), (0, 10), (10, 10), (10, 0), (0, 0)]  # clockwise, with a repeated point
    hole = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]  # counter-clockwise
    e = edges(np.array([shapely.Polygon(shell, [hole])], dtype=object), (0.0, 0.0))
    assert len(e) == 8 and e.ring_total.tolist() == [100.0, -4.0]
    assert e.prev[e.ring_first].tolist() == [3, 7]
    assert e.prefix[e.ring_first].tolist() == [0.0, 0.0]
