"""geo.proposal (snap proposal) and geo.moves (re-evaluation after one manual move)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bench.city import make_city
from geo.align import align, compute
from geo.moves import delta, move
from geo.proposal import propose
from tests.geo.shapes import box, frame


@pytest.fixture(scope="module")
def town():
    """A small synthetic city: grids tile exactly, districts are simplified unions of grids, plus one
    precinct with hand-drawn districts that cut grids."""
    return make_city(seed=3, precincts=3, districts=12, grids=300, cache=False)


def _three_grids():
    grids = frame(["g1", "g2", "g3"], [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)])
    districts = frame(["d1", "d2"], [box(0, 0, 130, 100), box(130, 0, 300, 100)], precinct_code=["P", "P"])
    return grids, districts


def test_proposal_moves_split_grids_to_their_owner():
    grids, districts = _three_grids()
    result = propose(grids, districts)
    report = {d["code"]: d for d in result["districts"]}
    assert report["d1"]["gained"] == [] and report["d1"]["lost"] == ["g2"]
    assert report["d2"]["gained"] == ["g2"] and report["d2"]["lost"] == []
    assert report["d1"]["area_moved_m2"] == pytest.approx(3000, rel=1e-6)
    assert report["d2"]["area_moved_m2"] == pytest.approx(3000, rel=1e-6)
    assert report["d2"]["area_after_m2"] == pytest.approx(20000, rel=1e-6)
    geoms = result["geometries"]
    assert list(geoms["code"]) == ["d1", "d2"] and list(geoms["precinct_code"]) == ["P", "P"]
    assert all(isinstance(g, shapely.MultiPolygon) for g in geoms.geometry)
    assert geoms.crs.to_epsg() == 4326
    d2 = geoms.to_crs(32650).geometry.iloc[1]
    assert d2.area == pytest.approx(20000, rel=1e-9)
    assert shapely.hausdorff_distance(d2, box(100, 0, 300, 100)) < 1e-3


def test_proposal_from_a_document_matches_the_state():
    grids, districts = _three_grids()
    from_state = propose(grids, districts, compute(grids, districts))
    from_doc = propose(grids, districts, align(grids, districts))
    strip = ("gained", "lost", "grids")
    assert [{k: d[k] for k in strip} for d in from_doc["districts"]] == [
        {k: d[k] for k in strip} for d in from_state["districts"]
    ]


def _no_gaps_no_overlaps(geoms: gpd.GeoSeries) -> tuple[float, float]:
    metric = geoms.to_crs(32650)
    return float(metric.area.sum()), float(shapely.union_all(metric.values).area)


def test_proposed_districts_tile_when_the_grids_do(town):
    precincts, districts, grids = town
    total, union = _no_gaps_no_overlaps(grids.geometry)
    assert total == pytest.approx(union, rel=1e-9)  # the grid layer tiles
    state = compute(grids, districts, precincts)
    assert (state.status == "split").any()  # the hand-drawn precinct cuts grids
    result = propose(grids, districts, state)
    total, union = _no_gaps_no_overlaps(result["geometries"].geometry)
    assert total == pytest.approx(union, rel=1e-6)
    assert union == pytest.approx(float(grids.to_crs(32650).area.sum()), rel=1e-6)
    again = align(grids, result["geometries"], precincts)
    assert again["summary"]["whole"] == len(grids) and again["summary"]["split"] == 0
    assert not [e for e in again["overlaps"] if e["level"] == "districts" and e["area_m2"] > 0.01]


def test_gained_and_lost_are_consistent(town):
    precincts, districts, grids = town
    state = compute(grids, districts, precincts)
    result = propose(grids, districts, state)
    gained = {g: d["code"] for d in result["districts"] for g in d["gained"]}
    owner = {str(state.grids.codes[k]): state.owner[k] for k in range(len(state.grids))}
    for d in result["districts"]:
        for g in d["lost"]:
            assert gained[g] != d["code"]  # every lost grid is gained by its new owner
    assert set(gained) == {str(c) for c in state.grids.codes[state.status != "whole"] if owner[str(c)] >= 0}
    moved = sum(d["area_moved_m2"] for d in result["districts"])
    assert moved > 0
    assert sum(d["grids"] for d in result["districts"]) == len(grids) - len(result["unassigned"])


# --- moves ---------------------------------------------------------------------------------------------------


def test_move_makes_the_grid_whole_and_matches_a_full_recompute(town):
    precincts, districts, grids = town
    state = compute(grids, districts, precincts)
    k = int(np.flatnonzero(state.status == "split")[0])
    grid = str(state.grids.codes[k])
    target = str(state.districts.codes[state.pairs.district[state.pairs.grid == k][-1]])
    after = move(state, grid, target)
    changes = delta(after)
    assert next(g for g in changes["grids"] if g["code"] == grid)["status"] == "whole"
    assert next(g for g in changes["grids"] if g["code"] == grid)["owner"] == target
    # the same move done by hand on the district layer, then everything recomputed
    g_geom = grids.set_index("code").geometry[grid]
    edited = districts.copy()
    touched = edited["code"].isin([str(state.districts.codes[d]) for d in after.changed_districts])
    edited.loc[touched, "geometry"] = [
        shapely.union(geom, g_geom) if code == target else shapely.difference(geom, g_geom)
        for code, geom in zip(edited.loc[touched, "code"], edited.loc[touched, "geometry"], strict=True)
    ]
    full = compute(grids, edited, precincts)
    assert list(after.status) == list(full.status)
    assert list(after.owner) == list(full.owner)
    moved_doc, full_doc = after.document(), full.document()
    # the move unites in metres, the hand edit in lon/lat: crossings differ by millimetres
    for a, b in zip(moved_doc["grids"], full_doc["grids"], strict=True):
        assert (a["code"], a["status"], a["owner"]) == (b["code"], b["status"], b["owner"])
        assert [s["district"] for s in a["shares"]] == [s["district"] for s in b["shares"]]
        assert [s["share"] for s in a["shares"]] == pytest.approx([s["share"] for s in b["shares"]], abs=2e-4)
    assert moved_doc["summary"]["whole"] == full_doc["summary"]["whole"]
    assert moved_doc["summary"]["gap_area_m2"] == pytest.approx(full_doc["summary"]["gap_area_m2"], abs=1.0)
    assert moved_doc["summary"]["overlap_area_m2"] == pytest.approx(full_doc["summary"]["overlap_area_m2"], abs=1.0)
    for a, b in zip(moved_doc["districts"], full_doc["districts"], strict=True):
        # a 1 km edge, straight in UTM or in lon/lat, bows by about a centimetre: ~1e-5 of the area
        assert a["area_m2"] == pytest.approx(b["area_m2"], rel=1e-5)
        assert (a["grids"], a["partial_grids"]) == (b["grids"], b["partial_grids"])


def test_move_into_another_precinct_leaves_a_gap_there():
    precincts = frame(["A", "B"], [box(0, 0, 200, 100), box(200, 0, 400, 100)])
    districts = frame(["a1", "b1"], [box(0, 0, 200, 100), box(200, 0, 400, 100)], precinct_code=["A", "B"])
    grids = frame(["g1", "g2"], [box(0, 0, 200, 100), box(200, 0, 400, 100)])
    after = move(compute(grids, districts, precincts), "g2", "a1")
    doc = after.document()
    gaps = [e for e in doc["gaps"] if e["level"] == "districts"]
    assert [(e["precinct"], round(e["area_m2"], 3)) for e in gaps] == [("B", 20000.0)]
    a1 = next(d for d in doc["districts"] if d["code"] == "a1")
    assert a1["grids"] == ["g1", "g2"] and a1["outside_precinct_m2"] == pytest.approx(20000, rel=1e-6)
