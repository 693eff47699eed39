"""Coverage per grid against exact polygon computations (shapely, UTM) on hand-built tracks and grids."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely

from geo.coverage import Fixes, cell_size, grid_coverage, segments

UTM = 32650
FWD = pyproj.Transformer.from_crs(4326, UTM, always_xy=True)
INV = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
X0, Y0 = FWD.transform(116.4, 39.9)


def _lonlat(geoms):
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(INV.transform(*xy.T)))


def _squares(n: int, size: float) -> np.ndarray:
    boxes = [shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
             for j in range(n) for i in range(n)]  # fmt: skip
    return np.asarray(boxes, dtype=object)


def _fixes(unit, t, x, y) -> Fixes:
    lon, lat = INV.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return Fixes(np.asarray(unit, dtype=np.int64), np.asarray(t, dtype=float), np.asarray(lon), np.asarray(lat))


def _exact(grids_m, unit, t, x, y, radius=100.0):
    """The definition, written independently: buffer the joined segments and the lone fixes, union, intersect."""
    x, y, t, unit = (np.asarray(v, dtype=float) for v in (x, y, t, unit))
    pieces, linked = [], set()
    for i in range(len(x) - 1):
        near = math.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) <= 1000
        if unit[i] == unit[i + 1] and t[i + 1] - t[i] <= 300 and near:
            pieces.append(shapely.LineString([(x[i], y[i]), (x[i + 1], y[i + 1])]))
            linked |= {i, i + 1}
    pieces += [shapely.Point(x[i], y[i]) for i in range(len(x)) if i not in linked]
    union = shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), radius, quad_segs=128))
    return shapely.area(shapely.intersection(grids_m, union)) / shapely.area(grids_m)


def test_segments_follow_the_five_minute_one_kilometre_rule():
    unit = np.array([1, 1, 1, 1, 1, 2])
    t = np.array([0.0, 300.0, 601.0, 660.0, 700.0, 710.0])
    x = np.array([0.0, 1000.0, 1000.0, 2000.1, 2000.1, 2000.1])
    joined, lone = segments(unit, t, x, np.zeros(6))
    # 0–1: exactly 5 min and 1 km, joined; 1–2: 301 s; 2–3: 1000.1 m; 3–4 joined; 4–5 another unit
    assert joined.tolist() == [0, 3]
    assert lone.tolist() == [2, 5]


def test_a_lone_fix_covers_a_disc():
    grids_m = _squares(1, 1000.0)
    fixes = _fixes([1], [0], [X0 + 500], [Y0 + 500])
    out = grid_coverage(_lonlat(grids_m), fixes, radius=100.0)
    assert out["coverage"].iloc[0] == pytest.approx(math.pi * 100**2 / 1e6, abs=0.0005)
    assert out["fixes"].iloc[0] == 1 and out["minutes"].iloc[0] == 0


def test_a_straight_track_across_four_grids_matches_the_polygon_computation():
    grids_m = _squares(2, 500.0)
    x = [X0 + 120, X0 + 400, X0 + 640, X0 + 880]
    y = [Y0 + 80, Y0 + 430, Y0 + 520, Y0 + 930]
    t = [0, 120, 240, 300]
    out = grid_coverage(_lonlat(grids_m), _fixes([7] * 4, t, x, y), radius=100.0)
    exact = _exact(grids_m, [7] * 4, t, x, y)
    assert np.abs(out["coverage"].to_numpy() - exact).max() < 0.002
    assert out["fixes"].tolist() == [2, 0, 0, 2]  # grids are ordered row by row from the south-west
    # minutes: half of each segment's duration to each end's grid: 0–1 (2 min) in grid 0, 1–2 (2 min) split,
    # 2–3 (1 min) in grid 3
    assert out["minutes"].tolist() == pytest.approx([3.0, 0, 0, 2.0])
    assert out["last_patrol_t"].tolist()[0] == 120 and np.isnan(out["last_patrol_t"].iloc[1])


def test_random_tracks_agree_with_shapely_within_a_tenth_of_a_point():
    rng = np.random.default_rng(7)
    grids_m = _squares(4, 700.0)
    xs, ys, ts, us = [], [], [], []
    for unit in range(5):
        p, h, t = np.array([X0 + rng.uniform(0, 2800), Y0 + rng.uniform(0, 2800)]), rng.uniform(0, 6), 0.0
        for _ in range(120):
            xs.append(p[0]), ys.append(p[1]), ts.append(t), us.append(unit)
            h += rng.normal(0, 0.5)
            p = p + rng.choice([20, 60, 200, 1200], p=[0.3, 0.45, 0.2, 0.05]) * np.array([np.cos(h), np.sin(h)])
            t += rng.choice([15, 60, 400], p=[0.5, 0.45, 0.05])
    out = grid_coverage(_lonlat(grids_m), _fixes(us, ts, xs, ys), radius=100.0)
    exact = _exact(grids_m, us, ts, xs, ys)
    assert np.abs(out["coverage"].to_numpy() - exact).max() < 0.001
    assert 0.05 < exact.mean() < 0.95  # the test is not trivially all or nothing


def test_grid_smaller_than_a_cell_is_probed_and_holes_are_not_covered():
    tiny = shapely.box(X0, Y0, X0 + 1.0, Y0 + 1.0)
    ring = shapely.Polygon(
        [(X0 + 100, Y0), (X0 + 700, Y0), (X0 + 700, Y0 + 600), (X0 + 100, Y0 + 600)],
        [[(X0 + 200, Y0 + 100), (X0 + 600, Y0 + 100), (X0 + 600, Y0 + 500), (X0 + 200, Y0 + 500)]],
    )
    grids_m = np.asarray([tiny, shapely.MultiPolygon([ring])], dtype=object)
    fixes = _fixes([1], [0], [X0 + 400], [Y0 + 300])  # in the hole, 100 m from nothing of the ring
    out = grid_coverage(_lonlat(grids_m), fixes, radius=100.0)
    assert out["coverage"].tolist() == [0.0, 0.0]
    assert out["fixes"].tolist() == [0, 0]
    near = grid_coverage(_lonlat(grids_m), _fixes([1], [0], [X0 + 30], [Y0 + 30]), radius=100.0)
    assert near["coverage"].iloc[0] == 1.0


def test_key_places_visited_share_and_empty_windows():
    grids_m = _squares(2, 500.0)
    fixes = _fixes([1, 1], [0, 60], [X0 + 100, X0 + 150], [Y0 + 100, Y0 + 100])
    kx, ky = INV.transform(np.array([X0 + 150, X0 + 400, X0 + 900]), np.array([Y0 + 190, Y0 + 400, Y0 + 900]))
    places = (np.asarray(kx), np.asarray(ky), np.array([0, 0, 3]))
    out = grid_coverage(_lonlat(grids_m), fixes, radius=100.0, key_places=places)
    assert out["key_places"].tolist() == [2, 0, 0, 1]
    assert out["key_places_visited"].iloc[0] == 0.5 and out["key_places_visited"].iloc[3] == 0.0
    assert np.isnan(out["key_places_visited"].iloc[1])
    none = grid_coverage(_lonlat(grids_m), _fixes([], [], [], []), radius=100.0)
    assert none["coverage"].tolist() == [0.0] * 4 and none["fixes"].tolist() == [0] * 4


def test_cell_size():
    assert cell_size(100.0, (0, 0, 1000, 1000)) == 5.0
    assert cell_size(50.0, (0, 0, 1000, 1000)) == 2.5
    assert cell_size(10.0, (0, 0, 1000, 1000)) == 2.0
    assert cell_size(100.0, (0, 0, 1e6, 1e6)) == 40.0  # a whole province: coarser, bounded memory
