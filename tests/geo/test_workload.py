"""geo.workload: per-district workload, deviations, shape figures and the 两个40% staffing check."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.align import compute
from geo.errors import GeoError
from geo.workload import workload
from tests.geo.shapes import X0, Y0, box, frame


def _layers(police=(10, None)):
    grids = frame(
        ["g1", "g2", "g3", "g4"],
        [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100), box(0, 100, 100, 200)],
        households=[100, 200, 300, 400],
        population=[250, 500, 750, 1000],
    )
    d_a = shapely.union(box(0, 0, 100, 200), box(100, 0, 150, 100))  # g1, g4 and half of g2
    districts = frame(
        ["a", "b", "c"],
        [d_a, box(150, 0, 300, 100), box(1000, 0, 1100, 100)],
        precinct_code=["P", "P", "Q"],
        officers=[2, 1, 1],
        auxiliaries=[3, 2, 1],
    )
    precincts = frame(["P", "Q"], [box(0, 0, 300, 200), box(1000, 0, 1100, 100)], police=list(police))
    return grids, districts, precincts


def _rows(result, key):
    return {r["code"]: r for r in result[key]}


def test_owner_basis_counts_each_grid_once():
    grids, districts, precincts = _layers()
    rows = _rows(workload(grids, districts, precincts), "districts")
    assert (rows["a"]["grids"], rows["b"]["grids"], rows["c"]["grids"]) == (3, 1, 0)  # g2 tie → "a"
    assert rows["a"]["households"] == 700 and rows["b"]["households"] == 300
    assert rows["a"]["area_m2"] == pytest.approx(30000, rel=1e-6)
    assert rows["a"]["population"] == 1750
    assert (rows["a"]["officers"], rows["a"]["auxiliaries"]) == (2, 3)
    assert rows["a"]["key_places"] is None
    # precinct P: mean households (700 + 300) / 2 = 500
    assert rows["a"]["deviation"]["households"] == pytest.approx(0.4)
    assert rows["b"]["deviation"]["households"] == pytest.approx(-0.4)


def test_share_basis_splits_a_grid_by_area():
    grids, districts, precincts = _layers()
    rows = _rows(workload(grids, districts, precincts, basis="share"), "districts")
    assert rows["a"]["grids"] == pytest.approx(2.5) and rows["b"]["grids"] == pytest.approx(1.5)
    assert rows["a"]["households"] == pytest.approx(600) and rows["b"]["households"] == pytest.approx(400)
    with pytest.raises(GeoError, match="basis"):
        workload(grids, districts, basis="nearest")


def test_points_and_precomputed_counts():
    grids, districts, precincts = _layers()
    pts = [(50, 50), (60, 60), (250, 50), (50, 150), (5000, 5000)]
    points = gpd.GeoDataFrame(
        {"status": ["reported", "closed", "dispatched", "rejected", "reported"]},
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in pts],
        crs="EPSG:32650",
    ).to_crs(4326)
    result = workload(
        grids,
        districts,
        precincts,
        key_places=points,
        hazards=points,
        incidents=pd.Series({"g1": 4, "g3": 1}),
    )
    rows = _rows(result, "districts")
    assert (rows["a"]["key_places"], rows["b"]["key_places"]) == (3, 1)
    assert (rows["a"]["open_hazards"], rows["b"]["open_hazards"]) == (1, 1)  # closed / rejected do not count
    assert (rows["a"]["incidents"], rows["b"]["incidents"]) == (4, 1)


def test_compactness_and_parts():
    grids, districts, precincts = _layers()
    districts.loc[2, "geometry"] = shapely.MultiPolygon(
        [
            frame(["x"], [box(1000, 0, 1100, 100)]).geometry.iloc[0],
            frame(["x"], [box(1200, 0, 1300, 100)]).geometry.iloc[0],
        ]
    )
    rows = _rows(workload(grids, districts, precincts), "districts")
    assert rows["b"]["compactness"] == pytest.approx(4 * math.pi * 15000 / 500**2, abs=1e-4)
    assert rows["b"]["parts"] == 1 and rows["c"]["parts"] == 2


def test_two_40_staffing_check():
    grids, districts, precincts = _layers(police=(10, None))
    rows = _rows(workload(grids, districts, precincts), "precincts")
    assert rows["P"]["officers"] == 3 and rows["P"]["police"] == 10
    assert rows["P"]["community_police_share"] == pytest.approx(0.3)
    assert rows["P"]["two_40"] == "below"
    assert rows["Q"]["two_40"] == "unknown" and rows["Q"]["police"] is None
    rows = _rows(workload(grids, districts, precincts.assign(police=[5, 2])), "precincts")
    assert (rows["P"]["two_40"], rows["Q"]["two_40"]) == ("ok", "ok")
    no_police = workload(grids, districts, precincts.drop(columns="police"))
    assert {r["two_40"] for r in no_police["precincts"]} == {"unknown"}


def test_reuses_an_alignment_result():
    grids, districts, precincts = _layers()
    state = compute(grids, districts, precincts)
    assert workload(grids, districts, precincts, result=state) == workload(grids, districts, precincts)
