"""geo.align: hand-built cases with exact answers, then real Chicago layers against an independent overlay."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo.align import align, compute
from geo.errors import GeoError
from tests.geo.shapes import box, frame

CHICAGO = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "chicago"


def _grid(doc, code):
    return next(g for g in doc["grids"] if g["code"] == code)


def test_grid_half_in_each_of_two_districts_is_split():
    grids = frame(["g1"], [box(0, 0, 100, 100)], name=["一网格"])
    districts = frame(["d1", "d2"], [box(0, 0, 50, 100), box(50, 0, 100, 100)])
    doc = align(grids, districts)
    g = _grid(doc, "g1")
    assert g["status"] == "split"
    assert g["name"] == "一网格"
    assert g["owner"] == "d1"  # a tie goes to the first code
    assert g["shares"] == [{"district": "d1", "share": 0.5}, {"district": "d2", "share": 0.5}]
    assert doc["summary"] == {
        "grids": 1, "whole": 0, "split": 1, "orphan": 0, "alignment_rate": 0.0,
        "gap_area_m2": 0.0, "overlap_area_m2": 0.0,
    }  # fmt: skip
    assert [d["partial_grids"] for d in doc["districts"]] == [["g1"], ["g1"]]
    json.dumps(doc)


@pytest.mark.parametrize(("tolerance", "status"), [(0.01, "whole"), (0.001, "split")])
def test_sliver_of_half_a_percent(tolerance, status):
    grids = frame(["g1"], [box(0, 0, 100, 100)])
    districts = frame(["d1", "d2"], [box(0, 0, 99.5, 100), box(99.5, 0, 200, 100)])
    doc = align(grids, districts, tolerance=tolerance)
    g = _grid(doc, "g1")
    assert (g["status"], g["owner"]) == (status, "d1")
    assert [s["share"] for s in g["shares"]] == [0.995, 0.005]
    assert doc["tolerance"] == tolerance
    d1 = doc["districts"][0]
    assert d1["grids"] == (["g1"] if status == "whole" else [])
    assert d1["partial_grids"] == ([] if status == "whole" else ["g1"])


def test_grid_outside_everything_is_orphan():
    grids = frame(["g1", "g2"], [box(0, 0, 100, 100), box(1000, 1000, 1100, 1100)])
    districts = frame(["d1"], [box(0, 0, 100, 100)])
    doc = align(grids, districts)
    g2 = _grid(doc, "g2")
    assert (g2["status"], g2["owner"], g2["shares"]) == ("orphan", None, [])
    assert doc["summary"]["orphan"] == 1 and doc["summary"]["alignment_rate"] == 0.5


def test_multipolygon_district_and_rows_sharing_a_code_are_dissolved():
    grids = frame(["a", "b", "c"], [box(0, 0, 100, 100), box(300, 0, 400, 100), box(600, 0, 700, 100)])
    two_parts = shapely.MultiPolygon([box(0, 0, 100, 100), box(300, 0, 400, 100)])
    # district "x" is a MultiPolygon; district "y" is two rows that only together hold grid c
    districts = frame(["x", "y", "y"], [two_parts, box(600, 0, 650, 100), box(650, 0, 700, 100)])
    doc = align(grids, districts)
    assert [(g["code"], g["status"], g["owner"]) for g in doc["grids"]] == [
        ("a", "whole", "x"),
        ("b", "whole", "x"),
        ("c", "whole", "y"),
    ]
    assert _grid(doc, "c")["shares"] == [{"district": "y", "share": 1.0}]
    assert [(d["code"], d["grids"]) for d in doc["districts"]] == [("x", ["a", "b"]), ("y", ["c"])]
    assert doc["districts"][1]["area_m2"] == pytest.approx(10_000, rel=1e-6)


def _utm_area(geom_lonlat: dict) -> float:
    shape = shapely.geometry.shape(geom_lonlat)
    return float(gpd.GeoSeries([shape], crs=4326).to_crs(32650).area.iloc[0])


def test_gap_and_overlap_between_two_districts_inside_a_precinct():
    precincts = frame(["P"], [box(0, 0, 200, 100)])
    districts = frame(["d1", "d2"], [box(0, 0, 100, 100), box(90, 0, 190, 100)], precinct_code=["P", "P"])
    grids = frame(["g1", "g2"], [box(0, 0, 95, 100), box(95, 0, 190, 100)])
    doc = align(grids, districts, precincts)
    gaps = [e for e in doc["gaps"] if e["level"] == "districts"]
    overlaps = [e for e in doc["overlaps"] if e["level"] == "districts"]
    assert len(gaps) == 1 and len(overlaps) == 1
    gap, overlap = gaps[0], overlaps[0]
    assert (gap["precinct"], overlap["precinct"], overlap["codes"]) == ("P", "P", ["d1", "d2"])
    assert gap["area_m2"] == pytest.approx(1000.0, rel=1e-6)
    assert overlap["area_m2"] == pytest.approx(1000.0, rel=1e-6)
    assert _utm_area(gap["geometry"]) == pytest.approx(1000.0, rel=1e-2)  # 6 decimals ≈ 0.1 m
    assert overlap["width_m"] == pytest.approx(2 * 1000 / 220, abs=1e-3)
    assert not gap["sliver"] and not overlap["sliver"]
    precinct = doc["precincts"][0]
    assert precinct["gap_area_m2"] == pytest.approx(1000.0, rel=1e-6)
    assert doc["summary"]["gap_area_m2"] == pytest.approx(1000.0, rel=1e-6)
    assert doc["summary"]["overlap_area_m2"] == pytest.approx(1000.0, rel=1e-6)


def test_slivers_flagged_by_area_and_by_width():
    precincts = frame(["P"], [box(0, 0, 300, 100)])
    # gap 1: 8 m × 8 m notch (64 m², 4 m wide) → sliver by area
    # gap 2: 1.5 m × 80 m strip (120 m², 1.47 m wide) → sliver by width
    d1 = shapely.difference(box(0, 0, 100, 100), box(0, 92, 8, 100))
    d2 = shapely.difference(box(100, 0, 300, 100), box(100, 20, 101.5, 100))
    districts = frame(["d1", "d2"], [d1, d2], precinct_code=["P", "P"])
    grids = frame(["g1"], [box(0, 0, 300, 100)])
    doc = align(grids, districts, precincts)
    gaps = sorted((e for e in doc["gaps"] if e["level"] == "districts"), key=lambda e: e["area_m2"])
    assert [round(e["area_m2"], 3) for e in gaps] == [64.0, 120.0]
    assert gaps[0]["sliver"] and gaps[0]["width_m"] == pytest.approx(4.0)
    assert gaps[1]["sliver"] and gaps[1]["width_m"] == pytest.approx(2 * 120 / 163, abs=1e-3)
    relaxed = align(grids, districts, precincts, sliver_area_m2=50, sliver_width_m=1)
    assert not any(e["sliver"] for e in relaxed["gaps"] if e["level"] == "districts")


def test_grid_level_gaps_and_overlaps():
    districts = frame(["d1"], [box(0, 0, 200, 100)])
    grids = frame(["g1", "g2"], [box(0, 0, 110, 100), box(100, 0, 190, 100)])
    doc = align(grids, districts)
    over = [e for e in doc["overlaps"] if e["level"] == "grids"]
    gap = [e for e in doc["gaps"] if e["level"] == "grids"]
    assert [(e["codes"], round(e["area_m2"], 3)) for e in over] == [(["g1", "g2"], 1000.0)]
    assert [round(e["area_m2"], 3) for e in gap] == [1000.0]


def test_precinct_overlaps_holes_and_district_cut_by_a_precinct_line():
    ring = shapely.difference(box(0, 0, 300, 300), box(100, 100, 200, 200))
    precincts = frame(["A", "B"], [ring, box(250, 0, 400, 300)])
    districts = frame(["a1", "b1"], [box(0, 0, 100, 100), box(300, 0, 400, 100)], precinct_code=["A", "B"])
    grids = frame(["g1"], [box(0, 0, 100, 100)])
    doc = align(grids, districts, precincts)
    over = [e for e in doc["overlaps"] if e["level"] == "precincts"]
    holes = [e for e in doc["gaps"] if e["level"] == "precincts"]
    assert [(e["codes"], round(e["area_m2"], 3)) for e in over] == [(["A", "B"], 15000.0)]
    assert [round(e["area_m2"], 3) for e in holes] == [10000.0]
    b1 = next(d for d in doc["districts"] if d["code"] == "b1")
    assert b1["outside_precinct_m2"] == 0.0 and b1["precinct_status"] == "whole"
    assert b1["precinct_shares"] == [{"precinct": "B", "share": 1.0}]
    # the same district drawn across precinct B's west line: 20 m × 100 m lie in A only
    districts = frame(["a1", "b1"], [box(0, 0, 100, 100), box(230, 0, 400, 100)], precinct_code=["A", "B"])
    b1 = next(d for d in align(grids, districts, precincts)["districts"] if d["code"] == "b1")
    assert b1["outside_precinct_m2"] == pytest.approx(2000.0, rel=1e-6)
    assert b1["precinct_share"] == pytest.approx(1 - 2000 / 17000, abs=1e-4)
    assert b1["precinct_status"] == "split"
    assert b1["precinct_shares"] == [{"precinct": "B", "share": 0.8824}, {"precinct": "A", "share": 0.4118}]


def test_precinct_filter_limits_districts_and_grids():
    precincts = frame(["A", "B"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    districts = frame(["a1", "b1"], [box(0, 0, 100, 100), box(100, 0, 200, 100)], precinct_code=["A", "B"])
    grids = frame(["g1", "g2", "g3"], [box(0, 0, 50, 100), box(50, 0, 150, 100), box(150, 0, 200, 100)])
    doc = align(grids, districts, precincts, precinct="A")
    assert [d["code"] for d in doc["districts"]] == ["a1"]
    assert [g["code"] for g in doc["grids"]] == ["g1", "g2"]
    assert [p["code"] for p in doc["precincts"]] == ["A"]
    assert sorted(s["district"] for s in _grid(doc, "g2")["shares"]) == ["a1", "b1"]
    with pytest.raises(GeoError, match="unknown"):
        align(grids, districts, precinct="Z")


def test_precinct_filter_leaves_out_grids_that_only_touch_its_districts():
    precincts = frame(["A", "B"], [box(0, 0, 100, 100), box(100, 0, 200, 200)])
    districts = frame(["a1", "b1"], [box(0, 0, 100, 100), box(100, 0, 200, 200)], precinct_code=["A", "B"])
    # g2 shares a1's east edge, g3 only its north-east corner: both lie wholly in b1
    grids = frame(["g1", "g2", "g3"], [box(0, 0, 100, 100), box(100, 0, 200, 100), box(100, 100, 200, 200)])
    doc = align(grids, districts, precincts, precinct="A")
    assert [g["code"] for g in doc["grids"]] == ["g1"]
    assert doc["summary"]["grids"] == 1 and doc["summary"]["whole"] == 1
    assert [g["code"] for g in align(grids, districts, precincts, precinct="B")["grids"]] == ["g2", "g3"]


def test_areas_agree_with_the_ellipsoid():
    grids = frame(["g1"], [box(0, 0, 1000, 1000)])
    state = compute(grids, frame(["d1"], [box(0, 0, 1000, 1000)]))
    lonlat = grids.geometry.iloc[0]
    geodesic, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(lonlat)
    assert state.grids.areas[0] == pytest.approx(abs(geodesic), rel=1e-3)


def test_missing_code_column_is_a_clear_error():
    grids = frame(["g1"], [box(0, 0, 10, 10)]).rename(columns={"code": "id"})
    with pytest.raises(GeoError, match="'code'"):
        align(grids, frame(["d1"], [box(0, 0, 10, 10)]))


def test_many_grids_go_through_the_boundary_engine_with_the_same_shares():
    # 24 × 24 cells of 10 m (more pairs than the engine's threshold): halves, a 0.5 % sliver, a multipolygon
    # district, two overlapping districts, and cells outside everything
    cells = [box(10 * i, 10 * j, 10 * i + 10, 10 * j + 10) for i in range(24) for j in range(24)]
    districts = [
        box(0, 0, 55, 120),
        box(55, 0, 119.95, 120),
        shapely.MultiPolygon([box(0, 120, 40, 240), box(80, 120, 120, 240)]),
        box(120, 0, 185, 240),
        box(175, 0, 230, 240),
    ]
    grids = frame([f"g{k:03d}" for k in range(len(cells))], cells)
    state = compute(grids, frame(["a", "b", "c", "d", "e"], districts), findings=False)
    assert state.pairs.grid.size >= 256
    g, d = state.grids.geoms[state.pairs.grid], state.districts.geoms[state.pairs.district]
    assert state.pairs.area == pytest.approx(shapely.area(shapely.intersection(g, d)), abs=1e-6)
    counts = {s: int((state.status == s).sum()) for s in ("whole", "split", "orphan")}
    # split: the column cut at x = 55; whole: the column 99.5 % in b, and those both d and e cover
    assert counts == {"whole": 11 * 12 + 8 * 12 + 11 * 24, "split": 12, "orphan": 4 * 12 + 24}


# --- real data: Chicago ------------------------------------------------------------------------------------


def _read(name: str, code: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(CHICAGO / f"{name}.zip")
    gdf = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf
    return gdf.assign(code=gdf[code].astype(str))[["code", "geometry"]]


@pytest.fixture(scope="module")
def chicago() -> dict[str, gpd.GeoDataFrame]:
    return {
        "areas": _read("community_areas", "AREA_NUMBE"),
        "beats": _read("police_beats", "BEAT_NUM"),
        "districts": _read("police_districts", "DIST_NUM"),
    }


def _independent_top_shares(grids: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """Top share per grid code by geopandas alone: overlay in UTM 16N, dissolve by code, areas."""
    g = grids.to_crs(32616).dissolve("code").reset_index()
    d = districts.to_crs(32616).dissolve("code").reset_index()
    pieces = gpd.overlay(g, d, how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.area
    by_pair = pieces.groupby(["code_1", "code_2"])["area"].sum().reset_index()
    top = by_pair.groupby("code_1")["area"].max()
    return top / g.set_index("code").area.reindex(top.index)


@pytest.mark.parametrize(
    ("grids", "districts", "n", "whole", "split"),
    [("areas", "beats", 77, 1, 76), ("areas", "districts", 77, 37, 40), ("beats", "districts", 275, 275, 0)],
)
def test_chicago_reference_figures(chicago, grids, districts, n, whole, split):
    doc = align(chicago[grids], chicago[districts])
    s = doc["summary"]
    assert (s["grids"], s["whole"], s["split"], s["orphan"]) == (n, whole, split, 0)
    ours = pd.Series({g["code"]: g["shares"][0]["share"] for g in doc["grids"]})
    theirs = _independent_top_shares(chicago[grids], chicago[districts])
    assert set(ours.index) == set(theirs.index)
    assert np.abs(ours - theirs.reindex(ours.index)).max() < 0.005


def test_layers_known_valid_skip_the_check_and_give_the_same_document():
    grids = frame(["g1", "g2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    districts = frame(["d1", "d2"], [box(0, 0, 130, 100), box(130, 0, 200, 100)])
    checked = compute(grids, districts).document()
    assert compute(grids, districts, valid=True).document() == checked
    # an invalid district (a bow tie) is repaired unless the caller vouches for its layers
    bow = shapely.Polygon([(0, 0), (200, 100), (200, 0), (0, 100)])
    repaired = compute(grids, frame(["d1"], [bow])).document()
    assert repaired["summary"]["grids"] == 2 and repaired["districts"][0]["area_m2"] == pytest.approx(10000, rel=1e-6)
