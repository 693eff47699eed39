"""``/api/map/*``: the figures the web map draws, checked against the demo city's own files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "data" / "boundaries"


def _csv(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_grid_figures_add_up_to_the_demo(demo_client):
    body = demo_client.get("/api/map/grid-figures").get_json()
    assert body["fields"] == ["key_places", "open_hazards", "overdue_hazards"]
    assert len(body["grids"]) == 400
    totals = [sum(row[i] for row in body["grids"].values()) for i in range(3)]
    hazards = _csv("hazards.csv")
    assert totals[0] == len(_csv("key_places.csv"))
    assert totals[1] == sum(h["state"] not in ("closed", "rejected") for h in hazards)
    # every assessed/dispatched/reported hazard is past its due date by now (the demo's dates are in 2026-11)
    assert totals[2] <= totals[1]


def test_grid_figures_of_one_precinct(demo_client):
    body = demo_client.get("/api/map/grid-figures?precinct=130133-01").get_json()
    assert body["grids"] and all(code.startswith("130133-01-") for code in body["grids"])


def test_grid_detail_has_district_officer_and_lists(demo_client):
    body = demo_client.get("/api/map/grids/130133-02-W010").get_json()
    assert body["grid"]["code"] == "130133-02-W010"
    assert body["district"]["code"] == body["grid"]["district_code"]
    assert body["district"]["officer"]
    assert body["precinct"]["code"] == "130133-02"
    assert body["counts"]["key_places"] == len(body["key_places"])
    assert body["counts"]["open_hazards"] == len(body["hazards"])
    assert len(body["grid"]["bbox"]) == 4
    assert demo_client.get("/api/map/grids/nope").status_code == 404


def test_search_by_code_and_by_name(demo_client):
    results = demo_client.get("/api/map/search?q=130133-02-W010").get_json()["results"]
    assert results[0] == {**results[0], "layer": "grids", "code": "130133-02-W010"}
    named = demo_client.get("/api/map/search", query_string={"q": "赵州"}).get_json()["results"]
    assert named[0]["layer"] == "precincts" and named[0]["name"] == "赵州派出所"
    assert demo_client.get("/api/map/search?q=%25").get_json()["results"] == []  # wildcards are literal
    assert demo_client.get("/api/map/search?q=").get_json()["results"] == []


def test_labels_are_points_inside_units(demo_client):
    body = demo_client.get("/api/map/labels/precincts").get_json()
    assert len(body["features"]) == 11
    assert {f["geometry"]["type"] for f in body["features"]} == {"Point"}
    some = demo_client.get("/api/map/labels/grids?bbox=114.80,37.70,114.85,37.75").get_json()["features"]
    assert 0 < len(some) < 400
    assert demo_client.get("/api/map/labels/hazards").status_code == 404


def test_patrol_tracks_of_a_window(demo_client):
    body = demo_client.get("/api/map/patrols?from=2026-11-01&to=2026-11-02").get_json()
    assert 0 < len(body["features"]) <= 20
    first = body["features"][0]
    assert first["geometry"]["type"] == "MultiLineString"
    assert first["properties"]["fixes"] > 1
    assert demo_client.get("/api/map/patrols?from=2026-12-01&to=2026-12-02").get_json()["features"] == []
    assert demo_client.get("/api/map/patrols?from=2026-11-02&to=2026-11-01").status_code == 400
    assert demo_client.get("/api/map/patrols?from=soon&to=2026-11-01").status_code == 422


def test_district_stats_cover_every_district(demo_client):
    rows = demo_client.get("/api/map/district-stats?from=2026-10-25&to=2026-11-03").get_json()["districts"]
    assert len(rows) == 43
    assert sum(r["grids"] for r in rows) == 400
    assert sum(r["incidents"] for r in rows) == len(_csv("incidents.csv"))
    assert sum(r["key_places"] for r in rows) == 300


def test_versions_move_with_an_import(demo_client):
    before = demo_client.get("/api/map/versions").get_json()
    grid = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "X1", "name": "x"},'
        ' "geometry": {"type": "Polygon", "coordinates": [[[114.8, 37.7], [114.81, 37.7], [114.81, 37.71],'
        " [114.8, 37.7]]]}}]}"
    )
    response = demo_client.post(
        "/api/imports",
        data={"layer": "grids", "mode": "append", "file": (io.BytesIO(grid.encode()), "x.geojson")},
    )
    assert response.status_code == 201, response.get_json()
    after = demo_client.get("/api/map/versions").get_json()
    assert after["grids"] > before["grids"] and after["districts"] == before["districts"]
